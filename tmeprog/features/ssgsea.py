"""Single-sample GSEA enrichment scores (Barbie 2009), exactly as GSVA computes them.

The score of gene set ``S`` (``k`` genes present among ``n``) in one sample is GSVA's
``method="ssgsea", ssgsea.norm=FALSE``: genes are ranked by expression, each gene weighted by
``rank ** alpha``, and the random-walk difference is summed over all positions. GSVA's closed
form of that sum is

    ES = sum_S w_g * (n - p_g) / sum_S w_g  -  (n (n + 1) / 2 - sum_S (n - p_g)) / (n - k)

with ``p_g`` the 0-based position of gene ``g`` in decreasing order of expression and ``w_g``
the weight. Exact parity with GSVA needs its tie rules, which this module reproduces:

- ranks are increasing average ranks truncated to integers (``mode(R) <- "integer"``);
- the decreasing order keeps tied genes in their original (column) order (R's stable
  ``order(decreasing = TRUE)``).

References
----------
Barbie DA et al. Nature 2009;462:108-112. doi:10.1038/nature08460.
Hänzelmann S, Castelo R, Guinney J. BMC Bioinformatics 2013;14:7. doi:10.1186/1471-2105-14-7.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from tmeprog.features.ranking import rank_chunk


@lru_cache(maxsize=8)
def _rank_weights(n: int, alpha: float) -> np.ndarray:
    # C pow() per integer rank, the same call R makes for abs(R)^alpha.
    return np.array([math.pow(r, alpha) for r in range(n + 1)], dtype=np.float64)


def ssgsea_chunk(
    x: np.ndarray, gene_sets: Sequence[np.ndarray], alpha: float = 0.25
) -> np.ndarray:
    """GSVA ssGSEA enrichment scores (no normalisation) of a block of samples.

    Parameters
    ----------
    x : numpy.ndarray
        ``(n_samples, n_genes)`` float64, finite.
    gene_sets : sequence of numpy.ndarray
        Each set as unique column indices into ``x``; an empty set scores NaN.
    alpha : float
        Rank weight exponent (GSVA's ``tau``; 0.25 for ssGSEA).

    Returns
    -------
    numpy.ndarray
        ``(n_samples, n_sets)`` float64.
    """
    n_rows, n = x.shape
    out = np.full((n_rows, len(gene_sets)), np.nan)
    nonempty = [i for i, s in enumerate(gene_sets) if len(s)]
    if not nonempty or n_rows == 0:
        return out
    cols = np.concatenate([gene_sets[i] for i in nonempty])
    ranks = rank_chunk(x, cols)  # one column per (set, gene), sample-major
    # Each set is a contiguous slice of each sample's row: its sums are numpy's pairwise sums
    # over that slice, the same whatever the number of samples, so a sample scored alone
    # gets bitwise the score it gets in a cohort.
    w = _rank_weights(n, float(alpha))[ranks.truncated_average_rank()]
    d = (n - ranks.pos).astype(np.float64)  # GSVA's n - idx + 1 with a 1-based idx
    wd = w * d
    total = n * (n + 1) / 2
    start = 0
    for i in nonempty:
        k = len(gene_sets[i])
        cut = slice(start, start + k)
        start += k
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, i] = (wd[:, cut].sum(axis=1) / w[:, cut].sum(axis=1)
                         - (total - d[:, cut].sum(axis=1)) / (n - k))
    return out
