"""``tmeprog train`` and ``tmeprog report``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from tmeprog.cli.common import TRACKING_OPT, emit_json, fail, out, say, warn
from tmeprog.errors import TmeprogError


def train(
    config: Path = typer.Option(None, "--config", "-c", help="Pipeline TOML (default: "
                                                             "prognosis on the bundled cohorts)."),
    cohort: list[str] = typer.Option(None, "--cohort", help="Cohort name or file; replaces the "
                                                            "config's cohorts (repeatable)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object at the end and "
                                                       "nothing else on stdout."),
    tracking_uri: str = TRACKING_OPT,
    quick: bool = typer.Option(False, "--quick", help="Small models and grids (smoke run)."),
    gene_universe: str = typer.Option(None, "--gene-universe", help="Expression file, cohort "
                                      "or one-column gene list: build every feature on these "
                                      "genes only (a model for a cohort or panel before "
                                      "scoring it)."),
    set_champion: bool = typer.Option(False, "--set-champion", help="Point @champion at the "
                                      "new model even when the current champion was trained "
                                      "on another task or endpoint."),
) -> None:
    """Train, validate, explain and register a model; track everything in MLflow."""
    from tmeprog.pipeline.config import load_config  # deferred: pydantic and the model families

    # deferred: the training pipeline loads pandas, kept out of `tmeprog --help`
    from tmeprog.pipeline.train import SPEC_SETS
    from tmeprog.pipeline.train import train as run_train  # deferred: as above

    try:
        cfg = load_config(config)
        res = run_train(cfg, cohort or None, tracking_uri=tracking_uri, quick=quick,
                        gene_universe=gene_universe, set_champion=set_champion)
    except TmeprogError as exc:
        fail(exc)
    if not res.alias_moved:
        warn(res.alias_reason)
    if as_json:
        emit_json(res.to_json())
        return
    for w in res.warnings[:20]:
        warn(w)
    r = res.results
    main = r[(r["metric"] == cfg.selection.metric) & r["feature_set"].isin(
        SPEC_SETS)]
    t = Table(title=f"{cfg.selection.metric} (95% bootstrap CI)")
    for col in ("model", "feature set", "validation", "value", "95% CI"):
        t.add_column(col)
    for row in main.itertuples():
        t.add_row(row.model, row.feature_set, row.validation, f"{row.value:.3f}",
                  f"[{row.ci_low:.3f}, {row.ci_high:.3f}]")
    out.print(t)
    ch = res.champion
    out.print(f"champion: {ch['model']} on {ch['feature_set']} features "
              f"({ch['metric']} {ch['value']:.3f} under {ch['validation']})")
    out.print(f"registered: {res.model_uri}   run: {res.run_id}   "
              f"({res.runtime_seconds:.0f} s)")
    out.print("look at: the full table in the run's results/results.csv; "
              "`tmeprog ui` for the MLflow UI; "
              f"`tmeprog report {res.run_id} -o report.html` for an HTML report")


def report(
    run_id: str = typer.Argument(..., help="MLflow run id (printed by tmeprog train)."),
    output: Path = typer.Option(..., "-o", "--output", help="HTML file to write."),
    overwrite: bool = typer.Option(False, help="Replace an existing file."),
    tracking_uri: str = TRACKING_OPT,
) -> None:
    """Write a self-contained HTML report of a training run."""
    from tmeprog.report.html import report_run  # deferred: the report loads pandas
    from tmeprog.tables.tableio import check_output  # deferred: tableio loads pandas

    try:
        check_output(output, overwrite, "--output")
        path = report_run(run_id, output, overwrite=overwrite, tracking_uri=tracking_uri)
    except TmeprogError as exc:
        fail(exc)
    say(f"report -> {path}")
