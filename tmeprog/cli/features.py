"""``tmeprog features`` and ``tmeprog signatures check``: TME feature tables and coverage."""

from __future__ import annotations

import warnings
from pathlib import Path

import typer
from rich.table import Table

from tmeprog.cli.common import cell, emit_json, err, fail, input_options, load_input, out, say, warn
from tmeprog.errors import InputError, TmeprogError
from tmeprog.signatures import read_gmt


def _user_signatures(paths: list[Path] | None) -> dict[str, list[str]]:
    sigs: dict[str, list[str]] = {}
    for p in paths or []:
        for name, genes in read_gmt(p).items():
            if name in sigs:
                raise InputError(f"signature {name!r} appears in more than one GMT file")
            sigs[name] = list(genes)
    return sigs


def _expression(cohort):
    if cohort.expression is None:
        raise InputError(f"cohort {cohort.name!r} has no gene expression (a clinical-only cohort "
                         "or a feature table); TME features need expression")
    return cohort.expression


DECONV_OPT = typer.Option(None, "--deconvolution", help="Add cell fractions: quantiseq.")
PATHWAYS_OPT = typer.Option(None, "--pathways", help="Add pathway activities: progeny.")
ARRAYS_OPT = typer.Option(None, "--arrays/--rnaseq", help="Platform for quanTIseq (default: "
                                                          "from the cohort's platform).")
TUMOR_OPT = typer.Option(None, "--tumor/--no-tumor", help="quanTIseq's tumour mode (default: "
                                                          "on for registered cohorts, off for "
                                                          "files, as quanTIseq).")


def _block_options(cohort, deconvolution: str | None, pathways: str | None,
                   arrays: bool | None, tumor: bool | None) -> dict:
    """Extractor options for the fraction and pathway blocks of one cohort."""
    # deferred: tmeprog.features loads pandas and scikit-learn, kept out of `tmeprog --help`
    from tmeprog.features.deconvolution import cohort_options

    for flag, value, known in (("--deconvolution", deconvolution, ("quantiseq",)),
                               ("--pathways", pathways, ("progeny",))):
        if value is not None and value not in known:
            raise InputError(f"{flag} {value!r} is not available; use {' or '.join(known)}")

    opts: dict = {"deconvolution": deconvolution, "pathways": pathways}
    if deconvolution is not None and cohort.expression is not None:
        meta = cohort.meta
        opts.update(cohort_options(meta.scale, meta.extra.get("input_scale"), meta.platform,
                                   arrays, tumor,
                                   tumour_cohort=not meta.source.startswith("user file")))
        err.print(f"quanTIseq on {cohort.name}: {'microarray' if opts['arrays'] else 'RNA-seq'}"
                  f", {'tumour' if opts['tumor'] else 'non-tumour'} mode, expression un-logged as "
                  f"{'2^x - 1' if opts['expression_scale'] == 'log2p1' else '2^x'}",
                  highlight=False, markup=False)
    return opts


def _extractor(cohort, signatures: list[Path] | None, coverage_threshold: float,
               deconvolution: str | None, pathways: str | None, arrays: bool | None,
               tumor: bool | None, **options):
    """The (unfitted) TME extractor of the command's options for one cohort."""
    # deferred: tmeprog.features loads pandas and scikit-learn, kept out of `tmeprog --help`
    from tmeprog.features.extractor import TMEFeatureExtractor

    return TMEFeatureExtractor(coverage_threshold=coverage_threshold,
                               extra_signatures=_user_signatures(signatures) or None,
                               **_block_options(cohort, deconvolution, pathways, arrays, tumor),
                               **options)


