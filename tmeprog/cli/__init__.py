"""Command-line interface: thin typer commands over the tmeprog modules.

Each command group lives in its own module and is registered here.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading

import typer

from tmeprog.cli.cohorts import cohorts_app
from tmeprog.cli.convert import convert
from tmeprog.cli.explain import explain
from tmeprog.cli.features import features, signatures_check
from tmeprog.cli.handler import run
from tmeprog.cli.models import models
from tmeprog.cli.profile import profile
from tmeprog.cli.score import score
from tmeprog.cli.signatures import signatures_app
from tmeprog.cli.subtypes import subtypes
from tmeprog.cli.train import report, train
from tmeprog.cli.ui import ui
from tmeprog.cli.validate import validate

app = typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode=None,
                  help="TME-based prognostic and therapy-response models for breast cancer.")
app.add_typer(cohorts_app, name="cohorts")
app.add_typer(signatures_app, name="signatures")
signatures_app.command("check")(signatures_check)
for _command in (features, explain, train, report, ui, score, subtypes, convert, models,
                 validate, profile):
    app.command(_command.__name__)(_command)


def main() -> None:
    """The ``tmeprog`` command: run it, then leave without tearing down every module.

    Every failure is reported in one line with the status of :mod:`tmeprog.cli.exit_codes`
    (:func:`tmeprog.cli.handler.run`).

    With the scientific stack loaded, Python's own teardown takes about a second after the
    work is done. Exit handlers still run (e.g. MLflow ending an active run) and output is
    flushed; while another non-daemon thread is alive, Python exits the usual way.
    """
    leave(run(app))


def leave(code: object) -> None:
    """Exit with ``code`` (as ``sys.exit`` does) after running exit handlers and flushing."""
    if any(t.is_alive() and not t.daemon for t in threading.enumerate()
           if t is not threading.main_thread()):
        sys.exit(code)
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # a message: printed, status 1
        print(code, file=sys.stderr)
        status = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # a closed pipe: nothing more to say
            pass
    os._exit(status)
