"""Helpers shared by the CLI commands: consoles, one-line errors, JSON output."""

from __future__ import annotations

import inspect
import json
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from tmeprog.cli.exit_codes import USAGE
from tmeprog.cli.handler import classify
from tmeprog.tracking.reachable import check_reachable
from tmeprog.tracking.store import tracking_uri

out = Console()
err = Console(stderr=True)


def fail(exc: Exception | str) -> NoReturn:
    """Print one clear error line on stderr and exit: status 2 for a usage or input error,
    3 when the environment failed (:mod:`tmeprog.cli.exit_codes`)."""
    code, message = (USAGE, exc) if isinstance(exc, str) else classify(exc)
    err.print(f"[bold red]error:[/] {escape(str(message))}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=code)


def warn(message: object) -> None:
    """Print ``warning: message`` on stderr; the message is plain text (no markup)."""
    err.print(f"[yellow]warning:[/] {escape(str(message))}", highlight=False)


def note(message: object) -> None:
    """Print ``note: message`` on stderr as plain text."""
    err.print(f"note: {message}", highlight=False, markup=False)


def say(text: object, console: Console | None = None) -> None:
    """Print a line of text that may hold user names or paths, without markup."""
    (console or out).print(str(text), highlight=False, markup=False)


def cell(text: object) -> Text:
    """A table cell shown as written (``[x]`` in a name is not markup)."""
    return Text(str(text))


def emit_json(obj) -> None:
    """Write one JSON document to stdout."""
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")


# Options shared by every command that takes a cohort name or file.
CLINICAL_OPT = typer.Option(None, "--clinical", help="Clinical table (TSV/CSV) for an "
                                                     "expression file.")
SCALE_OPT = typer.Option(None, "--scale", help="Expression scale when detection is ambiguous: "
                                               "counts, tpm, linear, log2, log2_ratio.")
ORIENT_OPT = typer.Option("auto", "--orientation",
                          help="auto, genes_x_samples or samples_x_genes.")
ANNOT_OPT = typer.Option(None, "--annotation", help="Probe annotation table (probe -> symbol).")
KIND_OPT = typer.Option("expression", "--kind", help="expression or features (a feature "
                                                     "table without expression).")
DUPLICATES_OPT = typer.Option("error", "--duplicates",
                              help="Genes present more than once with different values (after "
                                   "harmonising identifiers): error (name them), mean (average "
                                   "the copies per sample) or max-variance (keep the copy of "
                                   "highest variance).")
ALLOW_MISSING_OPT = typer.Option(False, "--allow-missing-covariates",
                                 help="Accept samples without a clinical row and clinical cells "
                                      "that cannot be read: their covariates are imputed and "
                                      "counted (default: an error).")

#: The options above, by parameter name: (type, option).
INPUT_OPTIONS = {"clinical": (str, CLINICAL_OPT), "scale": (str, SCALE_OPT),
                 "orientation": (str, ORIENT_OPT), "annotation": (str, ANNOT_OPT),
                 "kind": (str, KIND_OPT), "allow_missing_covariates": (bool, ALLOW_MISSING_OPT),
                 "duplicates": (str, DUPLICATES_OPT)}

Command = TypeVar("Command", bound=Callable[..., Any])


def input_options(*names: str) -> Callable[[Command], Command]:
    """Give a command the options ``names`` of :data:`INPUT_OPTIONS` (default: all of them).

    The command takes them as ``**inputs`` and passes them on by name (to :func:`load_input`,
    or to the function that reads the file); its help lists them after its own options.
    """
    def add(command: Command) -> Command:
        sig = inspect.signature(command, eval_str=True)
        own = [p for p in sig.parameters.values() if p.kind is not p.VAR_KEYWORD]
        extra = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, annotation=kind,
                                   default=option)
                 for n in names or INPUT_OPTIONS for kind, option in [INPUT_OPTIONS[n]]]
        command.__signature__ = sig.replace(parameters=own + extra)
        return command

    return add


def _say_store(value: str | None) -> str | None:
    """Print which tracking store the command uses (stderr), check that a tracking server
    answers (before any work), then pass the option on."""
    if any(a in ("--help", "-h") for a in sys.argv):
        return value
    uri = tracking_uri(value)
    err.print(f"tracking store: {uri}", highlight=False, markup=False)
    check_reachable(uri)
    return value


TRACKING_OPT = typer.Option(None, "--tracking-uri", callback=_say_store,
                            help="MLflow tracking URI (default: MLFLOW_TRACKING_URI, else "
                                 "mlflow.db of the project folder found upwards from here, "
                                 "else the per-user data folder).")


def load_input(name: str, clinical: str | None = None, scale: str | None = None,
               orientation: str = "auto", annotation: str | None = None,
               kind: str = "expression", allow_missing_covariates: bool = False,
               duplicates: str = "error"):
    """Load a cohort by name or path, passing file options only when they were given."""
    # deferred: tmeprog.cohorts loads pandas, kept out of `tmeprog --help`
    from tmeprog.cohorts import load_cohort

    kwargs = {k: v for k, v in {"clinical": clinical, "scale": scale,
                                "annotation": annotation}.items() if v is not None}
    if allow_missing_covariates:
        kwargs["allow_missing_covariates"] = True
    if duplicates != "error":
        kwargs["duplicates"] = duplicates
    if orientation != "auto":
        kwargs["orientation"] = orientation
    if kind != "expression":
        kwargs["kind"] = kind
    return load_cohort(name, **kwargs)
