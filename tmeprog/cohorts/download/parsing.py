"""Small parsing helpers shared by the public-cohort readers."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from tmeprog.cohorts.genes import harmonise_genes
from tmeprog.cohorts.vocabulary import hormone_receptor, receptor_subtype
from tmeprog.errors import InputError

MONTHS_PER_YEAR = 12.0

# Spellings of "missing" met in the public sources (cBioPortal, Xena, GEO, R exports).
NA_SPELLINGS = frozenset({
    "", "na", "n/a", "nan", "null", "none", "unknown", "not available", "not applicable",
    "[not available]", "[not applicable]", "[not evaluated]", "[unknown]", "[discrepancy]",
    "indeterminate", "equivocal", "not performed",
})


def read_text(path: Path) -> str:
    """A text file as one string with ``\\n`` line ends (``\\r\\n`` and old-Mac ``\\r`` too)."""
    raw = Path(path).read_bytes()
    try:
        txt = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        txt = raw.decode("latin-1")
    return txt.replace("\r\n", "\n").replace("\r", "\n")


def read_tsv_text(text: str, *, comment: str | None = None, sep: str = "\t") -> pd.DataFrame:
    """Parse a delimited text as strings (nothing coerced), dropping lines starting ``comment``."""
    if comment is not None:
        text = "\n".join(ln for ln in text.split("\n") if not ln.startswith(comment))
    return pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                       na_filter=False, quoting=0)


def clean(s: pd.Series) -> pd.Series:
    """Strip white space and turn every missing spelling into ``<NA>`` (string dtype)."""
    out = s.astype("string").str.strip()
    return out.mask(out.str.lower().isin(NA_SPELLINGS))


def to_num(s: pd.Series) -> pd.Series:
    """Numbers, with every non-numeric entry missing (float)."""
    return pd.to_numeric(clean(s), errors="coerce").astype(float)


def status01(s: pd.Series, positive: tuple[str, ...], negative: tuple[str, ...]) -> pd.Series:
    """Map source spellings to 1/0 (nullable Int64) by case-insensitive exact match.

    ``cBioPortal`` codes such as ``1:DECEASED`` match on their leading digit.
    """
    v = clean(s).str.lower()
    coded = v.str.extract(r"^([01])\s*:", expand=False)
    pos = {p.lower() for p in positive}
    neg = {n.lower() for n in negative}
    out = pd.Series(pd.NA, index=s.index, dtype="Int64")
    out[v.isin(pos).fillna(False)] = 1
    out[v.isin(neg).fillna(False)] = 0
    out[(coded == "1").fillna(False)] = 1
    out[(coded == "0").fillna(False)] = 0
    return out


def receptor(s: pd.Series) -> pd.Series:
    """Receptor status from ``Positive``/``Negative``, ``pos``/``neg``, ``P``/``N``, ``+``/``-``.

    cBioPortal's METABRIC patient table spells positive ``Positve``; it is accepted.
    """
    return status01(s, ("positive", "positve", "pos", "p", "+", "1"),
                    ("negative", "neg", "n", "-", "0"))


def yes_no(s: pd.Series) -> pd.Series:
    """1/0 from ``YES``/``NO`` (any case), ``1``/``0``, ``TRUE``/``FALSE``."""
    return status01(s, ("yes", "y", "1", "true"), ("no", "n", "0", "false"))


def subtype(hr: pd.Series, her2: pd.Series) -> pd.Series:
    """Receptor subtype (vocabulary spelling) from HR and HER2."""
    return receptor_subtype(hr, her2)


def receptor_columns(er: pd.Series, pr: pd.Series, her2: pd.Series) -> dict[str, pd.Series]:
    """The clinical columns of three receptor statuses (0/1): ``er``, ``pr``, ``her2``, then
    ``hr`` (:func:`hormone_receptor`) and ``subtype`` (:func:`subtype`)."""
    hr = hormone_receptor(er, pr)
    return {"er": er, "pr": pr, "her2": her2, "hr": hr, "subtype": subtype(hr, her2)}


def grade(s: pd.Series) -> pd.Series:
    """Histological grade 1-3 from text; anything else is missing."""
    g = to_num(s)
    return g.where(g.isin([1, 2, 3]))


def leading_int(s: pd.Series, prefix: str, lo: int, hi: int) -> pd.Series:
    """The integer after ``prefix`` (``T2b`` -> 2, ``N0 (i-)`` -> 0), kept in ``[lo, hi]``."""
    v = clean(s).str.upper().str.extract(rf"^{re.escape(prefix)}\s*(\d)", expand=False)
    n = pd.to_numeric(v, errors="coerce")
    return n.where((n >= lo) & (n <= hi)).astype("Int64")


def survival(time_months: pd.Series, event: pd.Series, name: str,
             report: list[str]) -> tuple[pd.Series, pd.Series]:
    """Pair a time (months) and an event so each is recorded exactly when the other is.

    Times that are zero or negative cannot enter a survival model; they are set missing (with
    their event) and counted in ``report``.
    """
    t = pd.to_numeric(time_months, errors="coerce").astype(float)
    e = pd.to_numeric(event, errors="coerce").astype(float)
    e = e.where(e.isin([0.0, 1.0]))
    nonpos = (t <= 0).fillna(False)
    if nonpos.any():
        report.append(f"{name}: {int(nonpos.sum())} samples with a follow-up time of zero or "
                      "less set missing for this endpoint")
    t = t.mask(nonpos)
    both = t.notna() & e.notna()
    return t.where(both), e.where(both)


def ensure_log_scale(expr: pd.DataFrame, where: str, declared: str, *,
                     transform: bool, report: list[str]) -> pd.DataFrame:
    """Check that expression is on a log scale; log2-transform linear values when allowed.

    A matrix whose 99th percentile exceeds 100 is taken as linear (log2 values of array or
    RNA-seq data stay below ~25).
    """
    vals = expr.to_numpy(dtype=float)
    finite = vals[np.isfinite(vals)]
    if finite.size == 0:
        raise InputError(f"{where}: the expression matrix holds no numbers")
    q99 = float(np.quantile(finite, 0.99))
    if q99 <= 100:
        return expr
    if not transform:
        raise InputError(
            f"{where}: expression values look linear (99th percentile {q99:.0f}) although the "
            f"source documents {declared}; the file is not the expected release: delete it "
            "and fetch the cohort again"
        )
    report.append(f"expression: values looked linear (99th percentile {q99:.0f}); "
                  "applied log2(max(x, 1))")
    return np.log2(expr.clip(lower=1.0))


def drop_incomplete_genes(expr: pd.DataFrame, report: list[str]) -> pd.DataFrame:
    """Drop genes with any missing value (counted in ``report``)."""
    bad = expr.isna().any(axis=0)
    if bad.any():
        report.append(f"expression: {int(bad.sum())} genes with missing values dropped")
    return expr.loc[:, ~bad.to_numpy()]


def prepare_expression(expr: pd.DataFrame, name: str, declared: str, *, transform: bool,
                       report: list[str]) -> pd.DataFrame:
    """:func:`ensure_log_scale`, :func:`drop_incomplete_genes`, then HGNC symbol harmonisation.

    ``name`` is the cohort (for messages), ``declared`` the scale its source documents; every
    step is counted in ``report``.
    """
    expr = ensure_log_scale(expr, f"cohort {name!r}", declared, transform=transform,
                            report=report)
    expr = drop_incomplete_genes(expr, report)
    expr, gene_report = harmonise_genes(expr)
    report.extend(gene_report.lines())
    return expr


def read_matrix(path: Path, n_id_cols: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a features-in-rows matrix (tab-separated, optionally gzipped) with exact rounding.

    Parameters
    ----------
    path : Path
        The table: ``n_id_cols`` identifier columns, then one numeric column per sample.
    n_id_cols : int
        Number of leading identifier columns.

    Returns
    -------
    (values, ids)
        ``values``: rows x samples, float; ``ids``: the identifier columns as strings.
    """
    try:
        tab = pd.read_csv(path, sep="\t", engine="pyarrow")
    except ImportError:  # pragma: no cover - pyarrow ships with the project environment
        tab = pd.read_csv(path, sep="\t", float_precision="round_trip", low_memory=False)
    ids = tab.iloc[:, :n_id_cols].astype("string")
    values = tab.iloc[:, n_id_cols:].apply(pd.to_numeric, errors="coerce").astype(float)
    values.columns = values.columns.astype(str)
    return values, ids
