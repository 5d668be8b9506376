"""Gradient-boosted trees (xgboost) for therapy response on the shared response design."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from tmeprog.models.boosting import BoosterMixin, booster_params, store_params, train_booster
from tmeprog.models.response import MIN_ARM_SIZE, ResponseModel


class XGBResponseClassifier(BoosterMixin, ResponseModel):
    """Gradient-boosted trees (xgboost ``binary:logistic``) on the same coded design.

    Parameters
    ----------
    n_estimators : int, default=200
    learning_rate : float, default=0.05
    max_depth : int, default=2
    min_child_weight : float, default=1.0
    subsample : float, default=0.8
    colsample_bytree : float, default=0.8
    reg_lambda : float, default=1.0
    arm_column : str or None, default="arm"
        Column of ``X`` holding the arm (one-hot coded; trees model arm x feature interplay).
    min_arm_size : int, default=10
        Arms with fewer training patients are pooled into ``"other"`` (warning).
    random_state : int, default=0
    n_jobs : int, default=1

    Attributes
    ----------
    design_ : Design
    booster_ : xgboost.Booster
    """

    def __init__(self, n_estimators: int = 200, learning_rate: float = 0.05, max_depth: int = 2,
                 min_child_weight: float = 1.0, subsample: float = 0.8,
                 colsample_bytree: float = 0.8, reg_lambda: float = 1.0,
                 arm_column: str | None = "arm", min_arm_size: int = MIN_ARM_SIZE,
                 random_state: int | None = 0, n_jobs: int = 1):
        store_params(self, locals())

    def _fit_design(self, Z: pd.DataFrame, y: np.ndarray, w: np.ndarray | None) -> None:
        self.booster_ = train_booster(self, booster_params(self, "binary:logistic"),
                                      self._dmatrix(Z, label=y, weight=w))
        self.features_used_ = list(Z.columns)

    def summary(self) -> pd.DataFrame:
        """Per design term: total gain, number of splits and share of total gain."""
        check_is_fitted(self, "booster_")
        return self._gain_summary("binary:logistic", "term", f"{self.n_positive_} positive",
                                  {"kind": self.design_.terms["kind"].to_numpy()})