@input_options()
def features(
    input: str = typer.Argument(..., help="Cohort name or expression file."),
    output: Path = typer.Option(..., "-o", "--output", help="Output .parquet, .tsv or .csv."),
    method: str = typer.Option("ssgsea", help="ssgsea, singscore, zscore or gsva (see "
                               "`tmeprog signatures methods`)."),
    signatures: list[Path] = typer.Option(None, "--signatures", help="Extra GMT file "
                                                                     "(repeatable)."),
    coverage_threshold: float = typer.Option(0.5, help="Minimum gene coverage per feature."),
    overwrite: bool = typer.Option(False, help="Replace an existing output file."),
    calibrate_til: bool = typer.Option(False, "--calibrate-til", help="Map til_density to "
                                       "stromal TIL % on this cohort's stil_pct (isotonic)."),
    deconvolution: str | None = DECONV_OPT, pathways: str | None = PATHWAYS_OPT,
    arrays: bool | None = ARRAYS_OPT, tumor: bool | None = TUMOR_OPT,
    **inputs,
) -> None:
    """Write the TME feature table (samples x features) of a cohort or expression file.

    A pathologist stromal TIL percentage in the clinical data (``stil_pct``) is passed through.
    ``--deconvolution quantiseq`` adds absolute cell fractions (frac_*, til_fraction,
    immune_fraction); ``--pathways progeny`` adds PROGENy activities (progeny_*).
    """
    from tmeprog.tables.tableio import check_output, table_format, write_table  # deferred: pandas

    try:
        table_format(output)
        check_output(output, overwrite, "--output")
        cohort = load_input(input, **inputs)
        ext = _extractor(cohort, signatures, coverage_threshold, deconvolution, pathways, arrays,
                         tumor, method=method)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            expr = _expression(cohort)
            table = ext.fit(expr).transform(expr)
        if not table.notna().any().any():
            raise InputError(f"no TME feature could be computed for {cohort.name!r}: no "
                             f"signature has {coverage_threshold:.0%} of its genes in the "
                             f"data ({expr.shape[1]} genes); check that the columns are gene "
                             "symbols of a genome-wide assay, or lower --coverage-threshold")
        for w in caught:
            warn(w.message)
        table = _with_stil(table, cohort, calibrate_til)
        write_table(table, output, overwrite=overwrite)
    except TmeprogError as exc:
        fail(exc)
    say(f"{table.shape[0]} samples x {table.shape[1]} features -> {output}")


def _with_stil(table, cohort, calibrate: bool):
    """Pass ``stil_pct`` through; optionally add ``til_density_stil_pct`` (calibrated)."""
    from tmeprog.features.til import TILCalibrator  # deferred: loads scikit-learn

    has = "stil_pct" in cohort.clinical.columns and cohort.clinical["stil_pct"].notna().any()
    if has:
        table = table.assign(stil_pct=cohort.clinical["stil_pct"].astype(float))
    if calibrate:
        if not has:
            raise InputError(f"--calibrate-til needs a stil_pct column in the clinical data of "
                             f"{cohort.name!r}")
        cal = TILCalibrator().fit(table["til_density"], table["stil_pct"])
        table = table.assign(til_density_stil_pct=cal.transform(table["til_density"]))
        err.print(f"TIL calibration on {cal.n_} samples: Spearman {cal.spearman_:.2f}, "
                  f"cross-validated MAE {cal.cv_mae_:.1f} sTIL points")
    return table


@input_options()
def signatures_check(
    input: str = typer.Argument(..., help="Cohort name or expression file."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    signatures: list[Path] = typer.Option(None, "--signatures", help="Extra GMT file."),
    coverage_threshold: float = typer.Option(0.5, help="Minimum gene coverage per feature."),
    deconvolution: str | None = DECONV_OPT, pathways: str | None = PATHWAYS_OPT,
    arrays: bool | None = ARRAYS_OPT, tumor: bool | None = TUMOR_OPT,
    **inputs,
) -> None:
    """Gene coverage of every TME feature's signature in a cohort or expression file."""
    try:
        cohort = load_input(input, **inputs)
        ext = _extractor(cohort, signatures, coverage_threshold, deconvolution, pathways, arrays,
                         tumor)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ext.fit(_expression(cohort))
    except TmeprogError as exc:
        fail(exc)
    cov = ext.coverage_.reset_index().rename(columns={"signature": "feature"})
    if as_json:
        emit_json(cov.to_dict(orient="records"))
        return
    t = Table(title=cell(f"signature coverage in {cohort.name} "
                         f"(threshold {coverage_threshold:.0%})"))
    for col in ("feature", "genes", "present", "coverage", "ok", "missing"):
        t.add_column(col)
    for r in cov.itertuples():
        miss = r.missing.split(",") if r.missing else []
        t.add_row(cell(r.feature), str(r.n_genes), str(r.n_present), f"{r.coverage:.0%}",
                  "yes" if r.ok else "[red]NaN[/]",
                  cell(", ".join(miss[:8]) + (" ..." if len(miss) > 8 else "")))
    out.print(t)
