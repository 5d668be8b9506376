"""TIL calibration: map the expression ``til_density`` score to pathologist stromal TIL %.

Expression-based lymphocyte scores rank tumours by infiltration but are not percentages. On a
cohort that records the pathologist's stromal TIL percentage (``stil_pct``, clinical vocabulary),
:class:`TILCalibrator` fits a monotone (isotonic) map score -> sTIL %, so other cohorts scored
with the same platform and method can be read on the sTIL % scale. The map is only as good as
the agreement between score and pathology: ``fit`` reports the Spearman correlation and the
cross-validated mean absolute error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.isotonic import IsotonicRegression
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.utils.validation import check_is_fitted

from tmeprog.errors import InputError


class TILCalibrator(TransformerMixin, BaseEstimator):
    """Isotonic map from ``til_density`` to stromal TIL percentage.

    Parameters
    ----------
    n_splits : int
        Folds of the cross-validated error reported by ``fit``.
    min_samples : int
        Fewest samples with both values needed to fit.

    Attributes
    ----------
    spearman_ : float
        Spearman correlation of score and sTIL % on the fitting cohort.
    cv_mae_ : float
        Cross-validated mean absolute error, in sTIL percentage points.
    n_ : int
        Samples used.
    """

    def __init__(self, n_splits: int = 5, min_samples: int = 20):
        self.n_splits = n_splits
        self.min_samples = min_samples

    def fit(self, til_density, stil_pct) -> TILCalibrator:
        """Fit the map on paired scores and percentages (missing pairs are skipped)."""
        x = pd.to_numeric(pd.Series(np.asarray(til_density, dtype=float)), errors="coerce")
        y = pd.to_numeric(pd.Series(np.asarray(stil_pct, dtype=float)), errors="coerce")
        if len(x) != len(y):
            raise InputError("til_density and stil_pct must have one value per sample")
        if ((y < 0) | (y > 100)).any():
            raise InputError("stil_pct must be a percentage between 0 and 100")
        ok = (x.notna() & y.notna()).to_numpy()
        if ok.sum() < self.min_samples:
            raise InputError(f"TIL calibration needs at least {self.min_samples} samples with "
                             f"both til_density and stil_pct; found {int(ok.sum())}")
        xs, ys = x[ok].to_numpy(), y[ok].to_numpy()
        iso = IsotonicRegression(y_min=0.0, y_max=100.0, out_of_bounds="clip")
        self.model_ = iso.fit(xs, ys)
        cv = KFold(self.n_splits, shuffle=True, random_state=0)
        pred = cross_val_predict(IsotonicRegression(y_min=0.0, y_max=100.0,
                                                    out_of_bounds="clip"), xs, ys, cv=cv)
        self.cv_mae_ = float(np.mean(np.abs(pred - ys)))
        self.spearman_ = float(spearmanr(xs, ys).statistic)
        self.n_ = int(ok.sum())
        return self

    def transform(self, til_density) -> np.ndarray:
        """sTIL % (0-100) for each score; NaN stays NaN."""
        check_is_fitted(self, "model_")
        x = np.asarray(til_density, dtype=float)
        out = np.full(x.shape, np.nan)
        ok = np.isfinite(x)
        out[ok] = self.model_.predict(x[ok])
        return out
