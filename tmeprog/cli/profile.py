"""``tmeprog profile``: a patient's TME profile under a registered prognosis model."""

from __future__ import annotations

from pathlib import Path

import typer

from tmeprog.cli import common
from tmeprog.cli.common import fail, load_input, say, warn
from tmeprog.errors import InputError, TmeprogError


@common.input_options("clinical", "scale", "orientation", "annotation",
                      "allow_missing_covariates", "duplicates")
def profile(
    model_uri: str = typer.Argument(..., help="Model URI, e.g. "
                                              "models:/tmeprog-prognosis@champion."),
    input: str = typer.Argument(..., help="Cohort name or expression file."),
    sample: list[str] = typer.Option(..., "--sample", "-s", help="Sample id (repeatable)."),
    output: Path = typer.Option(..., "-o", "--output", help="Output .html, .png or .pdf."),
    fmt: str = typer.Option(None, "--format", help="html, png or pdf (default: from the "
                                                   "output's suffix)."),
    overwrite: bool = typer.Option(False, help="Replace existing output files."),
    tracking_uri: str = common.TRACKING_OPT,
    **inputs,
) -> None:
    """Write a patient's TME profile: TME percentiles against the model's training patients
    by compartment, subtype, predicted survival beside the observed survival of the patient's
    risk group, and the SHAP drivers of the risk.

    Several --sample ids give one HTML page with a section each, one PNG each or one PDF.
    """
    from tmeprog.report.profile import build_profiles  # deferred: loads pandas
    from tmeprog.report.profile_plot import FORMATS, write_profiles  # deferred: matplotlib

    try:
        suffix = output.suffix.lower().lstrip(".")
        kind = (fmt or suffix).lower()
        if kind not in FORMATS:
            raise InputError(f"output {str(output)!r}: give a .html, .png or .pdf name, or "
                             "--format html|png|pdf")
        if fmt and suffix != kind:
            raise InputError(f"--format {kind} with output {str(output)!r}: name the output "
                             f"*.{kind}")
        from tmeprog.tables.tableio import check_output  # deferred: tableio loads pandas

        check_output(output, overwrite, "--output")  # exists / folder not writable: before work
        # deferred: tmeprog.scoring loads pandas and scikit-learn
        from tmeprog.scoring.model import load_served_model

        served = load_served_model(model_uri, tracking_uri)
        cohort = load_input(input, **inputs)
        profiles = build_profiles(served.scorer, cohort, list(sample))
        paths = write_profiles(profiles, output, kind, model_uri=model_uri,
                               overwrite=overwrite)
    except TmeprogError as exc:
        fail(exc)
    for p in profiles:
        for w in p.warnings:
            warn(f"{p.sample}: {w}")
    for p in paths:
        say(f"profile -> {p}")
