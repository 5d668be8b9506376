"""Load a user's own files as a :class:`~tmeprog.cohorts.model.Cohort`.

Accepted inputs:

* an expression matrix as TSV / CSV / TXT (optionally ``.gz``), parquet, or ``.h5ad``
  (anndata: ``obs`` are samples, ``var`` are genes; ``obs`` columns are read as clinical
  columns). Tables may be genes x samples or samples x genes: the axis whose labels look more
  like gene identifiers (or like the probe ids of ``annotation``) is taken as genes, unless
  ``orientation`` says otherwise;
* a feature table (``kind="features"``): samples x numeric features such as published signature
  scores, with or without clinical columns, and no expression;
* a folder holding ``expression.*`` or ``features.*``, and optionally ``clinical.*`` and
  ``annotation.*``;
* clinical tables (``clinical=``, one or several): columns are mapped to the vocabulary of
  :mod:`tmeprog.cohorts.vocabulary` by common spellings (see :func:`map_clinical`), joined to the
  expression on sample id.

Text numbers are read with a correctly rounding parser (pyarrow's CSV reader, else pandas'
round-trip parser). Nothing is written. Every problem raises one :class:`~tmeprog.errors.InputError`
saying what, where, and what to do; every row or column dropped is counted in
``cohort.report``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tmeprog.cohorts.expression_sanity import check_rule
from tmeprog.cohorts.model import Cohort, CohortMeta, coerce_clinical
from tmeprog.cohorts.user_clinical import (
    clinical_tables,
    endpoint_columns,
    index_by_id,
    join_clinical,
    map_clinical,
    read_clinical_table,
)
from tmeprog.cohorts.user_expression import load_expression
from tmeprog.errors import InputError
from tmeprog.tables.orientation import check_orientation
from tmeprog.tables.sniff import PARQUET_SUFFIXES, TEXT_SUFFIXES, base_suffix, check_file, stem
from tmeprog.tables.text import parse_numbers
from tmeprog.tables.whole import NA_STRINGS

__all__ = ["load_user_cohort", "map_clinical", "parse_numbers", "read_clinical_table"]


def load_user_cohort(
    path: str | Path,
    clinical=None,
    scale: str | None = None,
    orientation: str = "auto",
    annotation=None,
    name: str | None = None,
    id_column: str | None = None,
    kind: str = "expression",
    allow_missing_covariates: bool = False,
    duplicates: str = "error",
) -> Cohort:
    """Load a user's expression matrix or feature table (and clinical tables) as a cohort.

    Parameters
    ----------
    path : str or Path
        Expression (``.tsv``/``.csv``/``.txt`` [``.gz``], ``.parquet``, ``.h5ad``), a feature
        table (``kind="features"``), or a folder with ``expression.*`` / ``features.*`` and
        optionally ``clinical.*`` and ``annotation.*``.
    clinical : str, Path, list or DataFrame, optional
        Clinical table(s), one row per sample; columns mapped by :func:`map_clinical`.
    scale : str, optional
        ``counts``, ``tpm``, ``linear`` (FPKM, intensities), ``log2`` or ``log2_ratio``;
        detected when omitted (ambiguous data raise and ask for it).
    orientation : {"auto", "genes_x_samples", "samples_x_genes"}
        Which axis of a table holds the genes (or, for a feature table, the features).
    annotation : str, Path, Series or dict, optional
        Probe id -> gene symbol (a file: first column probe ids, symbol column found by name).
    name : str, optional
        Cohort name; default the file (or folder) stem.
    id_column : str, optional
        Sample-id column of the clinical tables (and of a feature table); default: the column
        matching most expression sample ids (the first column for a lone feature table).
    kind : {"expression", "features"}
        What ``path`` holds.
    allow_missing_covariates : bool
        Clinical cells that cannot be read, and samples without a clinical row, become missing
        (reported) instead of an error; impossible values are an error either way.
    duplicates : {"error", "mean", "max-variance"}
        Genes present more than once with different values (after harmonisation): an error,
        their mean, or the copy of highest variance (see
        :mod:`tmeprog.cohorts.expression_sanity`).

    Returns
    -------
    Cohort
        Expression on a log2 scale with harmonised gene symbols (or ``features``), clinical
        covariates and endpoints on the expression's samples, and a report of every step.

    Raises
    ------
    InputError
        One message per problem: missing, empty or truncated file, rows with missing fields,
        non-numeric, infinite or absurd cells, gene names turned into dates, duplicated genes
        (``duplicates="error"``), samples all missing / zero / constant, duplicated sample
        ids, bad survival data, samples without a clinical row (unless
        ``allow_missing_covariates``), < 1,000 recognisable genes, ambiguous scale.
    """
    path = Path(path)
    check_rule(duplicates)
    check_orientation(orientation, "orientation=")
    if kind not in ("expression", "features"):
        raise InputError(f"kind={kind!r}; use 'expression' or 'features'")
    if path.is_dir():
        parts = _folder_parts(path)
        kind = "expression" if "expression" in parts else "features"
        if clinical is None and "clinical" in parts:
            clinical = parts["clinical"]
        if annotation is None and "annotation" in parts:
            annotation = parts["annotation"]
        cohort_name = name or path.name
        path = parts[kind]
    else:
        cohort_name = name or stem(path)
    check_file(path, "expression" if kind == "expression" else "feature-table")
    if kind == "features":
        return load_features(path, clinical, orientation, name=cohort_name, id_column=id_column,
                              allow_missing=allow_missing_covariates)
    return load_expression(path, clinical, scale, orientation, annotation, cohort_name,
                            id_column, allow_missing_covariates, duplicates)


def _folder_parts(path: Path) -> dict[str, Path]:
    parts: dict[str, Path] = {}
    for f in sorted(path.iterdir()):
        kind = stem(f).lower()
        if kind in ("expression", "features", "clinical", "annotation") and kind not in parts:
            parts[kind] = f
    if "expression" not in parts and "features" not in parts:
        raise InputError(
            f"folder {str(path)!r} holds no expression.* or features.* file; name the files "
            "expression.tsv (or .csv/.parquet/.h5ad), clinical.tsv, annotation.tsv"
        )
    return parts


def load_features(path: Path, clinical, orientation: str, name: str, id_column: str | None,
                  allow_missing: bool = False) -> Cohort:
    """The cohort of a feature table (arguments as for :func:`load_user_cohort`, checked):
    numeric columns become ``features``, vocabulary columns clinical covariates and endpoints.

    Raises
    ------
    InputError
        No rows, no numeric feature column, a stray text cell in a numeric column, bad
        clinical values (see :func:`map_clinical`).
    """
    sfx = base_suffix(path)
    if sfx in PARQUET_SUFFIXES:
        tab = pd.read_parquet(path)
        tab = tab.reset_index() if not isinstance(tab.index, pd.RangeIndex) else tab
        tab = tab.astype("string")
        tab = tab.mask(tab.apply(lambda s: s.str.lower().isin(NA_STRINGS)))
    elif sfx in TEXT_SUFFIXES or sfx == "":
        tab = read_clinical_table(path)
    else:
        raise InputError(f"{str(path)!r}: a feature table must be .tsv, .csv, .txt or .parquet")
    if orientation == "genes_x_samples":  # features x samples: transpose
        first = tab.columns[0]
        tab = tab.set_index(first).T.reset_index(names="sample_id")
    if tab.shape[0] == 0:
        raise InputError(f"{str(path)!r} holds no data rows")
    tab, idcol = index_by_id(tab, f"feature table {path.name!r}", None, id_column)
    samples = tab.index
    report = [f"read {path.name}: {tab.shape[0]} samples x {tab.shape[1]} columns "
              f"(sample id column {idcol!r})"]
    clin, ends, info, used, rep = map_clinical(tab, path.name, allow_missing)
    report.extend(rep)
    feats = {}
    ignored_text, ignored_empty = [], []
    for col in tab.columns:
        if col in used:
            continue
        s = tab[col]
        num = parse_numbers(s)
        present = s.notna()
        bad = present & num.isna()
        if not present.any():
            ignored_empty.append(col)
        elif not bad.any():
            feats[col] = num.astype(float)
        elif bad.sum() <= 0.2 * present.sum():
            i = bad.index[bad][0]
            raise InputError(
                f"{str(path)!r}: non-numeric value {s[i]!r} at sample {i!r}, column {col!r} of a "
                "mostly numeric feature column; fix the cell or mark it NA"
            )
        else:
            ignored_text.append(col)
    if not feats:
        raise InputError(f"{str(path)!r}: no numeric feature columns found; a feature table has "
                         "samples as rows and numeric features as columns")
    features = pd.DataFrame(feats, index=samples)
    report.append(f"features: {features.shape[1]} numeric columns kept; ignored "
                  f"{len(ignored_text)} text columns{_eg(ignored_text)} and {len(ignored_empty)} "
                  f"empty columns{_eg(ignored_empty)}")
    extra_tables = clinical_tables(clinical)
    c2, e2, i2, rep2 = join_clinical(extra_tables, samples, id_column, allow_missing,
                                      f"feature table {path.name!r}") \
        if extra_tables else \
        (pd.DataFrame(index=samples), pd.DataFrame(index=samples), {}, [])
    report.extend(rep2)
    clin = coerce_clinical(clin)
    clin = clin.combine_first(c2) if len(c2.columns) else clin
    clin = coerce_clinical(clin)
    for k, v in i2.items():
        if k not in info:
            info[k] = v
            for col in endpoint_columns(k, v):
                ends[col] = e2[col]
    meta = CohortMeta(source=f"user file {path.name}", platform="feature table", scale="none")
    return Cohort(name=name, expression=None, clinical=clin, endpoints=ends, endpoint_info=info,
                  meta=meta, features=features, report=report)


def _eg(values: list[str]) -> str:
    return f" ({', '.join(map(str, values[:5]))}{' ...' if len(values) > 5 else ''})" \
        if values else ""
