"""``tmeprog score``: batch scoring with a registered model (streamed, resumable, Dask)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from tmeprog.cli import common
from tmeprog.cli.common import emit_json, err, fail, note, out, warn
from tmeprog.errors import TmeprogError


@common.input_options("clinical", "allow_missing_covariates", "duplicates", "scale",
                      "orientation")
def score(
    input: str = typer.Argument(..., help="Cohort name, expression file (.parquet/.tsv/.csv, "
                                          "streamed), folder of parquet parts or feature "
                                          "table."),
    model: str = typer.Option(..., "--model", "-m", help="Model URI, e.g. "
                                                         "models:/tmeprog-prognosis@champion."),
    output: Path = typer.Option(..., "-o", "--output", help="Output .parquet, .tsv or .csv."),
    chunk_size: int = typer.Option(None, "--chunk-size", help="Samples per chunk (default: "
                                                              "~96 MiB of input, <= 2,000; "
                                                              "whole parquet row groups)."),
    engine: str = typer.Option("local", "--engine", help="local or dask."),
    scheduler: str = typer.Option(None, "--scheduler", help="Dask scheduler address "
                                                            "(tcp://host:8786); default: a "
                                                            "local cluster."),
    workers: int = typer.Option(None, "--workers", help="Processes: local engine (default 1) "
                                                        "or local Dask cluster (default: "
                                                        "CPU count)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output "
                                                              "(and any unfinished run)."),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted run from its "
                                                        "finished chunks."),
    keep_going: bool = typer.Option(False, "--keep-going", help="Score the other samples when "
                                                                "some fail (lacking genes, "
                                                                "blank or constant arrays ...); "
                                                                "list failures and reasons in "
                                                                "OUT.failed.tsv."),
    tracking_uri: str = common.TRACKING_OPT,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON summary on stdout."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    **inputs,
) -> None:
    """Score every sample of a cohort or file with a registered model.

    Writes one row per sample (sample_id, scores, model_uri, model_version, coverage_warning
    and, for models with clinical covariates, imputed_covariates); every sample needs a row
    of --clinical unless --allow-missing-covariates. The output appears only when complete.
    Exit status: 0 all scored, 1 some samples failed (with --keep-going; listed in
    OUT.failed.tsv), 2 usage or input error, 3 environment (disk, permissions, tracking
    server); no output is written on an error.
    """
    # deferred: tmeprog.scoring loads pandas and scikit-learn, kept out of `tmeprog --help`
    from tmeprog.scoring import score_batch

    bar = Progress(TextColumn("[bold]scoring"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("samples"), TimeElapsedColumn(), console=err,
                   disable=quiet or as_json, transient=True)
    task = bar.add_task("scoring", total=None)

    def progress(n_done: int, total: int | None) -> None:
        bar.update(task, completed=n_done, total=total)

    try:
        with bar:
            res = score_batch(model, input, output, chunk_size=chunk_size, engine=engine,
                              scheduler=scheduler, workers=workers, overwrite=overwrite,
                              resume=resume, keep_going=keep_going, tracking_uri=tracking_uri,
                              progress=progress, **inputs)
    except TmeprogError as exc:
        fail(exc)
    if as_json:
        if res.n_imputed:
            err.print(f"warning: {res.warnings[0]}", highlight=False, markup=False)
        emit_json(res.to_json())
    else:
        for n in res.notes:
            note(n)
        for w in res.warnings:
            warn(w)
        secs = res.scoring_seconds
        rate = res.n_scored / secs if secs > 0 else float("nan")
        resumed = f", {res.n_resumed} resumed" if res.n_resumed else ""
        version = f" (version {res.model_version})" if res.model_version else ""
        out.print(f"{res.n_scored} samples scored with {res.model_uri}{version} in "
                  f"{res.seconds:.1f} s ({rate:.0f} samples/s once loaded; {res.n_chunks} chunks "
                  f"of {res.chunk_size}{resumed}; {res.engine} engine, {res.workers} worker"
                  f"{'s' if res.workers > 1 else ''}) -> {res.output}", highlight=False,
                  markup=False)
    if res.n_failed:
        err.print(f"[bold red]{res.n_failed} samples failed[/]; listed in "
                  f"{escape(str(res.failed_output))}", highlight=False)
        raise typer.Exit(code=1)
