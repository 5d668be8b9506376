"""``tmeprog validate``: external validation of a prognosis model on a cohort with outcomes."""

from __future__ import annotations

import typer
from rich.table import Table

from tmeprog.cli import common
from tmeprog.cli.common import cell, emit_json, fail, note, out
from tmeprog.errors import TmeprogError

SHOWN = ("harrell_c", "uno_c", "td_auc_3y", "td_auc_5y", "brier_3y", "brier_5y", "ibs",
         "calibration_slope_5y", "calibration_in_the_large_5y")


@common.input_options("clinical", "allow_missing_covariates", "duplicates", "scale",
                      "orientation")
def validate(
    model: str = typer.Argument(..., help="Model URI, e.g. models:/tmeprog-prognosis@champion."),
    cohort: str = typer.Argument(..., help="Cohort name, cohort folder or expression file "
                                           "(with --clinical holding the outcomes)."),
    endpoint: str = typer.Option(None, "--endpoint", help="Survival endpoint (os, dss, rfs, "
                                                          "dmfs ...); default: one the model "
                                                          "was trained on."),
    bootstrap: int = typer.Option(200, "--bootstrap", help="Bootstrap replicates of the CIs."),
    seed: int = typer.Option(0, "--seed", help="Bootstrap seed."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
    tracking_uri: str = common.TRACKING_OPT,
    **inputs,
) -> None:
    """Validate a prognosis model and its clinical / age reference models on a cohort.

    Harrell and Uno C, time-dependent AUC and Brier score at the model's horizons,
    calibration, Kaplan-Meier by the model's risk groups, per ER status; logged as an MLflow
    run tagged `validation`. Exit status 2 on bad input, 3 when the environment fails
    (nothing logged).
    """
    # deferred: tmeprog.scoring loads pandas and scikit-learn, kept out of `tmeprog --help`
    from tmeprog.scoring.validate_run import log_validation
    from tmeprog.scoring.validate_run import validate as run_validate  # deferred: as above

    if bootstrap < 0:
        fail("--bootstrap must be 0 or more replicates")
    try:
        rep = run_validate(model, cohort, endpoint=endpoint, n_boot=bootstrap, seed=seed,
                           tracking_uri=tracking_uri, **inputs)
        run_id = log_validation(rep, tracking_uri)
    except TmeprogError as exc:
        fail(exc)
    if as_json:
        emit_json(rep.to_json() | {"run_id": run_id})
        return
    for n in rep.notes:
        note(n)
    t = Table(title=cell(f"{rep.cohort}: {rep.endpoint}, n = {rep.n}, {rep.events} events "
                         "(95% bootstrap CI)"))
    t.add_column("metric")
    models = list(dict.fromkeys(rep.metrics["model"]))
    for m in models:
        t.add_column(m)
    for metric in SHOWN:
        cells = []
        for m in models:
            v, lo, hi = rep.value(m, metric)
            cells.append("-" if v != v else f"{v:.3f} [{lo:.3f}, {hi:.3f}]")
        if any(c != "-" for c in cells):
            t.add_row(metric, *cells)
    out.print(t)
    for sub in [s for s in dict.fromkeys(rep.metrics["subgroup"]) if s != "all"]:
        parts = []
        for m in models:
            v, lo, hi = rep.value(m, "harrell_c", sub)
            parts.append(f"{m} {v:.3f} [{lo:.3f}, {hi:.3f}]")
        out.print(f"{sub} (ER {rep.er_source}): Harrell C " + "; ".join(parts), markup=False)
    out.print("Harrell C: sksurv concordance_index_censored; Uno C: concordance_index_ipcw, "
              "tau 60 months, censoring KM of the cohort")
    out.print(f"logged: run {run_id}")
