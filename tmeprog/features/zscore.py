"""Z-score signature scores against a reference frozen at fit time.

Each gene is standardised with the mean and standard deviation it had in a reference cohort,
``z = (x - mean) / sd``, and a signature scores the mean z of its genes (weighted signatures:
``sum(w * z) / sum(|w|)``). Because the reference is frozen, a sample scores the same alone or
within any cohort. Genes missing from the reference, or constant in it (``sd <= min_sd``), are
left out of every signature, like genes missing from the data.

Reference
---------
Lee E et al. Inferring pathway activity toward precise disease classification. PLoS Comput
Biol 2008;4:e1000217. doi:10.1371/journal.pcbi.1000217 (combined z-score; here averaged).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from tmeprog.errors import InputError


@dataclass(frozen=True)
class ReferencedSet:
    """Column indices of a signature's genes with their reference mean, sd and weight."""

    cols: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    weight: np.ndarray


class ZScoreReference(BaseEstimator):
    """Per-gene mean and standard deviation of a reference cohort, frozen for scoring.

    Parameters
    ----------
    ddof : int, default 1
        Delta degrees of freedom of the standard deviation (1: R's ``sd``).
    min_sd : float, default 1e-10
        Genes whose reference sd is at most this are not used (their z is undefined).

    Attributes
    ----------
    mean_ : pandas.Series
        Reference mean per gene.
    sd_ : pandas.Series
        Reference standard deviation per gene.
    feature_names_in_ : numpy.ndarray
        Genes seen in ``fit``.
    n_features_in_ : int
        Number of genes seen in ``fit``.
    n_samples_fit_ : int
        Number of reference samples.
    """

    def __init__(self, ddof: int = 1, min_sd: float = 1e-10):
        self.ddof = ddof
        self.min_sd = min_sd

    def fit(self, expression: pd.DataFrame, y=None) -> ZScoreReference:
        """Freeze each gene's mean and sd over the samples of ``expression``.

        Parameters
        ----------
        expression : pandas.DataFrame
            Samples x genes, numeric, no missing values, unique gene columns.
        y : None
            Ignored.

        Returns
        -------
        ZScoreReference
            The fitted reference.
        """
        if not isinstance(expression, pd.DataFrame):
            raise InputError(
                "ZScoreReference.fit takes a pandas DataFrame (samples x genes); got "
                f"{type(expression).__name__}."
            )
        if expression.columns.has_duplicates:
            dup = list(dict.fromkeys(expression.columns[expression.columns.duplicated()]))[:5]
            raise InputError(
                f"reference expression has duplicated gene columns (e.g. {dup}); collapse them "
                "to one column per gene before fitting."
            )
        if expression.shape[0] <= self.ddof:
            raise InputError(
                f"reference expression has {expression.shape[0]} sample(s); a z-score "
                f"reference needs more than ddof={self.ddof}."
            )
        bad = [c for c, t in expression.dtypes.items() if not pd.api.types.is_numeric_dtype(t)]
        if bad:
            raise InputError(
                f"reference expression has non-numeric gene columns (e.g. {bad[:5]}); pass "
                "numbers only."
            )
        values = expression.to_numpy(dtype=np.float64)
        if not np.isfinite(values).all():
            r, c = np.argwhere(~np.isfinite(values))[0]
            raise InputError(
                f"reference expression has a missing or infinite value at sample "
                f"{expression.index[r]!r}, gene {expression.columns[c]!r}; impute or drop it "
                "before fitting."
            )
        genes = expression.columns
        self.mean_ = pd.Series(values.mean(axis=0), index=genes, name="mean")
        self.sd_ = pd.Series(values.std(axis=0, ddof=self.ddof), index=genes, name="sd")
        self.feature_names_in_ = np.asarray(genes, dtype=object)
        self.n_features_in_ = len(genes)
        self.n_samples_fit_ = int(values.shape[0])
        return self

    def usable_genes(self) -> pd.Index:
        """Genes whose reference sd exceeds ``min_sd``."""
        check_is_fitted(self, "sd_")
        return self.sd_.index[self.sd_.to_numpy() > self.min_sd]


def zscore_chunk(x: np.ndarray, gene_sets: Sequence[ReferencedSet]) -> np.ndarray:
    """Weighted mean reference z-score of each set, for a block of samples.

    Parameters
    ----------
    x : numpy.ndarray
        ``(n_samples, n_genes)`` float64, finite.
    gene_sets : sequence of ReferencedSet
        An empty set scores NaN.

    Returns
    -------
    numpy.ndarray
        ``(n_samples, n_sets)`` float64.
    """
    out = np.full((x.shape[0], len(gene_sets)), np.nan)
    for i, s in enumerate(gene_sets):
        if not len(s.cols):
            continue
        # One contiguous row per sample: its sum does not depend on the other samples.
        z = (np.ascontiguousarray(x[:, s.cols]) - s.mean) / s.sd
        out[:, i] = (z * s.weight).sum(axis=1) / np.abs(s.weight).sum()
    return out
