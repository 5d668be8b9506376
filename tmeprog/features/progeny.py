"""PROGENy pathway activity (Schubert 2018): 14 pathways scored by their footprint genes.

Statistic (stated, and frozen at fit): for pathway ``p`` with footprint weights ``w_gp`` (the
bundled human top-100 model) and a sample's log expression ``x_g``,

    progeny_p = sum_g w_gp (x_g - mean_g) / sd_p

where ``mean_g`` is gene ``g``'s mean over the fitting samples and ``sd_p`` the standard
deviation (ddof 1) of the centred weighted sum over those samples. On the fitting samples this
is exactly PROGENy's ``progeny(expr, scale = TRUE, top = 100)``: the weighted sum of expression
(``t(expr) %*% model``), scaled per pathway across samples. Freezing ``mean_g`` and ``sd_p``
makes later samples get per-sample scores on the fitting cohort's scale, so a patient scored
alone gets the score they get inside any cohort. The statistic is cohort-dependent by
construction (centred on the fitting cohort): fit it on a cohort of the scored platform.

A footprint gene missing from a sample counts at its fitting mean (contributes 0). A pathway
with fewer than ``min_coverage`` of its footprint genes in the fitting data scores NaN.

References
----------
Schubert M et al. Perturbation-response genes reveal signaling footprints in cancer gene
expression. Nat Commun 2018;9:20. doi:10.1038/s41467-017-02391-6.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from tmeprog.errors import InputError
from tmeprog.features.coverage import CoverageWarning
from tmeprog.features.scoring import check_expression_frame
from tmeprog.signatures.references import load_progeny


def feature_name(pathway: str) -> str:
    """Output column of a PROGENy pathway: ``JAK-STAT`` -> ``progeny_jak_stat``."""
    return "progeny_" + re.sub(r"[^0-9a-z]+", "_", pathway.lower()).strip("_")


def progeny_features() -> tuple[str, ...]:
    """Every PROGENy output column, in the model's pathway order."""
    return tuple(feature_name(p) for p in load_progeny().columns)


def footprints() -> dict[str, list[str]]:
    """Output column -> footprint genes (non-zero weights), for coverage audits."""
    w = load_progeny()
    return {feature_name(p): list(w.index[w[p].to_numpy() != 0]) for p in w.columns}


def _frame(X) -> pd.DataFrame:
    check_expression_frame(X)  # a DataFrame, numeric, unique gene columns
    return X


class Progeny(TransformerMixin, BaseEstimator):
    """PROGENy activities of the 14 pathways, with gene means and pathway SDs frozen at fit.

    Parameters
    ----------
    min_coverage : float, default 0.5
        Fewest share of a pathway's footprint genes present in the fitting data.

    Attributes
    ----------
    mean_ : pandas.Series
        Fitting mean of each footprint gene present.
    sd_ : pandas.Series
        Fitting SD of each pathway's centred weighted sum (NaN: pathway not scored).
    coverage_ : pandas.Series
        Share of each pathway's footprint genes present at fit.
    n_samples_fit_ : int
    """

    def __init__(self, min_coverage: float = 0.5):
        self.min_coverage = min_coverage

    def fit(self, X: pd.DataFrame, y=None) -> Progeny:
        """Freeze gene means and pathway SDs on log expression ``X`` (samples x genes)."""
        if not 0 < self.min_coverage <= 1:
            raise InputError(f"min_coverage must be in (0, 1]; got {self.min_coverage!r}.")
        X = _frame(X)
        if len(X) < 2:
            raise InputError("PROGENy scales each pathway over the fitting samples and needs "
                             f"at least 2 of them; got {len(X)}.")
        w = load_progeny()
        genes = [g for g in w.index if g in X.columns and X[g].notna().any()]
        vals = X[genes].to_numpy(dtype=np.float64)
        if np.isinf(vals).any():
            r, c = np.argwhere(np.isinf(vals))[0]
            raise InputError(f"expression has an infinite value at sample {X.index[r]!r}, "
                             f"gene {genes[c]!r}; use log2(x + 1).")
        self.mean_ = pd.Series(np.nanmean(vals, axis=0), index=pd.Index(genes), name="mean")
        nonzero = (w != 0).sum(axis=0)
        self.coverage_ = ((w.loc[genes] != 0).sum(axis=0) / nonzero).rename("coverage")
        self.coverage_.index = [feature_name(p) for p in w.columns]
        self.n_samples_fit_ = len(X)
        raw = self._sums(X)
        sd = pd.Series(np.nanstd(raw, axis=0, ddof=1), index=self.coverage_.index, name="sd")
        sd[(self.coverage_ < self.min_coverage) | ~(sd > 0)] = np.nan
        self.sd_ = sd
        low = sd.index[sd.isna()].tolist()
        if low:
            warnings.warn(f"PROGENy: {len(low)} pathway(s) have fewer than "
                          f"{self.min_coverage:.0%} of their footprint genes in the data (or "
                          f"do not vary) and score NaN: {', '.join(low)}", CoverageWarning,
                          stacklevel=2)
        return self

    def _sums(self, X: pd.DataFrame) -> np.ndarray:
        w = load_progeny().loc[self.mean_.index]
        centred = X.reindex(columns=self.mean_.index).to_numpy(dtype=np.float64)
        centred = centred - self.mean_.to_numpy()
        centred[np.isnan(centred)] = 0.0  # a missing gene counts at its fitting mean
        out = np.empty((len(X), w.shape[1]))
        for j, p in enumerate(w.columns):
            nz = np.flatnonzero(w[p].to_numpy() != 0)
            # one contiguous row per sample: its sum does not depend on the other samples
            out[:, j] = (np.ascontiguousarray(centred[:, nz]) * w[p].to_numpy()[nz]).sum(axis=1)
        return out

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Pathway activities: samples x ``progeny_<pathway>``."""
        check_is_fitted(self, "sd_")
        X = _frame(X)
        scores = self._sums(X) / self.sd_.to_numpy()
        return pd.DataFrame(scores, index=X.index, columns=list(self.sd_.index))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the output columns."""
        return np.asarray(progeny_features(), dtype=object)
