"""Common machinery of the survival models: input checks, preprocessing, survival at horizons.

Every model follows scikit-learn conventions (parameters stored as given, validation in ``fit``,
fitted attributes ending in ``_``, ``clone``-able) and offers the same four methods:

``fit(X, y)``
    ``X`` a samples x features DataFrame (NaN allowed), ``y`` a structured array
    ``(event, time)`` in months; at least :data:`~tmeprog.models.inputs.MIN_EVENTS` events.
``predict(X)``
    Risk score, higher = worse prognosis.
``predict_survival(X, horizons)``
    DataFrame of S(t) (rows = samples, columns = sorted horizons in months); finite, in [0, 1]
    and non-increasing in t. Horizons beyond the training follow-up raise
    :class:`~tmeprog.errors.InputError` (the survival curve is not estimable there).
``summary()``
    A human-readable DataFrame; ``summary().attrs["note"]`` says how it was obtained.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from tmeprog.errors import InputError
from tmeprog.models.inputs import as_frame, check_horizons, check_survival_y
from tmeprog.models.metrics import harrell_c
from tmeprog.models.preprocess import MedianStandardScaler


class SurvivalModel(BaseEstimator):
    """Base class: subclasses implement ``_fit_transformed``, ``_risk`` and ``_survival``.

    Subclasses must define a ``preprocessor`` parameter (None = :class:`MedianStandardScaler`).
    """

    #: Whether ``fit`` accepts ``strata`` (a baseline hazard per stratum).
    supports_strata = False

    def fit(self, X, y, strata=None):
        """Fit preprocessing and the model on training data.

        Parameters
        ----------
        X : pandas.DataFrame of shape (n_samples, n_features)
            Numeric features; NaN are imputed by training medians.
        y : structured array of shape (n_samples,)
            ``(event, time)``, time in months.
        strata : array-like of shape (n_samples,), optional
            Stratum of each sample (cohort x endpoint), for models with ``supports_strata``:
            one baseline hazard per stratum.

        Returns
        -------
        self
        """
        df = as_frame(X, "X")
        yy = check_survival_y(y, len(df))
        if strata is not None:
            if not self.supports_strata:
                raise InputError(f"{type(self).__name__} has no stratified fit; pass no strata")
            strata = np.asarray(strata).astype(str)
            if len(strata) != len(df):
                raise InputError(f"strata: {len(strata)} labels for {len(df)} samples")
        pre = MedianStandardScaler() if self.preprocessor is None else clone(self.preprocessor)
        Xt = _frame_out(pre.fit_transform(df), pre, df.index)
        self.preprocessor_ = pre
        self.feature_names_in_ = np.asarray(df.columns, dtype=object)
        self.n_features_in_ = df.shape[1]
        self.features_used_ = list(Xt.columns)
        self.max_time_ = float(yy["time"].max())
        self.n_events_ = int(yy["event"].sum())
        self.n_train_ = len(yy)
        if strata is None:
            self._fit_transformed(Xt, yy)
        else:
            self._fit_transformed(Xt, yy, strata=strata)
        return self

    def _transform(self, X) -> pd.DataFrame:
        check_is_fitted(self, "preprocessor_")
        df = as_frame(X, "X")
        return _frame_out(self.preprocessor_.transform(df), self.preprocessor_, df.index)

    def predict(self, X) -> np.ndarray:
        """Risk score per sample (higher = worse prognosis)."""
        return np.asarray(self._risk(self._transform(X)), dtype=float)

    def predict_survival(self, X, horizons) -> pd.DataFrame:
        """Survival probability S(t) at ``horizons`` (months) per sample.

        Parameters
        ----------
        X : pandas.DataFrame
            Features with the columns seen in ``fit``.
        horizons : float or sequence of float
            Times in months, at most the longest training follow-up (``max_time_``).

        Returns
        -------
        pandas.DataFrame
            Rows = samples (index of ``X``), columns = sorted unique horizons.
        """
        check_is_fitted(self, "preprocessor_")
        h = check_horizons(horizons)
        if h.max() > self.max_time_:
            raise InputError(
                f"horizon {h.max():g} months lies beyond the training follow-up "
                f"({self.max_time_:g} months); survival is not estimable there - ask for "
                "shorter horizons"
            )
        Xt = self._transform(X)
        s = np.asarray(self._survival(Xt, h), dtype=float)
        if not np.isfinite(s).all():
            raise InputError("the model produced non-finite survival probabilities")
        s = np.clip(s, 0.0, 1.0)
        s = np.minimum.accumulate(s, axis=1)  # guards round-off; curves are monotone already
        return pd.DataFrame(s, index=Xt.index, columns=pd.Index(h, name="months"))

    def score(self, X, y) -> float:
        """Harrell's concordance index of ``predict(X)`` on ``y`` (used by grid search)."""
        yy = check_survival_y(y, None, min_events=None)
        return harrell_c(yy, self.predict(X))


def _frame_out(out, pre, index) -> pd.DataFrame:
    if isinstance(out, pd.DataFrame):
        return out.astype(float)
    arr = np.asarray(out, dtype=float)
    try:
        names = [str(c) for c in pre.get_feature_names_out()]
    except (AttributeError, ValueError, TypeError):
        names = [f"x{i}" for i in range(arr.shape[1])]
    return pd.DataFrame(arr, index=index, columns=names)


def step_values(times: np.ndarray, values: np.ndarray, horizons: np.ndarray,
                before: float) -> np.ndarray:
    """Evaluate right-continuous step functions at ``horizons``.

    Parameters
    ----------
    times : ndarray of shape (k,)
        Increasing jump times.
    values : ndarray of shape (n, k)
        Function values from each jump time on.
    horizons : ndarray of shape (h,)
        Evaluation times.
    before : float
        Value before the first jump (1 for survival, 0 for cumulative hazard).

    Returns
    -------
    ndarray of shape (n, h)
    """
    values = np.atleast_2d(values)
    idx = np.searchsorted(times, horizons, side="right") - 1
    out = np.full((values.shape[0], len(horizons)), before, dtype=float)
    ok = idx >= 0
    out[:, ok] = values[:, idx[ok]]
    return out


def breslow_baseline(linear_predictor: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Breslow cumulative baseline hazard (scikit-survival ``BreslowEstimator``).

    Returns
    -------
    (times, cumulative_hazard)
        Unique training times and the baseline cumulative hazard from each time on.
    """
    # deferred: keeps `import tmeprog.models` (and `tmeprog models`) free of scikit-survival
    from sksurv.linear_model.coxph import BreslowEstimator

    b = BreslowEstimator().fit(np.asarray(linear_predictor, float), y["event"], y["time"])
    return np.asarray(b.cum_baseline_hazard_.x, float), np.asarray(b.cum_baseline_hazard_.y, float)


def cox_survival(linear_predictor: np.ndarray, times: np.ndarray, cumhaz: np.ndarray,
                 horizons: np.ndarray) -> np.ndarray:
    """S(t | x) = exp(-H0(t) exp(lp)) at ``horizons`` for each linear predictor."""
    h0 = step_values(times, cumhaz[None, :], horizons, before=0.0)[0]
    return np.exp(-np.outer(np.exp(np.asarray(linear_predictor, float)), h0))
