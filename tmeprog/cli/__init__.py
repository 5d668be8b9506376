"""Command-line interface: thin typer commands over the tmeprog modules.

Each command group lives in its own module and is registered here.
"""

from __future__ import annotations

import typer

from tmeprog.cli.cohorts import cohorts_app
from tmeprog.cli.explain import explain
from tmeprog.cli.features import features, signatures_check
from tmeprog.cli.score import score
from tmeprog.cli.signatures import signatures_app
from tmeprog.cli.train import report, train
from tmeprog.cli.ui import ui

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="TME-based prognostic and therapy-response models for breast cancer.")
app.add_typer(cohorts_app, name="cohorts")
app.add_typer(signatures_app, name="signatures")
signatures_app.command("check")(signatures_check)
app.command("features")(features)
app.command("explain")(explain)
app.command("train")(train)
app.command("report")(report)
app.command("ui")(ui)
app.command("score")(score)
