"""Gene references frozen at fit time: per-gene centres and quantiles, plain or ER-balanced.

Centring decides most PAM50 calls (Parker 2009 centred each gene on its cohort median; Zhao et
al. 2015, doi:10.1186/s13058-015-0520-4, showed that centring an ER-positive-heavy cohort on its
plain median shifts luminal tumours towards non-luminal calls, and proposed an ER-balanced
reference). The ER-balanced median used here is the median of the 50/50 mixture of the ER-positive
and ER-negative samples: every sample weighs ``1 / (2 n_class)``. It is the quantity Zhao's
ER-balanced random subsets estimate, computed without a random draw.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from tmeprog.errors import InputError

CENTRINGS = ("none", "median", "balanced")
#: Fewest samples a cohort reference (median or quantiles) is computed from.
MIN_REFERENCE_SAMPLES = 10
#: Fewest samples of each ER class an ER-balanced reference needs.
MIN_PER_CLASS = 3


def check_expression(X, where: str) -> pd.DataFrame:
    """A numeric samples x genes frame with unique gene columns, or one clear error."""
    if not isinstance(X, pd.DataFrame):
        raise InputError(f"{where}: expression must be a pandas DataFrame (samples x gene "
                         "symbols)")
    if X.shape[0] == 0:
        raise InputError(f"{where}: no samples")
    if X.columns.has_duplicates:
        dup = X.columns[X.columns.duplicated()].unique()[:5].tolist()
        raise InputError(f"{where}: duplicated gene columns {dup}; harmonise genes first "
                         "(tmeprog.cohorts.genes.harmonise_genes)")
    if not all(pd.api.types.is_numeric_dtype(dt) for dt in pd.unique(X.dtypes)):
        bad = [c for c, dt in X.dtypes.items() if not pd.api.types.is_numeric_dtype(dt)]
        raise InputError(f"{where}: non-numeric expression columns, e.g. {bad[:5]}")
    if not X.index.is_unique:
        raise InputError(f"{where}: duplicated sample ids; sample ids must be unique")
    return X


def repeated_quantile(values: np.ndarray, counts: np.ndarray, q: float) -> np.ndarray:
    """Per-column quantile of the rows repeated ``counts`` times, ignoring NaN.

    Equals ``numpy.nanquantile(numpy.repeat(values, counts, axis=0), q, axis=0)`` (linear
    interpolation, R's type 7) without building the repeated matrix.
    """
    out = np.full(values.shape[1], np.nan)
    for j in range(values.shape[1]):
        v = values[:, j]
        ok = ~np.isnan(v) & (counts > 0)
        if not ok.any():
            continue
        order = np.argsort(v[ok], kind="stable")
        x = v[ok][order]
        cum = np.cumsum(counts[ok][order])
        h = (cum[-1] - 1) * q
        lo = int(np.floor(h))
        i0 = int(np.searchsorted(cum, lo, side="right"))
        i1 = int(np.searchsorted(cum, min(lo + 1, cum[-1] - 1), side="right"))
        out[j] = x[i0] + (h - lo) * (x[i1] - x[i0])
    return out


def balance_counts(er: pd.Series, where: str) -> np.ndarray:
    """Repeat counts that make both ER classes weigh equally (0 for unknown ER).

    Each ER-positive sample counts ``n_neg / g`` times and each ER-negative one ``n_pos / g``
    (``g`` their greatest common divisor).
    """
    v = pd.to_numeric(er, errors="coerce").to_numpy(dtype=float)
    pos, neg = v == 1, v == 0
    n_pos, n_neg = int(pos.sum()), int(neg.sum())
    if min(n_pos, n_neg) < MIN_PER_CLASS:
        raise InputError(
            f"{where}: the ER-balanced centring needs both ER classes (at least {MIN_PER_CLASS} "
            f"samples each); this cohort has {n_pos} ER-positive and {n_neg} ER-negative. "
            "For a one-class cohort fit the classifier on a mixed reference cohort and predict "
            "these samples with it, or use centring='none' on data already centred against a "
            "mixed reference")
    g = math.gcd(n_pos, n_neg)
    counts = np.zeros(len(v), dtype=np.int64)
    counts[pos] = n_neg // g
    counts[neg] = n_pos // g
    return counts


def check_reference_size(n: int, centring: str, where: str) -> None:
    """Refuse a cohort reference computed from too few samples."""
    if n < MIN_REFERENCE_SAMPLES:
        raise InputError(
            f"{where}: centring={centring!r} computes each gene's reference from the cohort, "
            f"which needs at least {MIN_REFERENCE_SAMPLES} samples (got {n}). To score a "
            "single sample or a small batch, fit on a reference cohort and apply the fitted "
            "estimator (the patient then gets what it gets within that cohort), or use "
            "centring='none' for data already centred against a reference")


def gene_reference(values: np.ndarray, centring: str, counts: np.ndarray | None,
                   quantiles: tuple[float, ...] = ()) -> tuple[np.ndarray, list[np.ndarray]]:
    """Per-gene centre and quantiles of a reference (plain, or rows repeated ``counts`` times).

    Returns
    -------
    (numpy.ndarray, list of numpy.ndarray)
        The centre (zeros for ``none``) and one array per requested quantile. Quantiles use
        linear interpolation (numpy's default, R's type 7, as genefu's ``quantile``).
    """
    if centring == "none":
        return np.zeros(values.shape[1]), []
    if centring == "median":
        with np.errstate(all="ignore"):
            centre = np.nanmedian(values, axis=0)
            qs = [np.nanquantile(values, q, axis=0) for q in quantiles]
        return centre, qs
    centre = repeated_quantile(values, counts, 0.5)
    return centre, [repeated_quantile(values, counts, q) for q in quantiles]
