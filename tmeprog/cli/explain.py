"""``tmeprog explain``: SHAP table (and figures) of a logged model on a cohort or file."""

from __future__ import annotations

import warnings
from pathlib import Path

import typer

from tmeprog.cli import common
from tmeprog.cli.common import fail, load_input, say, warn
from tmeprog.errors import InputError, TmeprogError


def _frame(cohort):
    import pandas as pd  # deferred: keeps `tmeprog --help` free of pandas

    table = cohort.expression if cohort.expression is not None else cohort.features
    if table is None:
        raise InputError(f"{cohort.name!r} holds neither expression nor a feature table")
    clin = cohort.clinical.drop(columns=[c for c in cohort.clinical.columns
                                         if c in table.columns])
    return pd.concat([table, clin.reindex(table.index)], axis=1)


def _check_figures(folder: Path, patients: list[str], overwrite: bool) -> None:
    """Refuse, before any work, a figures folder that cannot be written or already holds
    figures (without --overwrite)."""
    from tmeprog.explain.plots import figure_name  # deferred: plots load matplotlib
    from tmeprog.tables.tableio import check_output  # deferred: tableio loads pandas

    check_output(folder, overwrite, "--figures", folder=True)
    if overwrite or not folder.is_dir():
        return
    known = {figure_name("beeswarm"), figure_name("compartments")}
    known |= {figure_name("waterfall", p) for p in patients}
    held = sorted(p.name for p in folder.iterdir()
                  if p.name in known or p.name.startswith("shap_03_dependence_"))
    if held:
        raise InputError(f"--figures {str(folder)!r} already holds {', '.join(held[:3])}; "
                         "choose another folder or pass --overwrite")


def _check_patients(patients: list[str], frame, source: str) -> None:
    """Every ``--patient`` must be a sample of the input (checked before any work)."""
    ids = {str(i) for i in frame.index}
    unknown = [p for p in patients if p not in ids]
    if unknown:
        some = ", ".join(list(map(str, frame.index))[:5])
        raise InputError(f"--patient {', '.join(unknown)}: no such sample in {source!r} "
                         f"({len(ids)} samples, e.g. {some}); nothing was written")


@common.input_options("clinical", "scale", "orientation", "annotation", "kind",
                      "allow_missing_covariates")
def explain(
    model_uri: str = typer.Argument(..., help="MLflow model URI (runs:/, models:/ or a path)."),
    input: str = typer.Argument(..., help="Cohort name or expression/feature file."),
    output: Path = typer.Option(..., "-o", "--output", help="SHAP table (.parquet)."),
    figures: Path = typer.Option(None, "--figures", help="Folder for the SHAP figures."),
    patient: list[str] = typer.Option(None, "--patient", help="Sample id to draw a waterfall "
                                                              "for (repeatable; none by "
                                                              "default)."),
    background: str = typer.Option(None, "--background", help="Cohort or file of reference "
                                                              "rows (trees: interventional "
                                                              "SHAP)."),
    jobs: int = typer.Option(1, "--jobs", help="Worker processes for forests."),
    overwrite: bool = typer.Option(False, help="Replace existing output files."),
    tracking_uri: str = common.TRACKING_OPT,
    **inputs,
) -> None:
    """Explain a logged model: SHAP value of every sample x model feature, as parquet."""
    from tmeprog.explain import explain_scorer, write_shap_table  # deferred: loads pandas
    from tmeprog.explain.plots import save_figures  # deferred: plots load matplotlib
    from tmeprog.tables.tableio import check_output  # deferred: tableio loads pandas

    try:
        if output.suffix.lower() != ".parquet":
            raise InputError(f"output {str(output)!r}: use a .parquet file name")
        check_output(output, overwrite, "--output")
        if patient and figures is None:
            raise InputError("--patient draws a waterfall figure: give --figures FOLDER too")
        if figures is not None:
            _check_figures(figures, patient or [], overwrite)
        # deferred: tmeprog.scoring loads pandas and scikit-learn
        from tmeprog.scoring.model import load_served_model

        try:  # the loader batch scoring uses: store, alias, version and scorer checks
            scorer = load_served_model(model_uri, tracking_uri).scorer
        except InputError as exc:
            raise InputError(f"cannot load model {model_uri!r}: {exc}") from None
        frame = _frame(load_input(input, **inputs))
        _check_patients(patient or [], frame, input)
        bg = None
        if background is not None:
            bg = _frame(load_input(background, **{**inputs, "clinical": None,
                                                  "allow_missing_covariates": False}))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = explain_scorer(scorer, frame, bg, n_jobs=jobs)
        for w in caught:
            warn(w.message)
        output.parent.mkdir(parents=True, exist_ok=True)
        write_shap_table(res, output, overwrite=overwrite)
        paths = []
        if figures is not None:
            paths = save_figures(res, figures, patients=patient or None, overwrite=overwrite)
    except TmeprogError as exc:
        fail(exc)
    say(f"{res.values.shape[0]} samples x {res.values.shape[1]} features -> {output} "
        f"(SHAP on {res.output}; base {res.base_value:.4g})")
    for p in paths:
        say(f"figure -> {p}")
