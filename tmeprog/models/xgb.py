"""Gradient-boosted survival models on xgboost: Cox (``survival:cox``) and AFT (``survival:aft``).

* :class:`XGBCoxSurvival` boosts the Cox partial likelihood. Risk = the log-hazard margin
  (``output_margin=True``); S(t | x) = exp(-H0(t) exp(margin)) with H0 the Breslow baseline
  hazard estimated on the training margins.
* :class:`XGBAFTSurvival` boosts an accelerated-failure-time likelihood,
  log T = margin + sigma * Z. S(t | x) = 1 - F((log t - margin) / sigma) with F the CDF of Z
  (normal, logistic or extreme-value, ``F(z) = 1 - exp(-exp(z))``); risk = -margin = -log of the
  predicted time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import minimize_scalar

from tmeprog.errors import InputError
from tmeprog.models.base import SurvivalModel, breslow_baseline, cox_survival
from tmeprog.models.boosting import BoosterMixin, booster_params, store_params, train_booster


class _XGBSurvival(BoosterMixin, SurvivalModel):
    _objective = ""

    def __init__(self, n_estimators: int = 100, learning_rate: float = 0.05, max_depth: int = 2,
                 min_child_weight: float = 1.0, subsample: float = 0.8,
                 colsample_bytree: float = 1.0, reg_lambda: float = 1.0,
                 random_state: int | None = None, n_jobs: int = 1, preprocessor=None):
        store_params(self, locals())

    def _params(self) -> dict:
        return booster_params(self, self._objective)

    def _train(self, dtrain, extra: dict) -> None:
        self.booster_ = train_booster(self, {**self._params(), **extra}, dtrain)

    def summary(self) -> pd.DataFrame:
        """Per feature: total gain, number of splits (``weight``) and share of total gain."""
        return self._gain_summary(self._objective, "feature", f"{self.n_events_} events")


class XGBCoxSurvival(_XGBSurvival):
    """xgboost Cox model; survival curves via a Breslow baseline hazard on training margins.

    Parameters
    ----------
    n_estimators : int, default=100
        Boosting rounds.
    learning_rate : float, default=0.05
        Shrinkage (xgboost ``eta``).
    max_depth : int, default=2
        Tree depth.
    min_child_weight : float, default=1.0
        Minimum hessian sum in a leaf.
    subsample, colsample_bytree : float, default=0.8, 1.0
        Row and column subsampling per tree.
    reg_lambda : float, default=1.0
        L2 penalty on leaf weights.
    random_state : int or None, default=None
        xgboost seed (None means 0).
    n_jobs : int, default=1
        xgboost threads.
    preprocessor : transformer or None, default=None
        None means :class:`~tmeprog.models.preprocess.MedianStandardScaler`.

    Attributes
    ----------
    booster_ : xgboost.Booster
    baseline_times_, baseline_cumhaz_ : ndarray
        Breslow cumulative baseline hazard on the margin scale.
    """

    _objective = "survival:cox"

    def _fit_transformed(self, Xt: pd.DataFrame, y: np.ndarray) -> None:
        label = np.where(y["event"], y["time"], -y["time"])
        self._train(self._dmatrix(Xt, label=label), {"eval_metric": "cox-nloglik"})
        self.baseline_times_, self.baseline_cumhaz_ = breslow_baseline(self._margin(Xt), y)

    def _risk(self, Xt: pd.DataFrame) -> np.ndarray:
        return self._margin(Xt)

    def _survival(self, Xt: pd.DataFrame, horizons: np.ndarray) -> np.ndarray:
        return cox_survival(self._margin(Xt), self.baseline_times_, self.baseline_cumhaz_,
                            horizons)


_AFT_SF = {
    "normal": stats.norm.sf,
    "logistic": stats.logistic.sf,
    "extreme": lambda z: np.exp(-np.exp(np.minimum(z, 700.0))),
}
_AFT_LOGPDF = {
    "normal": stats.norm.logpdf,
    "logistic": stats.logistic.logpdf,
    "extreme": lambda z: z - np.exp(np.minimum(z, 700.0)),
}
_AFT_LOGSF = {
    "normal": stats.norm.logsf,
    "logistic": stats.logistic.logsf,
    "extreme": lambda z: -np.exp(np.minimum(z, 700.0)),
}


def aft_intercept(y: np.ndarray, distribution: str, sigma: float) -> float:
    """Maximum-likelihood intercept of an intercept-only AFT model (log-time scale).

    Boosting starts from this margin (xgboost's ``base_score`` is its exponential, on the time
    scale) instead of xgboost's fixed 0.5,
    so a few rounds already give survival curves on the right time scale.
    """
    logt = np.log(y["time"])
    ev = y["event"]

    def nll(mu):
        z = (logt - mu) / sigma
        return -(_AFT_LOGPDF[distribution](z[ev]).sum() + _AFT_LOGSF[distribution](z[~ev]).sum())

    res = minimize_scalar(nll, bounds=(logt.min() - 10 * sigma, logt.max() + 10 * sigma),
                          method="bounded")
    return float(res.x)


class XGBAFTSurvival(_XGBSurvival):
    """xgboost accelerated-failure-time model (log T = margin + sigma * Z).

    Parameters
    ----------
    distribution : {"normal", "logistic", "extreme"}, default="normal"
        Distribution of Z (``aft_loss_distribution``).
    sigma : float, default=1.0
        Scale of Z (``aft_loss_distribution_scale``), on the log-month scale.
    n_estimators, learning_rate, max_depth, min_child_weight, subsample, colsample_bytree,
    reg_lambda, random_state, n_jobs, preprocessor
        As in :class:`XGBCoxSurvival`.

    Attributes
    ----------
    booster_ : xgboost.Booster
    intercept_ : float
        Starting margin: maximum-likelihood intercept of the intercept-only AFT model.
    """

    _objective = "survival:aft"

    def __init__(self, distribution: str = "normal", sigma: float = 1.0,
                 n_estimators: int = 100, learning_rate: float = 0.05, max_depth: int = 2,
                 min_child_weight: float = 1.0, subsample: float = 0.8,
                 colsample_bytree: float = 1.0, reg_lambda: float = 1.0,
                 random_state: int | None = None, n_jobs: int = 1, preprocessor=None):
        super().__init__(n_estimators=n_estimators, learning_rate=learning_rate,
                         max_depth=max_depth, min_child_weight=min_child_weight,
                         subsample=subsample, colsample_bytree=colsample_bytree,
                         reg_lambda=reg_lambda, random_state=random_state, n_jobs=n_jobs,
                         preprocessor=preprocessor)
        self.distribution = distribution
        self.sigma = sigma

    def _fit_transformed(self, Xt: pd.DataFrame, y: np.ndarray) -> None:
        if self.distribution not in _AFT_SF:
            raise InputError(
                f"XGBAFTSurvival: distribution must be one of {sorted(_AFT_SF)}, "
                f"got {self.distribution!r}"
            )
        if not (self.sigma > 0):
            raise InputError(f"XGBAFTSurvival: sigma must be > 0, got {self.sigma!r}")
        upper = np.where(y["event"], y["time"], np.inf)
        d = self._dmatrix(Xt)
        d.set_float_info("label_lower_bound", y["time"])
        d.set_float_info("label_upper_bound", upper)
        self.intercept_ = aft_intercept(y, self.distribution, float(self.sigma))
        self._train(d, {"eval_metric": "aft-nloglik", "aft_loss_distribution": self.distribution,
                        "aft_loss_distribution_scale": float(self.sigma),
                        "base_score": float(np.exp(self.intercept_))})

    def _risk(self, Xt: pd.DataFrame) -> np.ndarray:
        return -self._margin(Xt)

    def _survival(self, Xt: pd.DataFrame, horizons: np.ndarray) -> np.ndarray:
        m = self._margin(Xt)
        with np.errstate(divide="ignore"):
            logt = np.log(np.asarray(horizons, float))  # log 0 = -inf -> S = 1
        z = (logt[None, :] - m[:, None]) / float(self.sigma)
        return _AFT_SF[self.distribution](z)
