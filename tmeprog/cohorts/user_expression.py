"""A user's expression matrix read whole: text, parquet or ``.h5ad``, oriented, checked,
brought to log2 with harmonised gene symbols, and joined to its clinical tables."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from tmeprog.cohorts.expression_sanity import (
    check_expression,
    check_gene_names,
    collapse_duplicates,
)
from tmeprog.cohorts.gene_map import resolve_identifiers
from tmeprog.cohorts.genes import harmonise_genes
from tmeprog.cohorts.model import Cohort, CohortMeta
from tmeprog.cohorts.scale import resolve_scale, to_log2
from tmeprog.cohorts.user_clinical import clinical_tables, join_clinical, read_clinical_table
from tmeprog.cohorts.vocabulary import normalise_column_name
from tmeprog.errors import InputError
from tmeprog.tables.orientation import label_sample, orientation_name
from tmeprog.tables.sniff import PARQUET_SUFFIXES, TEXT_SUFFIXES, base_suffix
from tmeprog.tables.whole import check_unique, read_numeric_text, read_parquet

MIN_GENES = 1000
MAX_GENE_MISSING = 0.20
GENE_SYMBOL_COLUMNS = ("gene_symbols", "gene_symbol", "symbol", "feature_name", "gene_name",
                       "hgnc_symbol")


def _read_h5ad(path: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series | None]:
    import anndata  # heavy: loaded for .h5ad files only

    try:
        ad = anndata.read_h5ad(path)
    except Exception as exc:
        raise InputError(f"cannot read {str(path)!r} as an .h5ad (anndata) file: {exc}") from None
    x = ad.X
    if hasattr(x, "toarray"):
        x = x.toarray()
    expr = pd.DataFrame(np.asarray(x, dtype=float), index=pd.Index(ad.obs_names.astype(str)),
                        columns=pd.Index(ad.var_names.astype(str)))
    ann = None
    for col in GENE_SYMBOL_COLUMNS:
        if col in ad.var.columns:
            ann = pd.Series(ad.var[col].astype(str).to_numpy(), index=expr.columns)
            break
    obs = ad.obs.copy()
    obs.index = expr.index
    return expr, obs, ann


def _read_matrix(path: Path) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.Series | None, bool]:
    sfx = base_suffix(path)
    if sfx == ".h5ad":
        expr, obs, ann = _read_h5ad(path)
        return expr, obs, ann, True
    if sfx in PARQUET_SUFFIXES:
        return read_parquet(path), None, None, False
    if sfx in TEXT_SUFFIXES or sfx == "":
        return read_numeric_text(path), None, None, False
    raise InputError(
        f"{str(path)!r}: unsupported file type {sfx!r}; use .tsv, .csv, .txt (optionally .gz), "
        ".parquet or .h5ad"
    )


def load_expression(path: Path, clinical, scale: str | None, orientation: str, annotation,
                    cohort_name: str, id_column: str | None, allow_missing: bool = False,
                    duplicates: str = "error") -> Cohort:
    """The cohort of an expression file (arguments as for
    :func:`~tmeprog.cohorts.userfiles.load_user_cohort`, already checked).

    Raises
    ------
    InputError
        Unreadable or non-numeric cells, unrecognisable gene labels, bad clinical tables, too
        few genes (see :func:`~tmeprog.cohorts.userfiles.load_user_cohort`).
    """
    report: list[str] = []
    table, obs, h5_ann, is_h5ad = _read_matrix(path)
    ann = _annotation_from(annotation, "annotation") if annotation is not None else h5_ann
    if table.shape[0] == 0 or table.shape[1] == 0:
        raise InputError(f"{str(path)!r} holds no data rows; export the table again")
    line_offset = None if is_h5ad or base_suffix(path) in PARQUET_SUFFIXES else 2
    _first_bad_cell(table, path, line_offset)

    if is_h5ad:
        genes_on_rows = orientation == "genes_x_samples"
        how = "h5ad: obs are samples, var are genes"
    elif orientation == "auto":
        rs, cs = _gene_scores(table.index, ann), _gene_scores(table.columns, ann)
        if max(rs, cs) < 0.2:
            raise InputError(
                f"{str(path)!r}: neither the row labels (e.g. {table.index[:3].tolist()}) nor the "
                f"column labels (e.g. {table.columns[:3].tolist()}) look like gene identifiers; "
                "for probe ids pass annotation= (probe id -> symbol), or state orientation="
                "'genes_x_samples' / 'samples_x_genes'"
            )
        genes_on_rows = rs >= cs
        how = (f"detected: {100 * max(rs, cs):.0f}% of the {'row' if genes_on_rows else 'column'}"
               f" labels are gene identifiers vs {100 * min(rs, cs):.0f}% of the "
               f"{'column' if genes_on_rows else 'row'} labels")
    else:
        genes_on_rows = orientation == "genes_x_samples"
        how = "stated by the user"
    where = repr(str(path))
    check_gene_names(table.index if genes_on_rows else table.columns, where)
    expr = table.T if genes_on_rows else table
    expr = expr.astype(float)
    expr.index = pd.Index(expr.index.astype(str), name="sample_id")
    check_unique(expr.index, f"expression file {path.name!r}")
    check_expression(expr.to_numpy(), expr.columns, expr.index, where)
    report.append(f"read {path.name}: {expr.shape[1]} gene identifiers x {expr.shape[0]} samples "
                  f"({'genes x samples' if genes_on_rows else 'samples x genes'}; {how})")

    sc = resolve_scale(expr, scale)
    frac_na = expr.isna().mean(axis=0)
    many = frac_na > MAX_GENE_MISSING
    if many.any():
        report.append(f"dropped {int(many.sum())} genes missing in more than "
                      f"{100 * MAX_GENE_MISSING:.0f}% of samples")
        expr = expr.loc[:, ~many.to_numpy()]
    n_fill = int(expr.isna().sum().sum())
    if n_fill:
        expr = expr.fillna(expr.median(axis=0))
        report.append(f"filled {n_fill} missing expression values with the gene's median")
    expr, note = to_log2(expr, sc.scale)
    report.append(f"scale {sc.scale} ({sc.reason}); {note}")

    expr, grep = harmonise_genes(expr, annotation=ann, duplicates="keep")
    n_kept = expr.shape[1]
    expr, dup_note = collapse_duplicates(expr, duplicates, where)
    grep.n_duplicates_collapsed = n_kept - expr.shape[1]
    grep.duplicate_rule = f"identical copies dropped; others: --duplicates {duplicates}"
    report.extend(grep.lines())
    if dup_note:
        report.append(dup_note)
    if grep.n_recognised < MIN_GENES:
        raise InputError(
            f"{str(path)!r}: only {grep.n_recognised} of {grep.n_input} identifiers are "
            f"recognisable genes after harmonisation (need >= {MIN_GENES}; e.g. "
            f"{list(table.index[:3] if genes_on_rows else table.columns[:3])}); give gene symbols,"
            " Ensembl or Entrez ids, pass annotation= for probe ids, or check orientation="
        )
    expr = expr.astype(float)

    tables = clinical_tables(clinical)  # an explicit clinical table wins over h5ad obs
    if obs is not None and obs.shape[1]:
        tables.append(("h5ad obs", obs.astype("string")))
    clin, ends, info, crep = join_clinical(tables, expr.index, id_column, allow_missing,
                                           f"expression file {path.name!r}")
    report.extend(crep)
    meta = CohortMeta(
        source=f"user file {path.name}",
        scale="log2_ratio" if sc.scale == "log2_ratio" else "log2",
        extra={"input_scale": sc.scale, "orientation": orientation_name(genes_on_rows),
               "gene_map": grep.source},
    )
    return Cohort(name=cohort_name, expression=expr, clinical=clin, endpoints=ends,
                  endpoint_info=info, meta=meta, report=report)


def _first_bad_cell(df: pd.DataFrame, path: Path, line_offset: int | None) -> None:
    """Raise on the first non-numeric cell of an all-numeric table (infinite values are
    refused later, named by gene and sample)."""
    types = df.dtypes.to_numpy()
    text_cols = [j for j, dt in enumerate(types)
                 if pd.api.types.is_bool_dtype(dt) or not pd.api.types.is_numeric_dtype(dt)]
    for j in text_cols:
        s = df.iloc[:, j]
        if pd.api.types.is_bool_dtype(s):
            bad = np.ones(len(s), dtype=bool)
        else:
            num = pd.to_numeric(s.astype("string"), errors="coerce")
            bad = s.notna().to_numpy() & num.isna().to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            line = f" (line {i + line_offset})" if line_offset is not None else ""
            raise InputError(
                f"{str(path)!r}: non-numeric value {str(s.iloc[i])!r} at row {df.index[i]!r}, "
                f"column {df.columns[j]!r}{line}; every expression cell must be a number (or "
                "empty / NA for missing)"
            )


def _gene_scores(labels: pd.Index, annotation: pd.Series | None) -> float:
    if len(labels) == 0:
        return 0.0
    lab = label_sample(labels)
    if annotation is not None:
        hit = lab.isin(annotation.index)
        return float(hit.mean())
    return float((resolve_identifiers(lab)["kind"] != "unknown").mean())


def _annotation_from(annotation, where: str) -> pd.Series | None:
    if annotation is None:
        return None
    if isinstance(annotation, pd.Series):
        return annotation.astype("string")
    if isinstance(annotation, Mapping):
        return pd.Series(dict(annotation), dtype="string")
    if isinstance(annotation, pd.DataFrame):
        return _annotation_column(annotation, where)
    path = Path(annotation)
    tab = read_clinical_table(path)  # strings; '#' header lines of GEO platform files skipped
    tab = tab.set_index(tab.columns[0])
    tab.index = pd.Index(tab.index.astype(str).str.strip())
    return _annotation_column(tab, str(path))


def _annotation_column(tab: pd.DataFrame, where: str) -> pd.Series:
    norm = {normalise_column_name(c): c for c in tab.columns}
    for name in ("symbol", "gene_symbol", "gene_symbols", "hgnc_symbol", "genesymbol",
                 "gene_name", "gene", "ilmn_gene"):
        if name in norm:
            return tab[norm[name]].astype("string")
    if tab.shape[1] == 1:
        return tab.iloc[:, 0].astype("string")
    raise InputError(
        f"annotation {where!r}: no gene-symbol column found (looked for 'Symbol', "
        f"'Gene Symbol', 'gene_symbol' ...; columns are {list(tab.columns)[:8]}); give a table "
        "of probe id and symbol"
    )
