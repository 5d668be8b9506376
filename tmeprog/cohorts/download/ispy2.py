"""I-SPY2 (Wolf et al. Cancer Cell 2022): GEO GSE194040, and clinical tables with signature scores.

Two sources:

GEO GSE194040 (the registry cohort ``ispy2``)
    Two series matrices (Agilent platforms GPL20078 and GPL30493) whose sample characteristics
    give ``patient id``, ``arm``, ``hr``, ``her2``, ``mp`` (MammaPrint) and ``pcr`` (1/0), and a
    supplementary gene-level matrix
    ``GSE194040_ISPY2ResID_AgilentGeneExp_990_FrshFrzn_meanCol_geneLevel_n988.txt.gz``
    (genes x patients, log2 expression as processed and deposited by the I-SPY2 investigators).
A clinical table with published signature scores (:func:`load_ispy2_table`)
    The per-patient table published with the paper (as redistributed in R exports: ``;`` or
    ``,`` separated, quoted, ``NA`` missing; ids such as ``X100899``, R's spelling of ResID
    100899): ``pCR``, ``HR``, ``HER2``, the arm, ``PAM50.Subtype`` and numeric signature scores
    (immune, chemokine, T/B-cell, IFN, ECM, proliferation ...). It has no gene-level expression;
    the scores become the cohort's ``features``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pandas as pd

from tmeprog.cohorts.download import cache
from tmeprog.cohorts.download.cache import RemoteFile
from tmeprog.cohorts.download.geo import (
    parse_series_matrix,
    series_matrix_url,
    supplementary_url,
)
from tmeprog.cohorts.download.parsing import (
    clean,
    prepare_expression,
    read_matrix,
    status01,
    subtype,
)
from tmeprog.cohorts.model import Cohort, CohortMeta, EndpointInfo, coerce_clinical
from tmeprog.cohorts.sanity import strict_binary
from tmeprog.errors import InputError

NAME = "ispy2"
GSE = "GSE194040"
PLATFORMS = ("GPL20078", "GPL30493")
MATRICES = tuple(RemoteFile(f"{GSE}-{p}_series_matrix.txt.gz", series_matrix_url(GSE, p))
                 for p in PLATFORMS)
EXPRESSION_FNAME = "GSE194040_ISPY2ResID_AgilentGeneExp_990_FrshFrzn_meanCol_geneLevel_n988.txt.gz"
EXPRESSION = RemoteFile(EXPRESSION_FNAME, supplementary_url(GSE, EXPRESSION_FNAME))
FILES = (*MATRICES, EXPRESSION)

PCR_DEFINITION = ("pathologic complete response at surgery after neoadjuvant therapy (no "
                  "invasive cancer in breast or lymph nodes, ypT0/is ypN0) as recorded by "
                  "I-SPY2 (1 pCR, 0 residual disease)")
PAM50 = ("LumA", "LumB", "Her2", "Basal", "Normal")
CITATION = ("Wolf DM et al. Cancer Cell 2022;40:609-623.e6. doi:10.1016/j.ccell.2022.05.005 "
            "(GEO GSE194040)")

GEO_META = CohortMeta(
    source="NCBI GEO GSE194040: series matrices GPL20078 and GPL30493 (sample "
           "characteristics) and the gene-level supplementary matrix (n = 988)",
    platform="Agilent 44K expression arrays (GPL20078, GPL30493); gene-level log2 values as "
             "processed by the I-SPY2 investigators (probes averaged to genes)",
    scale="log2",
    citation=CITATION,
    licence="NCBI GEO public data (no restrictions stated by the submitters)",
    description="I-SPY2 neoadjuvant platform trial, 10 arms: pCR with pre-treatment expression",
)

_ID_COLUMNS = ("patient", "patient.id", "patient_id", "patientid", "resid", "patient id")
_ARM_COLUMNS = ("arm..short.name.", "arm (short name)", "arm", "treatment arm", "treatmentid")
_PAM50_COLUMNS = ("pam50.subtype", "pam50", "pam50 subtype", "pam50_class")
_NUMERIC_SKIP = ("pcr", "hr", "her2", "age", "t.os", "os", "t.pfs", "pfs")


def patient_id(ids: pd.Index | pd.Series) -> pd.Index:
    """I-SPY2 patient ids as in GEO: R's ``X`` prefix of numeric ids removed (``X100899``)."""
    return pd.Index([re.sub(r"^X(?=\d+$)", "", str(i).strip()) for i in ids], name="sample_id")


