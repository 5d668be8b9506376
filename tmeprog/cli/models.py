"""``tmeprog models``: the prognosis model families, their defaults and tuning grids."""

from __future__ import annotations

import typer
from rich.table import Table

from tmeprog.cli.common import emit_json, out


def models(json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
           quick: bool = typer.Option(False, "--quick", help="The smoke-run settings.")) -> None:
    """List the model families a pipeline can compare, with the hyperparameters and grids a
    config may override under [models.params.<family>] and [models.grids.<family>]."""
    # deferred: tmeprog.models loads scikit-learn, kept out of `tmeprog --help`
    from tmeprog.models.families import describe_families

    recs = describe_families(quick)
    if json_out:
        emit_json(recs)
        return
    t = Table(title="prognosis model families")
    for col in ("family", "description", "hyperparameters", "tuning grid"):
        t.add_column(col)
    for r in recs:
        t.add_row(r["family"], r["description"],
                  ", ".join(f"{k}={v!r}" for k, v in r["params"].items()) or "(estimator's)",
                  "; ".join(f"{k}: {v}" for k, v in r["grid"].items()) or "(none)")
    out.print(t)
