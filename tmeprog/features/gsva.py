"""GSVA enrichment scores (Hänzelmann 2013) with the per-gene kernel reference frozen at fit.

GSVA (``method="gsva"``, ``kcdf="Gaussian"``, ``mx.diff=TRUE``, ``tau=1``) scores a sample in
three steps:

1. for each gene ``g``, the sample's value ``y`` is placed in the gene's distribution over the
   *reference samples* ``x_1..x_m`` by a Gaussian kernel CDF with bandwidth ``sd(x) / 4``:
   ``F = mean_i Phi((y - x_i) / bw)``, turned into the log-odds ``log(F / (1 - F))``. GSVA
   evaluates ``Phi`` from a table of 10,001 values on ``[0, 10]`` (index truncated); this
   module uses the same table, so scores match R's to rounding;
2. genes are ordered by that statistic, decreasing (ties in gene order), and the gene at
   position ``j`` (1-based) of ``n`` gets the rank score ``|n - j + 1 - n / 2|``;
3. a random walk over that order steps up by ``score / sum(set scores)`` at set genes and down
   by ``1 / (n - k)`` elsewhere; the enrichment score is its maximum plus its minimum.

The statistic of step 1 depends on the reference samples: GSVA is **cohort-dependent by
construction**. In R the reference is the cohort being scored. Here it is frozen at fit
(:class:`GSVAReference`), so a patient scored alone gets the score they get inside any cohort;
fitting and scoring the same samples reproduces R's GSVA. The frozen reference stores each
gene's reference values sorted on their own (no sample's profile can be read back from it).
Genes constant in the reference (sd < 1e-10) are left out, as GSVA does.

References
----------
Hänzelmann S, Castelo R, Guinney J. GSVA: gene set variation analysis for microarray and
RNA-seq data. BMC Bioinformatics 2013;14:7. doi:10.1186/1471-2105-14-7.
"""

from __future__ import annotations

from collections.abc import Sequence

import numba
import numpy as np
import pandas as pd
from scipy.special import ndtr
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from tmeprog.errors import InputError
from tmeprog.features.ranking import rank_chunk

#: GSVA's precomputed normal CDF: 10,001 points on [0, 10].
_RESOLUTION = 10000
_MAX_V = 10.0
_CDF_TABLE = ndtr(_MAX_V * np.arange(_RESOLUTION + 1, dtype=np.float64) / _RESOLUTION)
MIN_SD = 1e-10


def _gsva_sd(values: np.ndarray) -> np.ndarray:
    """Per-column sample SD as GSVA's C code computes it (extended-precision sums)."""
    x = values.astype(np.longdouble)
    n = x.shape[0]
    tmp = x.sum(axis=0) / n
    tmp = tmp + (x - tmp).sum(axis=0) / n
    mean = tmp.astype(np.float64)
    d = values - mean  # double arithmetic, as in C
    ss = (d * d).astype(np.longdouble).sum(axis=0)
    return np.sqrt((ss / (n - 1)).astype(np.float64))


@numba.njit(cache=True, nogil=True, parallel=True)
def _density(ref, bw, y, table):  # pragma: no cover - compiled
    """Kernel log-odds of ``y`` (samples x genes) against ``ref`` (reference x genes)."""
    n_ref, n_genes = ref.shape
    out = np.empty(y.shape)
    for g in numba.prange(n_genes):
        h = bw[g]
        for j in range(y.shape[0]):
            yj = y[j, g]
            left = 0.0
            for i in range(n_ref):
                v = (yj - ref[i, g]) / h
                if v < -_MAX_V:
                    continue
                if v > _MAX_V:
                    left += 1.0
                    continue
                c = table[int(abs(v) / _MAX_V * _RESOLUTION)]
                left += 1.0 - c if v < 0 else c
            left = left / n_ref
            out[j, g] = -1.0 * np.log((1.0 - left) / left)
    return out


