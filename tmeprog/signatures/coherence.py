"""Co-expression check: do a signature's genes co-vary in a cohort more than random genes do?

For each signature, the statistic is the mean pairwise correlation (Spearman by default) of its
genes present in the cohort, computed across samples. It is compared with the same statistic for
``n_random`` random gene sets of the same size drawn from all genes of the cohort; the one-sided
empirical p-value is ``(1 + #{random >= observed}) / (1 + n_random)``.

Details
-------
- Each sample is first centred on its median over genes (``center_samples``): this removes the
  per-array intensity offset that makes even random genes correlate on two-colour arrays.
- Weighted or directional signatures use the sign-corrected correlation: pair (i, j) counts
  ``d_i * d_j * r_ij`` with ``d`` the gene's direction (+1/-1), so genes that go down when the
  others go up add to the coherence instead of cancelling it.
- The mean over pairs is computed in closed form: with ``z`` the standardised (ranked) columns
  and ``s = sum_i d_i z_i``, ``sum_{i != j} d_i d_j r_ij = |s|^2 / (n - 1) - k``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from tmeprog.errors import InputError
from tmeprog.signatures.catalogue import Signature

__all__ = ["coexpression", "mean_pairwise_correlation", "standardise"]


def standardise(expression: np.ndarray, *, method: str = "spearman",
                center_samples: bool = True) -> np.ndarray:
    """Column-standardise a samples x genes matrix (ranks first for Spearman).

    Constant columns become all zeros (they correlate with nothing).
    """
    x = np.asarray(expression, dtype=float)
    if center_samples:
        x = x - np.median(x, axis=1, keepdims=True)
    if method == "spearman":
        x = rankdata(x, axis=0)
    elif method != "pearson":
        raise InputError(f"unknown correlation method '{method}'; use 'spearman' or 'pearson'.")
    sd = x.std(axis=0, ddof=1)
    z = (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    z[:, sd == 0] = 0.0
    return z


def mean_pairwise_correlation(z: np.ndarray, idx: np.ndarray,
                              signs: np.ndarray | float = 1.0) -> np.ndarray:
    """Mean (sign-corrected) pairwise correlation of gene sets, vectorised over sets.

    Parameters
    ----------
    z : ndarray of shape (n_samples, n_genes)
        Output of :func:`standardise`.
    idx : ndarray of int, shape (n_sets, k)
        Column indices of each set (k >= 2, no repeats within a set).
    signs : float or ndarray of shape (k,) or (n_sets, k)
        Gene directions (+1/-1).

    Returns
    -------
    ndarray of shape (n_sets,)
    """
    idx = np.atleast_2d(idx)
    n, k = z.shape[0], idx.shape[1]
    if k < 2:
        raise InputError("a gene set needs at least 2 genes for a pairwise correlation.")
    s = (z[:, idx] * signs).sum(axis=2)  # n x n_sets
    total = (s * s).sum(axis=0) / (n - 1) - k
    return total / (k * (k - 1))


def _locate(sig: Signature, columns: dict[str, int]) -> tuple[list[int], list[int]]:
    published = {cur: pub for pub, cur in sig.renamed}
    pos, signs = [], []
    for g, d in zip(sig.genes, sig.direction, strict=True):
        j = columns.get(g)
        if j is None and g in published:
            j = columns.get(published[g])
        if j is not None and j not in pos:
            pos.append(j)
            signs.append(d)
    return pos, signs


def coexpression(
    expression: pd.DataFrame,
    signatures: Iterable[Signature],
    *,
    rng: np.random.Generator,
    n_random: int = 500,
    method: str = "spearman",
    min_fraction: float = 0.5,
    min_genes: int = 3,
    center_samples: bool = True,
) -> pd.DataFrame:
    """Permutation test of each signature's co-expression in one cohort.

    Parameters
    ----------
    expression : pandas.DataFrame
        Samples x genes (log scale), gene symbols as columns.
    signatures : iterable of Signature
        E.g. a :class:`~tmeprog.signatures.Catalogue`.
    rng : numpy.random.Generator
        Source of the random gene sets (pass a seeded generator for reproducible p-values).
    n_random : int, default 500
        Random sets per signature; they are the first ``k`` genes of ``n_random`` random
        permutations of the cohort's genes, drawn once and shared by all signatures.
    method : {"spearman", "pearson"}
        Correlation.
    min_fraction, min_genes : float, int
        A signature is tested only when at least this fraction of its genes, and at least this
        many, are in the cohort.
    center_samples : bool, default True
        Centre each sample on its median over genes first.

    Returns
    -------
    pandas.DataFrame
        One row per signature (index: name) with ``n_genes``, ``n_present``, ``tested``,
        ``mean_corr``, ``null_mean``, ``null_sd`` and ``p_value`` (NaN when not tested).
    """
    if not isinstance(expression, pd.DataFrame) or expression.shape[1] < 2:
        raise InputError("expression must be a samples x genes DataFrame with >= 2 genes.")
    if expression.shape[0] < 4:
        raise InputError(f"need at least 4 samples to correlate genes, got "
                         f"{expression.shape[0]}.")
    values = expression.to_numpy(dtype=float)
    if not np.isfinite(values).all():
        raise InputError("expression holds NaN or infinite values; impute or drop them first.")
    if n_random < 1:
        raise InputError("n_random must be >= 1.")
    z = standardise(values, method=method, center_samples=center_samples)
    columns = {str(g): i for i, g in enumerate(expression.columns)}
    p = z.shape[1]
    order = np.argsort(rng.random((n_random, p)), axis=1)
    rows = []
    for sig in signatures:
        pos, signs = _locate(sig, columns)
        k = len(pos)
        row = {"signature": sig.name, "compartment": sig.compartment, "n_genes": sig.n_genes,
               "n_present": k, "tested": k >= max(min_genes, 2) and k >= min_fraction *
               sig.n_genes, "mean_corr": np.nan, "null_mean": np.nan, "null_sd": np.nan,
               "p_value": np.nan}
        if row["tested"]:
            obs = mean_pairwise_correlation(z, np.array([pos]), np.array(signs, float))[0]
            null = mean_pairwise_correlation(z, order[:, :k], np.array(signs, float))
            row.update(mean_corr=obs, null_mean=null.mean(), null_sd=null.std(ddof=1)
                       if n_random > 1 else np.nan,
                       p_value=(1 + np.count_nonzero(null >= obs)) / (1 + n_random))
        rows.append(row)
    return pd.DataFrame(rows).set_index("signature")
