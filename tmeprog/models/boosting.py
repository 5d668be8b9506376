"""xgboost pieces shared by the survival and the response boosters."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from tmeprog.errors import InputError


def booster_params(est, objective: str) -> dict:
    """xgboost training parameters from an estimator's sklearn-style attributes.

    ``est`` holds ``learning_rate, max_depth, min_child_weight, subsample, colsample_bytree,
    reg_lambda, random_state`` (None means seed 0) and ``n_jobs``.
    """
    return {
        "objective": objective, "eta": est.learning_rate, "max_depth": est.max_depth,
        "min_child_weight": est.min_child_weight, "subsample": est.subsample,
        "colsample_bytree": est.colsample_bytree, "lambda": est.reg_lambda,
        "seed": 0 if est.random_state is None else int(est.random_state),
        "nthread": est.n_jobs, "verbosity": 0,
    }


def store_params(est, given: Mapping[str, object]) -> None:
    """Store every ``__init__`` argument on ``est`` under its own name, as scikit-learn expects.

    ``given`` is ``locals()`` at the start of ``__init__``; ``self`` is skipped.
    """
    for name, value in given.items():
        if name != "self":
            setattr(est, name, value)


def dmatrix(X: pd.DataFrame, **kw):
    """``xgboost.DMatrix`` of ``X`` with internal names ``f0, f1, ...``.

    User feature names may hold characters xgboost rejects.
    """
    # deferred: keeps `import tmeprog.models` (and `tmeprog models`) free of xgboost
    import xgboost as xgb

    return xgb.DMatrix(X.to_numpy(), feature_names=[f"f{i}" for i in range(X.shape[1])], **kw)


class BoosterMixin:
    """``_dmatrix``, ``_margin`` and the gain summary of an estimator whose fitted model is
    ``booster_`` (trained on the columns ``features_used_`` of ``n_train_`` samples)."""

    def _dmatrix(self, X: pd.DataFrame, **kw):
        return dmatrix(X, **kw)

    def _margin(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "booster_")
        return self.booster_.predict(self._dmatrix(X), output_margin=True).astype(float)

    def _gain_summary(self, objective: str, index_name: str, counted: str,
                      first: Mapping[str, np.ndarray] | None = None) -> pd.DataFrame:
        """:func:`gain_table` sorted by total gain, ``first`` columns in front, with a note.

        ``counted`` names what the training samples held (e.g. ``"52 events"``).
        """
        check_is_fitted(self, "booster_")
        out = gain_table(self.booster_, list(self.features_used_), index_name)
        for i, (name, values) in enumerate((first or {}).items()):
            out.insert(i, name, values)
        out = out.sort_values("total_gain", ascending=False)
        out.attrs["note"] = (
            f"xgboost {objective}: {self.n_estimators} rounds, eta={self.learning_rate:g}, "
            f"max_depth={self.max_depth}; {self.n_train_} samples, {counted}; "
            "gain importance, not effect sizes (use SHAP for direction)"
        )
        return out


def train_booster(est, params: dict, dtrain):
    """``xgboost.train`` for ``est.n_estimators`` rounds (at least 1, else InputError)."""
    # deferred: keeps `import tmeprog.models` (and `tmeprog models`) free of xgboost
    import xgboost as xgb

    if int(est.n_estimators) < 1:
        raise InputError(f"{type(est).__name__}: n_estimators must be >= 1")
    return xgb.train(params, dtrain, num_boost_round=int(est.n_estimators))


def gain_table(booster, names: list[str], index_name: str) -> pd.DataFrame:
    """Per input column (in ``names`` order): total gain, number of splits, share of total gain."""
    gain = booster.get_score(importance_type="total_gain")
    weight = booster.get_score(importance_type="weight")
    g = np.array([gain.get(f"f{i}", 0.0) for i in range(len(names))])
    k = np.array([weight.get(f"f{i}", 0.0) for i in range(len(names))])
    return pd.DataFrame({"total_gain": g, "n_splits": k.astype(int),
                         "gain_share": g / g.sum() if g.sum() > 0 else np.zeros_like(g)},
                        index=pd.Index(names, name=index_name))