def _find(columns: pd.Index, candidates: tuple[str, ...]) -> str | None:
    lower = {c.strip().lower(): c for c in columns}
    return next((lower[c] for c in candidates if c in lower), None)


def _sniff_sep(path: Path) -> str:
    with open(path, encoding="utf-8", errors="replace") as fh:
        head = fh.readline()
    return max((";", "\t", ","), key=head.count)


def ispy2_clinical(tab: pd.DataFrame) -> pd.DataFrame:
    """HR, HER2, receptor subtype, arm and PAM50 from an I-SPY2 table (any column spelling)."""
    def col(*names: str) -> pd.Series:
        c = _find(tab.columns, names)
        return tab[c] if c is not None else pd.Series(pd.NA, index=tab.index, dtype="string")

    hr = status01(col("hr").astype("string"), ("1", "positive", "pos"), ("0", "negative", "neg"))
    her2 = status01(col("her2").astype("string"), ("1", "positive", "pos"),
                    ("0", "negative", "neg"))
    pam = clean(col(*_PAM50_COLUMNS).astype("string"))
    out = pd.DataFrame({
        "hr": hr,
        "her2": her2,
        "subtype": subtype(hr, her2),
        "pam50": pam.where(pam.isin(PAM50)),
        "arm": clean(col(*_ARM_COLUMNS).astype("string")),
    }, index=tab.index)
    return coerce_clinical(out)


def _pcr(tab: pd.DataFrame, where: str) -> pd.DataFrame:
    c = _find(tab.columns, ("pcr",))
    if c is None:
        raise InputError(f"{where}: no pCR column; an I-SPY2 table needs pCR (1/0)")
    raw = tab[c].astype("string")
    y = status01(raw, ("1", "1.0", "pcr", "yes"), ("0", "0.0", "rd", "no"))
    strict_binary(clean(raw), y.astype(float), c, where, "or pCR/RD, yes/no")
    return pd.DataFrame({"pcr": y.astype(float)}, index=tab.index)


