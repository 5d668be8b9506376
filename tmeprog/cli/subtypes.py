"""``tmeprog subtypes``: PAM50 subtypes, receptor status and breast prognostic scores."""

from __future__ import annotations

import warnings
from pathlib import Path

import typer
from rich.table import Table

from tmeprog.cli import common
from tmeprog.errors import InputError, TmeprogError


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def _compute(cohort, centring: str, variant: str, min_genes: int | None, signatures: bool):
    """Calls (and scores) of a cohort, the fitted caller and the signature coverage."""
    import pandas as pd  # deferred: keeps `tmeprog --help` free of pandas

    # deferred: tmeprog.features loads pandas and scikit-learn
    from tmeprog.features.subtypes import BreastSignatureScorer, SubtypeCaller, rs_group
    from tmeprog.features.subtypes.reference import MIN_REFERENCE_SAMPLES  # deferred: as above

    if cohort.expression is None:
        raise InputError(f"cohort {cohort.name!r} has no gene expression (a clinical-only cohort "
                         "or a feature table); subtypes need expression")
    expr = cohort.expression
    er = cohort.clinical["er"] if "er" in cohort.clinical.columns else None
    caller = SubtypeCaller(variant=variant, centring=centring, min_genes=min_genes)
    calls = caller.fit(expr, er=er).transform(expr)
    coverage = None
    if signatures and len(expr) < MIN_REFERENCE_SAMPLES:
        warnings.warn(f"signature scores not computed: their gene references need at least "
                      f"{MIN_REFERENCE_SAMPLES} samples (got {len(expr)})", UserWarning,
                      stacklevel=2)
    elif signatures:
        grade = cohort.clinical.get("grade")
        has_grade = grade is not None and (grade == 1).sum() >= 2 and (grade == 3).sum() >= 2
        scorer = BreastSignatureScorer().fit(expr, grade=grade if has_grade else None)
        scores = scorer.transform(expr)
        scores.insert(scores.columns.get_loc("rs") + 1, "rs_group", rs_group(scores["rs"]))
        calls = pd.concat([calls, scores], axis=1)
        coverage = scorer.coverage_
    return calls, caller, coverage


def _print(summary: dict, coverage, name: str) -> None:
    t = Table(title=common.cell(f"PAM50 subtypes of {name} ({summary['variant']}, centring "
                                f"{summary['centring']}; {summary['genes']['present']} of "
                                "50 genes)"))
    has_er = "er_agreement" in summary
    for col in ("subtype", "n", "share", "mean confidence") + (("ER-negative",) if has_er
                                                                else ()):
        t.add_column(col)
    for r in summary["subtypes"]:
        conf = "-" if r["mean_confidence"] is None else f"{r['mean_confidence']:.2f}"
        row = [r["subtype"], str(r["n"]), _pct(r["share"]), conf]
        if has_er:
            row.append(_pct(r.get("er_negative_share")))
        t.add_row(*row)
    common.out.print(t)
    miss = summary["genes"]["missing"]
    if miss:
        common.out.print(f"PAM50 genes missing: {', '.join(miss)}")
    if has_er:
        a = summary["er_agreement"]
        common.out.print(f"ER from expression vs recorded ER: {a['n']} samples, agreement "
                  f"{_pct(a['agreement'])}, kappa "
                  f"{'-' if a['kappa'] is None else format(a['kappa'], '.2f')}; Basal calls "
                  f"ER-negative {_pct(summary['basal_er_negative'])}, LumA calls ER-positive "
                  f"{_pct(summary['luma_er_positive'])}")
    pos = summary["receptor_positive_share"]
    common.out.print("positive from expression: " + ", ".join(
        f"{k.upper()} {_pct(v) if v is not None else 'not called'}" for k, v in pos.items()))
    if coverage is not None:
        common.out.print("signature genes present: " + ", ".join(
            f"{k} {r.n_present}/{r.n_genes}{'' if r.ok else ' (NaN: below coverage)'}"
            for k, r in coverage.iterrows()))


@common.input_options("clinical", "scale", "orientation", "annotation",
                      "allow_missing_covariates", "duplicates")
def subtypes(
    input: str = typer.Argument(..., help="Cohort name or expression file."),
    output: Path = typer.Option(..., "-o", "--output", help="Per-sample calls: .parquet, .tsv "
                                                            "or .csv."),
    centring: str = typer.Option("balanced", help="Gene centring: balanced (ER-balanced "
                                                  "median), median or none."),
    variant: str = typer.Option("plain", help="PAM50 model: plain (genefu pam50) or robust "
                                              "(pam50.robust, quantile rescaling)."),
    min_genes: int = typer.Option(None, "--min-genes", help="Fewest PAM50 genes accepted "
                                                             "(default 5, genefu's mins)."),
    signatures: bool = typer.Option(True, "--signatures/--no-signatures",
                                    help="Also score the 21-gene, 70-gene, GGI and EndoPredict "
                                         "signatures."),
    overwrite: bool = typer.Option(False, help="Replace an existing output file."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    **inputs,
) -> None:
    """PAM50 subtypes, receptor status from expression and breast prognostic scores.

    Prints subtype counts, PAM50 genes present and agreement with recorded ER, and writes one
    row per sample (``sample_id``, ``pam50``, ``pam50_confidence``, ``pam50_genes``,
    ``er_expression`` ...). The signature scores are research re-implementations, not the
    clinical assays.
    """
    # deferred: tmeprog.features loads pandas and scikit-learn
    from tmeprog.features.subtypes.summary import subtype_summary
    from tmeprog.tables.tableio import check_output, table_format, write_table  # deferred: pandas

    try:
        table_format(output)
        check_output(output, overwrite, "--output")
        cohort = common.load_input(input, **inputs)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            calls, caller, coverage = _compute(cohort, centring, variant, min_genes, signatures)
        summary = subtype_summary(calls, cohort.clinical, caller.pam50_)
        write_table(calls, output, overwrite=overwrite)
    except TmeprogError as exc:
        common.fail(exc)
    for msg in dict.fromkeys(str(w.message) for w in caught):
        common.warn(msg)
    if as_json:
        common.emit_json({"cohort": cohort.name, "output": str(output), **summary})
        return
    _print(summary, coverage, cohort.name)
    common.say(f"{len(calls)} samples -> {output}")
