"""The estimator SHAP explains inside a model, its family and the preprocessing before it.

Only per-feature preprocessing is accepted, so that the SHAP values of the final estimator are
those of the input features (see :mod:`tmeprog.explain.explainers`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from tmeprog.errors import InputError
from tmeprog.explain.tree_rsf import is_survival_forest

#: Per-feature preprocessing steps (each output column depends on its own input column only).
COLUMNWISE_STEPS = frozenset({"MedianStandardScaler", "SimpleImputer", "StandardScaler",
                              "MinMaxScaler", "MaxAbsScaler", "RobustScaler"})
#: Linear models explained exactly.
LINEAR_MODELS = frozenset({
    "CoxnetSurvivalAnalysis", "CoxPHSurvivalAnalysis", "IPCRidge", "LogisticRegression",
    "LogisticRegressionCV", "LinearRegression", "Ridge", "RidgeCV", "Lasso", "LassoCV",
    "ElasticNet", "ElasticNetCV", "RidgeClassifier", "SGDClassifier", "SGDRegressor",
})
_INNER_ATTRS = ("forest_", "model_", "booster_", "estimator_", "classifier_")
_SUPPORTED = ("scikit-survival random survival forests / survival trees, xgboost boosters "
              "(Cox, AFT, binary logistic, regression), linear models (Coxnet, CoxPH, "
              "logistic/linear regression), tmeprog survival models and Pipelines of "
              "per-feature preprocessing + one of these")


def model_family(est) -> str | None:
    """How ``est`` is explained: ``"forest"``, ``"xgboost"``, ``"linear"``; None: unsupported."""
    if is_survival_forest(est):
        return "forest"
    mod = type(est).__module__ or ""
    if mod.startswith("xgboost"):
        import xgboost as xgb  # deferred: only for xgboost estimators, which loaded it already

        if isinstance(est, xgb.Booster | xgb.XGBModel):
            return "xgboost"
    if type(est).__name__ in LINEAR_MODELS and mod.startswith(("sklearn.", "sksurv.")):
        return "linear"
    return None


def supported_model(model) -> bool:
    """Whether :func:`explain` can explain ``model`` (without fitting or data checks)."""
    try:
        resolve(model)
    except InputError:
        return False
    return True


@dataclass
class Target:
    """The estimator to explain, its expected input and the transform that feeds it."""

    estimator: object
    names: list[str] | None
    n_features: int | None
    transform: Callable[[pd.DataFrame], pd.DataFrame] | None
    outer: object | None  # wrapper whose predict() is the reported output
    label: str
    centred: bool  # preprocessed training mean is 0 (last step standardises)


def _steps(pre) -> list:
    if isinstance(pre, Pipeline):
        return [s for _, s in pre.steps]
    return [pre]


def _check_columnwise(pre, where: str) -> bool:
    """Raise unless every step is per-feature; return whether the output is centred."""
    centred = False
    for step in _steps(pre):
        if step is None or (isinstance(step, str) and step == "passthrough"):
            continue
        name = type(step).__name__
        if name not in COLUMNWISE_STEPS or getattr(step, "add_indicator", False):
            raise InputError(
                f"{where}: preprocessing step {name} is not a per-feature transform, so SHAP "
                "values of the final model cannot be attributed to input features; use "
                "imputers/scalers only, or explain the final estimator on the transformed "
                "matrix yourself")
        centred = name == "MedianStandardScaler" or (
            name == "StandardScaler" and getattr(step, "with_mean", False))
    return centred


def _transformer(pre, names: list[str] | None):
    def transform(df: pd.DataFrame) -> pd.DataFrame:
        out = pre.transform(df)
        if isinstance(out, pd.DataFrame):
            z = out.copy()
            z.index = df.index
        else:
            arr = np.asarray(out, dtype=float)
            try:
                cols = [str(c) for c in pre.get_feature_names_out()]
            except (AttributeError, ValueError, TypeError):
                cols = list(df.columns) if arr.shape[1] == df.shape[1] else None
            if cols is None or len(cols) != arr.shape[1]:
                raise InputError("cannot name the preprocessed columns; the preprocessor must "
                                 "provide get_feature_names_out")
            z = pd.DataFrame(arr, index=df.index, columns=cols)
        z.columns = [str(c) for c in z.columns]
        unknown = [c for c in z.columns if c not in set(df.columns)]
        if unknown:
            raise InputError(f"preprocessed columns {unknown[:5]} are not input features; "
                             "the preprocessing must keep feature names")
        return z.astype(float)

    return transform


def booster(est):
    """The ``xgboost.Booster`` of an xgboost model (the model itself or its ``get_booster()``)."""
    import xgboost as xgb  # deferred: only for xgboost models, which loaded it already

    return est if isinstance(est, xgb.Booster) else est.get_booster()


def _model_names(est) -> list[str] | None:
    names = getattr(est, "feature_names_in_", None)
    if names is None and model_family(est) == "xgboost":
        names = booster(est).feature_names
    return None if names is None else [str(c) for c in names]


def _n_features(est) -> int | None:
    n = getattr(est, "n_features_in_", None)
    if n is None and model_family(est) == "xgboost":
        n = booster(est).num_features()
    return None if n is None else int(n)


def resolve(model) -> Target:
    """The :class:`Target` of a supported model; :class:`~tmeprog.errors.InputError` otherwise."""
    label = type(model).__name__
    if isinstance(model, Pipeline):
        final = model.steps[-1][1]
        if model_family(final) is None:
            raise InputError(f"cannot explain a Pipeline ending in {type(final).__name__}; "
                             f"supported: {_SUPPORTED}")
        pre = model[:-1]
        centred = _check_columnwise(pre, "Pipeline")
        names = getattr(model, "feature_names_in_", None)
        names = None if names is None else [str(c) for c in names]
        return Target(final, names, getattr(model, "n_features_in_", None),
                       _transformer(pre, names), None, f"Pipeline({type(final).__name__})",
                       centred)
    if hasattr(model, "preprocessor_"):
        inner = next((getattr(model, a) for a in _INNER_ATTRS
                      if model_family(getattr(model, a, None)) is not None), None)
        if inner is None:
            raise InputError(f"{label}: no supported fitted model found in {_INNER_ATTRS}; "
                             f"supported: {_SUPPORTED}")
        pre = model.preprocessor_
        centred = _check_columnwise(pre, label)
        names = [str(c) for c in model.feature_names_in_]
        return Target(inner, names, len(names), _transformer(pre, names), model, label,
                       centred)
    if model_family(model) is None:
        if not hasattr(model, "predict") and not hasattr(model, "fit"):
            raise InputError(f"{label} is not a model; supported: {_SUPPORTED}")
        raise InputError(f"cannot explain {label}; supported: {_SUPPORTED}")
    return Target(model, _model_names(model), _n_features(model), None, None, label, False)
