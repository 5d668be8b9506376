"""singscore: rank-based single-sample scores (Foroutan 2018), as R's ``singscore::simpleScore``.

In each sample genes are ranked increasingly by expression, ties given their minimum rank
(``rankGenes`` default). For a set of ``k`` genes among ``n`` the mean rank is scaled between
its theoretical bounds ``(k + 1) / 2`` and ``(2n - k + 1) / 2`` to ``[0, 1]`` and, by default,
centred by subtracting 0.5. With a down set too, the total score is
``(up - 0.5) + (1 - down - 0.5)``. The dispersion of a set is the median absolute deviation
of its ranks (R's ``mad``, constant 1.4826); up and down dispersions add.

With ``known_direction=False`` (undirected set, up genes only) ranks are folded to
``|r - ceiling(median(r))|``, bounds use ``floor(k / 2)`` and ``ceiling(n / 2)``, and the score
is not centred, as in singscore.

Reference
---------
Foroutan M et al. Single sample scoring of molecular phenotypes. BMC Bioinformatics
2018;19:404. doi:10.1186/s12859-018-2435-4.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tmeprog.features.ranking import rank_chunk

MAD_CONSTANT = 1.4826


@dataclass(frozen=True)
class DirectedSet:
    """Column indices of a signature's up genes and (possibly empty) down genes."""

    up: np.ndarray
    down: np.ndarray


def _mad(r: np.ndarray) -> np.ndarray:
    """R's ``mad`` of each column of a gene-major ``(k, n_samples)`` array."""
    med = np.median(r, axis=0)
    return MAD_CONSTANT * np.median(np.abs(r - med), axis=0)


def _scaled(mean_rank: np.ndarray, k: int, n: int) -> np.ndarray:
    low, high = (k + 1) / 2, (2 * n - k + 1) / 2
    return (mean_rank - low) / (high - low)


def singscore_chunk(
    x: np.ndarray,
    gene_sets: Sequence[DirectedSet],
    center: bool = True,
    known_direction: bool = True,
    dispersion: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """singscore of a block of samples.

    Parameters
    ----------
    x : numpy.ndarray
        ``(n_samples, n_genes)`` float64, finite.
    gene_sets : sequence of DirectedSet
        Unique column indices of each set's up and down genes. A set with no up gene scores
        as a down-only set ``0.5 - down`` (centred); a set with no gene scores NaN.
    center : bool
        Subtract 0.5 from each directional score (singscore's ``centerScore``).
    known_direction : bool
        False scores up-only sets as undirected (see module notes); sets with down genes then
        raise ``ValueError``.
    dispersion : bool
        Also return the dispersion (MAD of ranks).

    Returns
    -------
    numpy.ndarray or tuple of numpy.ndarray
        ``(n_samples, n_sets)`` scores, and dispersions when ``dispersion`` is true.
    """
    n_rows, n = x.shape
    scores = np.full((n_rows, len(gene_sets)), np.nan)
    disp = np.full_like(scores, np.nan)
    if not known_direction and any(len(s.down) for s in gene_sets):
        raise ValueError("undirected singscore takes gene sets without down genes")
    cols = [c for s in gene_sets for c in (s.up, s.down) if len(c)]
    if cols and n_rows:
        union, inverse = np.unique(np.concatenate(cols), return_inverse=True)
        bound_n = n
        offset = 0.5 if center else 0.0
        if known_direction:
            ranks = rank_chunk(x, union).min_rank()
        else:
            full = rank_chunk(x, np.arange(n)).min_rank()
            med = np.ceil(np.median(full, axis=1))
            ranks = np.abs(full[:, union] - med[:, None])
            del full
            bound_n = -(-n // 2)  # ceiling(n / 2)
            offset = 0.0
        ranks = np.ascontiguousarray(ranks.T, dtype=np.float64)  # gene-major (n_union, n_samples)
        start = 0
        for i, s in enumerate(gene_sets):
            parts = []
            for c in (s.up, s.down):
                parts.append(ranks[inverse[start:start + len(c)]])
                start += len(c)
            up, down = parts
            if not len(up) and not len(down):
                continue
            k_up = len(up) if known_direction else len(up) // 2
            if len(up):
                scores[:, i] = _scaled(up.mean(axis=0), k_up, bound_n) - offset
                disp[:, i] = _mad(up) if dispersion else np.nan
            if len(down):
                dn = 1.0 - _scaled(down.mean(axis=0), len(down), n) - offset
                d_dn = _mad(down) if dispersion else np.nan
                scores[:, i] = dn if not len(up) else scores[:, i] + dn
                disp[:, i] = d_dn if not len(up) else disp[:, i] + d_dn
    return (scores, disp) if dispersion else scores
