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
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

_SIGN_MASK = np.int64(0x7FFFFFFFFFFFFFFF)


@dataclass(frozen=True)
class ChunkRanks:
    """Decreasing-order positions and tie groups of some genes, for a block of samples.

    All arrays are ``(n_samples, n_cols)`` int64, one column per requested gene.

    Attributes
    ----------
    n : int
        Number of genes ranked.
    pos : numpy.ndarray
        0-based position in decreasing order of expression; tied genes keep column order.
    first, last : numpy.ndarray
        First and last position of the gene's tie group (both equal ``pos`` without ties).
    """

    n: int
    pos: np.ndarray
    first: np.ndarray
    last: np.ndarray

    def truncated_average_rank(self) -> np.ndarray:
        """Increasing average rank truncated to an integer, as GSVA's ``ssgsea``."""
        # Average increasing rank of positions first..last is n - (first + last) / 2.
        return self.n - (self.first + self.last + 1) // 2

    def min_rank(self) -> np.ndarray:
        """Increasing rank with ties given their minimum rank (R ``ties.method="min"``)."""
        return self.n - self.last


def _descending_keys(x: np.ndarray) -> np.ndarray:
    """Int64 keys whose increasing order is the decreasing order of ``x`` (finite values)."""
    k = x + 0.0  # a copy in which -0.0 became 0.0, so the two tie as in R
    k = k.view(np.int64)
    sign = k >> 63
    sign &= _SIGN_MASK
    k ^= sign  # IEEE order -> signed integer order
    del sign
    np.invert(k, out=k)  # reverse the order exactly
    return k


def _exact_order(keys: np.ndarray) -> np.ndarray:
    """Increasing order of ``keys`` per row, ties in column order (slow path)."""
    n = keys.shape[1]
    order = np.argsort(keys, axis=1)
    skeys = np.take_along_axis(keys, order, axis=1)
    starts = np.ones(keys.shape, dtype=bool)
    np.not_equal(skeys[:, 1:], skeys[:, :-1], out=starts[:, 1:])
    group = np.cumsum(starts, axis=1, dtype=np.int64)
    return np.sort(group * n + order, axis=1) % n


def _tie_bounds(same: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last position of each position's tie group; ``same[:, i]``: i ties i + 1."""
    rows, n = same.shape[0], same.shape[1] + 1
    idx = np.arange(n, dtype=np.int64)
    flag = np.ones((rows, n), dtype=bool)
    np.logical_not(same, out=flag[:, 1:])
    first = np.maximum.accumulate(np.where(flag, idx, 0), axis=1)
    flag[:, -1] = True
    np.logical_not(same, out=flag[:, :-1])
    last = np.minimum.accumulate(np.where(flag, idx, n)[:, ::-1], axis=1)[:, ::-1]
    return first, last


def rank_chunk(x: np.ndarray, cols: np.ndarray) -> ChunkRanks:
    """Rank every sample (row) of ``x`` and return positions of the genes ``cols``.

    Genes are put in decreasing order of expression, tied genes in column order. The fast
    path sorts one packed int64 per gene (the high bits of an order-preserving key, then the
    column index); rows where two different values share those high bits are re-ordered on
    the full key, so the order is always exact.

    Parameters
    ----------
    x : numpy.ndarray
        ``(n_samples, n_genes)`` float64, finite.
    cols : numpy.ndarray
        Column indices of the genes whose ranks are wanted.

    Returns
    -------
    ChunkRanks
    """
    n_rows, n = x.shape
    keys = _descending_keys(x)
    bits = max(1, (n - 1).bit_length())
    low = np.int64((1 << bits) - 1)
    order = keys & ~low
    order |= np.arange(n, dtype=np.int64)
    order.sort(axis=1)
    top_eq = (order[:, 1:] ^ order[:, :-1]).view(np.uint64) <= low  # same high bits
    order &= low
    cand = np.flatnonzero(top_eq.any(axis=1))
    tied_rows = cand[:0]
    first_pos = last_pos = None
    if cand.size:
        skeys = np.take_along_axis(keys[cand], order[cand], axis=1)
        same = skeys[:, 1:] == skeys[:, :-1]
        near = (top_eq[cand] & ~same).any(axis=1)
        if near.any():  # distinct values sharing the high bits: order them exactly
            rows = cand[near]
            order[rows] = _exact_order(keys[rows])
            fixed = np.take_along_axis(keys[rows], order[rows], axis=1)
            same[near] = fixed[:, 1:] == fixed[:, :-1]
        del skeys
        has_tie = same.any(axis=1)
        tied_rows = cand[has_tie]
        if tied_rows.size:
            first_pos, last_pos = _tie_bounds(same[has_tie])
        del same
    del keys, top_eq
    inv = np.empty_like(order)
    np.put_along_axis(inv, order, np.arange(n, dtype=np.int64)[None, :], axis=1)
    del order
    pos = np.take(inv, cols, axis=1)
    del inv
    if first_pos is None:
        return ChunkRanks(n=n, pos=pos, first=pos, last=pos)
    first = pos.copy()
    last = pos.copy()
    first[tied_rows] = np.take_along_axis(first_pos, pos[tied_rows], axis=1)
    last[tied_rows] = np.take_along_axis(last_pos, pos[tied_rows], axis=1)
    return ChunkRanks(n=n, pos=pos, first=first, last=last)


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