class GSVAReference(BaseEstimator):
    """The per-gene kernel reference of GSVA, frozen for scoring.

    Attributes
    ----------
    values_ : numpy.ndarray
        ``(n_reference_samples, n_genes_used)``: each gene's reference values, sorted per gene.
    bandwidth_ : pandas.Series
        Kernel bandwidth per used gene, ``sd / 4``.
    genes_ : pandas.Index
        Genes used (not constant in the reference), in input order.
    n_samples_fit_ : int
        Number of reference samples.
    """

    def fit(self, expression: pd.DataFrame, y=None) -> GSVAReference:
        """Freeze each gene's reference values and bandwidth.

        Parameters
        ----------
        expression : pandas.DataFrame
            Reference samples x genes, finite, unique gene columns, at least two samples.
        y : None
            Ignored.

        Returns
        -------
        GSVAReference
        """
        if not isinstance(expression, pd.DataFrame):
            raise InputError("GSVAReference.fit takes a pandas DataFrame (samples x genes); "
                             f"got {type(expression).__name__}.")
        if expression.columns.has_duplicates:
            dup = list(dict.fromkeys(expression.columns[expression.columns.duplicated()]))[:5]
            raise InputError(f"reference expression has duplicated gene columns {dup}; "
                             "collapse them to one column per gene first.")
        if expression.shape[0] < 2:
            raise InputError(f"GSVA's kernel reference needs at least 2 samples; got "
                             f"{expression.shape[0]}.")
        values = expression.to_numpy(dtype=np.float64)
        if not np.isfinite(values).all():
            r, c = np.argwhere(~np.isfinite(values))[0]
            raise InputError(f"reference expression has a missing or infinite value at sample "
                             f"{expression.index[r]!r}, gene {expression.columns[c]!r}; impute "
                             "or drop it before fitting.")
        sd = _gsva_sd(values)
        sd[sd < MIN_SD] = 0.0
        keep = sd > 0
        if keep.sum() < 2:
            raise InputError("fewer than two genes vary across the GSVA reference samples.")
        self.genes_ = expression.columns[keep]
        self.bandwidth_ = pd.Series(sd[keep] / 4.0, index=self.genes_, name="bandwidth")
        self.values_ = np.sort(values[:, keep], axis=0)
        self.n_samples_fit_ = int(values.shape[0])
        return self

    def density(self, x: np.ndarray, genes: np.ndarray) -> np.ndarray:
        """Kernel log-odds of samples ``x`` (columns: reference genes at positions ``genes``)."""
        check_is_fitted(self, "values_")
        ref = np.ascontiguousarray(self.values_[:, genes])
        bw = self.bandwidth_.to_numpy()[genes]
        return _density(ref, bw, np.ascontiguousarray(x, dtype=np.float64), _CDF_TABLE)


def gsva_chunk(density: np.ndarray, gene_sets: Sequence[np.ndarray]) -> np.ndarray:
    """GSVA max-difference enrichment scores from kernel statistics.

    Parameters
    ----------
    density : numpy.ndarray
        ``(n_samples, n_genes)`` kernel log-odds of every gene of the universe.
    gene_sets : sequence of numpy.ndarray
        Each set as unique column indices into ``density``; an empty set (or one covering
        every gene) scores NaN.

    Returns
    -------
    numpy.ndarray
        ``(n_samples, n_sets)`` float64.
    """
    n_rows, n = density.shape
    out = np.full((n_rows, len(gene_sets)), np.nan)
    nonempty = [i for i, s in enumerate(gene_sets) if 0 < len(s) < n]
    if not nonempty or n_rows == 0:
        return out
    cols = np.concatenate([gene_sets[i] for i in nonempty])
    pos = rank_chunk(density, cols).pos  # 0-based, decreasing, ties in gene order
    start = 0
    for i in nonempty:
        k = len(gene_sets[i])
        p = np.sort(pos[:, start:start + k], axis=1)
        start += k
        w = np.abs((n - p) - n / 2.0)  # GSVA's rank score of position p + 1
        cum = np.cumsum(w, axis=1) / w.sum(axis=1, keepdims=True)
        before = np.arange(k)  # set genes above each one
        out_of_set = (p - before) / (n - k)  # walk's down steps before each set gene
        up = cum - out_of_set  # the walk just after each set gene
        down = (cum - w / w.sum(axis=1, keepdims=True)) - out_of_set  # and just before
        out[:, i] = np.maximum(up.max(axis=1), 0.0) + np.minimum(down.min(axis=1), 0.0)
    return out