def load_ispy2_table(path: str | Path, name: str | None = None) -> Cohort:
    """Load an I-SPY2 clinical table with published signature scores as a cohort.

    Parameters
    ----------
    path : str or Path
        A ``;``-, tab- or ``,``-separated table with a patient id column, ``pCR`` and,
        optionally, ``HR``, ``HER2``, an arm column, ``PAM50.Subtype`` and numeric scores.
    name : str, optional
        Cohort name (default: the file stem).

    Returns
    -------
    Cohort
        ``expression=None``; ``features`` = numeric score columns with more than two distinct
        values (0/1 class calls such as MammaPrint or immune class are left out); binary endpoint
        ``pcr``; clinical ``hr``, ``her2``, ``subtype``, ``arm``, ``pam50``.
    """
    path = Path(path)
    where = str(path)
    tab = pd.read_csv(path, sep=_sniff_sep(path), na_values=["NA", ""], keep_default_na=True,
                      float_precision="round_trip", low_memory=False)
    id_col = _find(tab.columns, _ID_COLUMNS) or tab.columns[0]
    tab.index = patient_id(tab[id_col])
    if tab.index.has_duplicates:
        raise InputError(f"{where}: duplicated patient ids "
                         f"{tab.index[tab.index.duplicated()][:3].tolist()}")
    report = [f"read {len(tab)} patients from {path.name} (ids from column {id_col!r})"]
    ends = _pcr(tab, where)
    clin = ispy2_clinical(tab)
    used = {id_col} | {_find(tab.columns, (c,)) for c in _NUMERIC_SKIP}
    numeric = [c for c in tab.columns if c not in used and pd.api.types.is_numeric_dtype(tab[c])]
    scores = [c for c in numeric if tab[c].nunique(dropna=True) > 2]
    dropped = [c for c in numeric if c not in scores and tab[c].notna().any()]
    if dropped:
        report.append(f"features: class columns with two or fewer values left out: {dropped}")
    features = tab[scores].astype(float) if scores else None
    report.append(f"features: {len(scores)} published score columns")
    meta = CohortMeta(
        source=f"I-SPY2 clinical table with published signature scores ({path.name})",
        platform="none (signature scores published from Agilent expression arrays)",
        scale="none",
        citation=CITATION,
        licence="as stated by the table's distributor",
        description="I-SPY2 neoadjuvant trial: pCR, arms, receptor status and published "
                    "expression-signature scores; no gene-level expression",
    )
    return Cohort(name=name or path.stem, expression=None, clinical=clin, endpoints=ends,
                  endpoint_info={"pcr": EndpointInfo("pcr", "binary", PCR_DEFINITION)},
                  meta=meta, features=features, report=report)


def looks_like_ispy2_table(path: Path) -> bool:
    """True when a delimited file's header has a pCR column and HR or HER2 columns."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            head = fh.readline()
    except (OSError, UnicodeDecodeError):
        return False
    if head.startswith(("!", "#", "^")):
        return False
    sep = max((";", "\t", ","), key=head.count)
    cols = {c.strip().strip('"').lower() for c in head.rstrip("\r\n").split(sep)}
    return "pcr" in cols and bool({"hr", "her2"} & cols)


def parse_ispy2_geo(matrices: list[Path], expression: Path, name: str = NAME) -> Cohort:
    """Build the I-SPY2 cohort from the GSE194040 series matrices and gene-level matrix."""
    report: list[str] = []
    frames = []
    for m in matrices:
        s = parse_series_matrix(m, name, read_table=False).samples
        s.columns = [c.strip().lower() for c in s.columns]
        frames.append(s)
    samples = pd.concat(frames)
    id_col = _find(samples.columns, _ID_COLUMNS)
    if id_col is None:
        raise InputError(f"{matrices[0]}: no 'patient id' characteristic; cannot match samples "
                         "to the expression columns")
    samples.index = patient_id(samples[id_col])
    samples = samples[~samples.index.duplicated()]
    with cache.reading(name, expression):
        values, ids = read_matrix(expression, 1)
    genes = clean(ids.iloc[:, 0])
    keep = genes.notna().to_numpy()
    expr = values.loc[keep].T
    expr.columns = genes[keep].to_numpy()
    expr.index = patient_id(expr.index)
    both = expr.index.isin(samples.index)
    report.append(f"samples: {len(expr)} expression columns, {len(samples)} annotated patients, "
                  f"{int(both.sum())} in both kept")
    expr = expr.loc[both]
    expr = prepare_expression(expr, name, "log2 expression", transform=True, report=report)
    tab = samples.reindex(expr.index)
    return Cohort(name=name, expression=expr.astype(float), clinical=ispy2_clinical(tab),
                  endpoints=_pcr(tab, str(matrices[0])),
                  endpoint_info={"pcr": EndpointInfo("pcr", "binary", PCR_DEFINITION)},
                  meta=replace(GEO_META), report=report)


def load_ispy2() -> Cohort:
    """Load I-SPY2 (GSE194040) from the cache, downloading the GEO files first when missing."""
    paths = cache.ensure(NAME, FILES)
    return parse_ispy2_geo([paths[m.fname] for m in MATRICES], paths[EXPRESSION.fname])
