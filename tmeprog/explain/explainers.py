"""SHAP values per model family, reported per original input feature.

:func:`explain` accepts

* a tmeprog model (``CoxNetSurvival``, ``RandomSurvivalForestModel``, ``XGBCoxSurvival``,
  ``XGBAFTSurvival`` and any estimator holding a fitted ``preprocessor_`` plus a supported inner
  model in ``forest_``, ``model_``, ``booster_``, ``estimator_`` or ``classifier_``);
* a scikit-learn ``Pipeline`` whose steps before the last are per-feature transforms;
* a bare estimator: scikit-survival ``RandomSurvivalForest`` / ``ExtraSurvivalTrees`` /
  ``SurvivalTree``, an xgboost ``Booster`` or ``XGBModel`` (Cox, AFT, binary logistic, ...),
  or a linear model (``CoxnetSurvivalAnalysis``, ``CoxPHSurvivalAnalysis``,
  ``LogisticRegression``, linear regressions).

Preprocessing: the final estimator is explained on the preprocessed matrix. Imputation and
standardisation act on each column alone (x_j -> T_j(x_j)), so masking feature j before or after
the transform is the same operation and the Shapley value of transformed column j *is* the
Shapley value of input feature j; the table is labelled with the input names. Columns the
preprocessor dropped (all-missing or constant at fit) cannot move the output: their SHAP values
are exactly 0. Preprocessing that mixes columns (PCA, KNN imputation, indicators) is refused.

Output scales: random survival forests explain scikit-survival's risk score (cumulative hazard
summed over the training event times, averaged over trees); xgboost models their margin
(log-hazard for Cox, log survival time for AFT, log-odds for binary logistic); linear models
their linear predictor (log-hazard, log-odds). For a tmeprog wrapper whose ``predict`` is the
negated margin (``XGBAFTSurvival``: risk = -margin) the values are negated to explain ``predict``.

Value functions: without ``background`` tree models use path-dependent TreeSHAP (features
integrated out with the training samples' cover in each node, so the base value is the mean
training output); with ``background`` they use interventional TreeSHAP over its rows. Linear
models use ``coef * (x - mean)`` with the mean of ``background``, else the training mean when the
last preprocessing step standardises (0), else the mean of the explained rows.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tmeprog.errors import InputError
from tmeprog.explain.result import AdditivityError, ShapExplanation
from tmeprog.explain.tree_rsf import forest_to_tree_model, is_survival_forest, to_float32_grid

__all__ = ["explain", "explain_scorer", "align_features", "ExtraColumnsWarning",
           "supported_model"]

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


class ExtraColumnsWarning(UserWarning):
    """Input columns the model does not use were ignored."""


# --------------------------------------------------------------------------- alignment
def align_features(X, names: Sequence[str] | None, where: str = "X",
                   n_features: int | None = None) -> pd.DataFrame:
    """Return ``X`` as a float DataFrame whose columns are exactly ``names``, in that order.

    Parameters
    ----------
    X : pandas.DataFrame or array-like
        Samples x features. Frames are matched by column name: missing model features raise
        :class:`~tmeprog.errors.InputError` naming them, extra columns are dropped with an
        :class:`ExtraColumnsWarning`, order is fixed. Arrays are taken positionally and must
        have exactly ``len(names)`` columns.
    names : sequence of str or None
        Features of the model, in fit order; None when the model does not record names.
    where : str
        Name used in messages.
    n_features : int or None
        Expected width when ``names`` is None.

    Returns
    -------
    pandas.DataFrame
    """
    if isinstance(X, pd.DataFrame):
        df = X
    else:
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise InputError(f"{where}: expected a 2-D samples x features table, got {arr.ndim}-D")
        cols = list(names) if names is not None and len(names) == arr.shape[1] else [
            f"x{i}" for i in range(arr.shape[1])]
        if names is not None and len(names) != arr.shape[1]:
            raise InputError(
                f"{where}: array with {arr.shape[1]} columns but the model has {len(names)} "
                f"features ({list(names)[:5]}...); pass a DataFrame with named columns")
        df = pd.DataFrame(arr, columns=cols)
    if df.shape[0] == 0:
        raise InputError(f"{where}: no samples to explain")
    if df.columns.has_duplicates:
        dup = df.columns[df.columns.duplicated()].unique()[:5].tolist()
        raise InputError(f"{where}: duplicated columns {dup}; each feature must appear once")
    if names is not None:
        names = [str(c) for c in names]
        df = df.rename(columns=str)
        missing = [c for c in names if c not in df.columns]
        if missing:
            raise InputError(
                f"{where} lacks {len(missing)} of the {len(names)} features the model was "
                f"fitted on: {missing[:10]}; pass a table with these columns (same names as at "
                "fit)")
        extra = [c for c in df.columns if c not in set(names)]
        if extra:
            warnings.warn(f"{where}: ignoring {len(extra)} column(s) the model does not use: "
                          f"{extra[:5]}", ExtraColumnsWarning, stacklevel=3)
        df = df[names]
    elif n_features is not None and df.shape[1] != n_features:
        raise InputError(f"{where} has {df.shape[1]} columns but the model was fitted on "
                         f"{n_features} features")
    bad = [c for c, dt in df.dtypes.items()
           if not (pd.api.types.is_numeric_dtype(dt) or pd.api.types.is_bool_dtype(dt))]
    if bad:
        raise InputError(f"{where}: non-numeric columns {bad[:5]}; code them numerically")
    return df.astype(float)


# --------------------------------------------------------------------------- model resolution
def _family(est) -> str | None:
    if is_survival_forest(est):
        return "forest"
    mod = type(est).__module__ or ""
    if mod.startswith("xgboost"):
        import xgboost as xgb

        if isinstance(est, xgb.Booster | xgb.XGBModel):
            return "xgboost"
    if type(est).__name__ in LINEAR_MODELS and mod.startswith(("sklearn.", "sksurv.")):
        return "linear"
    return None


def supported_model(model) -> bool:
    """Whether :func:`explain` can explain ``model`` (without fitting or data checks)."""
    try:
        _resolve(model)
    except InputError:
        return False
    return True


@dataclass
class _Target:
    estimator: object
    names: list[str] | None
    n_features: int | None
    transform: Callable[[pd.DataFrame], pd.DataFrame] | None
    outer: object | None  # wrapper whose predict() is the reported output
    label: str
    centred: bool  # preprocessed training mean is 0 (last step standardises)


def _steps(pre) -> list:
    from sklearn.pipeline import Pipeline

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


def _model_names(est) -> list[str] | None:
    names = getattr(est, "feature_names_in_", None)
    if names is None and _family(est) == "xgboost":
        import xgboost as xgb

        bst = est if isinstance(est, xgb.Booster) else est.get_booster()
        names = bst.feature_names
    return None if names is None else [str(c) for c in names]


def _n_features(est) -> int | None:
    n = getattr(est, "n_features_in_", None)
    if n is None and _family(est) == "xgboost":
        import xgboost as xgb

        bst = est if isinstance(est, xgb.Booster) else est.get_booster()
        n = bst.num_features()
    return None if n is None else int(n)


def _resolve(model) -> _Target:
    from sklearn.pipeline import Pipeline

    label = type(model).__name__
    if isinstance(model, Pipeline):
        final = model.steps[-1][1]
        if _family(final) is None:
            raise InputError(f"cannot explain a Pipeline ending in {type(final).__name__}; "
                             f"supported: {_SUPPORTED}")
        pre = model[:-1]
        centred = _check_columnwise(pre, "Pipeline")
        names = getattr(model, "feature_names_in_", None)
        names = None if names is None else [str(c) for c in names]
        return _Target(final, names, getattr(model, "n_features_in_", None),
                       _transformer(pre, names), None, f"Pipeline({type(final).__name__})",
                       centred)
    if hasattr(model, "preprocessor_"):
        inner = next((getattr(model, a) for a in _INNER_ATTRS
                      if _family(getattr(model, a, None)) is not None), None)
        if inner is None:
            raise InputError(f"{label}: no supported fitted model found in {_INNER_ATTRS}; "
                             f"supported: {_SUPPORTED}")
        pre = model.preprocessor_
        centred = _check_columnwise(pre, label)
        names = [str(c) for c in model.feature_names_in_]
        return _Target(inner, names, len(names), _transformer(pre, names), model, label,
                       centred)
    if _family(model) is None:
        if not hasattr(model, "predict") and not hasattr(model, "fit"):
            raise InputError(f"{label} is not a model; supported: {_SUPPORTED}")
        raise InputError(f"cannot explain {label}; supported: {_SUPPORTED}")
    return _Target(model, _model_names(model), _n_features(model), None, None, label, False)


# --------------------------------------------------------------------------- families
def _model_input(est, Z: np.ndarray):
    names = getattr(est, "feature_names_in_", None)
    return pd.DataFrame(Z, columns=list(names)) if names is not None else Z


@dataclass
class _Raw:
    phi: np.ndarray
    base: float
    output: np.ndarray  # the final estimator's own output on the explained rows
    method: str
    background: str
    scale: str
    rtol: float


def _forest_shap(est, Z, B, n_jobs) -> _Raw:
    from tmeprog.explain.forest_shap import path_dependent_shap

    model = forest_to_tree_model(est)
    Zr = to_float32_grid(Z)
    out = np.asarray(est.predict(_model_input(est, Zr)), dtype=float)
    scale = ("risk score: ensemble cumulative hazard summed over the training event times "
             "(expected number of events; higher = worse)")
    if B is None:
        phi, base = path_dependent_shap(model, Zr, n_jobs=n_jobs)
        return _Raw(phi, base, out, "exact path-dependent TreeSHAP (random survival forest "
                    "converted to scalar trees)", "training distribution (tree node covers)",
                    scale, 1e-9)
    import shap

    ex = shap.TreeExplainer(model, data=to_float32_grid(B),
                            feature_perturbation="interventional")
    phi = np.asarray(ex.shap_values(Zr, check_additivity=False), dtype=float)
    return _Raw(phi, float(np.ravel(ex.expected_value)[0]), out,
                "exact interventional TreeSHAP (random survival forest converted to scalar "
                "trees; single-precision path weights)", f"{len(B)} background rows", scale,
                1e-6)


def _booster(est):
    import xgboost as xgb

    return est if isinstance(est, xgb.Booster) else est.get_booster()


def _xgb_objective(bst) -> str:
    try:
        return json.loads(bst.save_config())["learner"]["objective"]["name"]
    except (KeyError, ValueError, TypeError):  # pragma: no cover - defensive
        return "unknown"


_XGB_SCALES = {
    "survival:cox": "log-hazard (xgboost Cox margin; higher = worse)",
    "survival:aft": "log predicted survival time (xgboost AFT margin; higher = longer survival)",
    "binary:logistic": "log-odds of the positive class (xgboost margin)",
    "binary:logitraw": "log-odds of the positive class (xgboost margin)",
    "reg:squarederror": "prediction (xgboost margin)",
}


_NEGATED = {
    _XGB_SCALES["survival:aft"]: "risk = -log predicted survival time (minus the xgboost AFT "
    "margin, as predict() returns; higher = worse)",
}


def _xgb_shap(est, Z, B) -> _Raw:
    import shap
    import xgboost as xgb

    bst = _booster(est)
    obj = _xgb_objective(bst)
    if obj.startswith("multi:"):
        raise InputError(f"xgboost objective {obj} has several outputs; only single-output "
                         "models (Cox, AFT, binary, regression) are supported")
    names = bst.feature_names
    frame = pd.DataFrame(Z, columns=names) if names is not None else Z
    out = np.asarray(bst.predict(xgb.DMatrix(frame), output_margin=True), dtype=float)
    if B is None:
        ex = shap.TreeExplainer(bst, feature_perturbation="tree_path_dependent")
        method, bg = "exact path-dependent TreeSHAP (xgboost, single precision)", \
            "training distribution (tree node covers)"
    else:
        bframe = pd.DataFrame(B, columns=names) if names is not None else B
        ex = shap.TreeExplainer(bst, data=bframe, feature_perturbation="interventional")
        method, bg = "exact interventional TreeSHAP (xgboost)", f"{len(B)} background rows"
    phi = np.asarray(ex.shap_values(frame, check_additivity=False), dtype=float)
    if phi.ndim != 2:
        raise InputError("the xgboost model has several outputs; explain single-output models")
    base = float(np.ravel(ex.expected_value)[0])
    scale = _XGB_SCALES.get(obj, f"margin of xgboost objective {obj}")
    return _Raw(phi, base, out, method, bg, scale, 1e-4)


def _linear_output(est) -> Callable[[np.ndarray], np.ndarray]:
    if hasattr(est, "decision_function") and hasattr(est, "classes_"):
        if len(est.classes_) != 2:
            raise InputError(f"{type(est).__name__} has {len(est.classes_)} classes; only "
                             "binary classifiers are supported")
        return lambda A: np.asarray(est.decision_function(_model_input(est, A)), dtype=float)
    return lambda A: np.asarray(est.predict(_model_input(est, A)), dtype=float)


def _linear_shap(est, Z, B, centred: bool) -> _Raw:
    f = _linear_output(est)
    p = Z.shape[1]
    if B is not None:
        mean, bg = np.asarray(B, dtype=float).mean(axis=0), f"mean of {len(B)} background rows"
    elif centred:
        mean, bg = np.zeros(p), "training mean (0 after standardisation)"
    else:
        mean, bg = Z.mean(axis=0), "mean of the explained rows"
    # the model is affine: f(mean + e_j) - f(mean) is coefficient j exactly
    probe = f(np.vstack([mean, mean + np.eye(p)]))
    coef = probe[1:] - probe[0]
    phi = (Z - mean) * coef
    name = type(est).__name__
    if name.startswith("Cox") or name == "IPCRidge":
        scale = ("log-hazard (linear predictor; higher = worse)" if name.startswith("Cox")
                 else "log survival time (linear predictor)")
    elif hasattr(est, "classes_"):
        scale = ("log-odds of the positive class (linear predictor)" if "Logistic" in name
                 else "decision function (linear)")
    else:
        scale = "prediction (linear)"
    return _Raw(phi, float(probe[0]), f(Z), "exact linear SHAP: coef * (x - mean)", bg, scale,
                1e-9)


# --------------------------------------------------------------------------- public API
def _outer_link(target: _Target, Xa: pd.DataFrame, raw: np.ndarray, scale: str, rtol: float):
    """Sign relating the wrapper's predict() to the explained output, its values and scale."""
    if target.outer is None:
        return 1.0, raw, scale
    pred = np.asarray(target.outer.predict(Xa), dtype=float).ravel()
    tol = rtol * max(1.0, float(np.max(np.abs(raw))))
    if pred.shape == raw.shape:
        if np.allclose(pred, raw, rtol=0, atol=tol):
            return 1.0, pred, scale
        if np.allclose(pred, -raw, rtol=0, atol=tol):
            return -1.0, pred, _NEGATED.get(scale, f"-1 x [{scale}], as returned by predict()")
    if hasattr(target.outer, "predict_proba"):
        proba = np.asarray(target.outer.predict_proba(Xa), dtype=float)
        p1 = np.clip(proba[:, 1] if proba.ndim == 2 else proba, 1e-300, 1 - 1e-16)
        logit = np.log(p1) - np.log1p(-p1)
        if np.allclose(logit, raw, rtol=0, atol=max(tol, 1e-8)):
            return 1.0, raw, scale + "; predict_proba = logistic of it"
    raise InputError(
        f"{target.label}.predict() is not the output of its inner model "
        f"{type(target.estimator).__name__} (nor its negation or log-odds); explain the inner "
        "model on the preprocessed matrix instead")


def explain(model, X, background=None, *, compartments: Mapping[str, str] | None = None,
            n_jobs: int | None = 1,
            check_additivity: bool = True) -> ShapExplanation:
    """SHAP values of a fitted model on ``X``, one column per input feature.

    Parameters
    ----------
    model : estimator
        A fitted supported model (see the module docstring).
    X : pandas.DataFrame or array-like
        Samples x features. Frames are aligned to the model's features by name (missing ones
        raise :class:`~tmeprog.errors.InputError`, extras are dropped with a warning).
    background : pandas.DataFrame or array-like, optional
        Reference rows (same features). Trees: interventional TreeSHAP over these rows
        (cost grows linearly with their number; ~100 rows is typical); None gives
        path-dependent TreeSHAP on the training covers. Linear: the mean to explain against.
    compartments : mapping, optional
        Feature -> TME compartment, stored on the result (see
        :func:`tmeprog.explain.rollup.feature_compartments`); by default taken from
        ``X.attrs["compartments"]`` when present, plus the clinical vocabulary.
    n_jobs : int or None, default 1
        Worker processes for random survival forests (-1: all cores).
    check_additivity : bool, default True
        Raise :class:`~tmeprog.explain.result.AdditivityError` when base + sum of SHAP values
        differs from the model output beyond rounding.

    Returns
    -------
    ShapExplanation
    """
    from tmeprog.explain.rollup import feature_compartments

    target = _resolve(model)
    Xa = align_features(X, target.names, "X", target.n_features)
    Ba = None
    if background is not None:
        Ba = align_features(background, list(Xa.columns), "background")
    Z = target.transform(Xa) if target.transform else Xa
    BZ = None if Ba is None else (target.transform(Ba) if target.transform else Ba)
    Zn = Z.to_numpy(dtype=float)
    Bn = None if BZ is None else BZ[Z.columns].to_numpy(dtype=float)
    fam = _family(target.estimator)
    if fam == "forest":
        raw = _forest_shap(target.estimator, Zn, Bn, n_jobs)
    elif fam == "xgboost":
        raw = _xgb_shap(target.estimator, Zn, Bn)
    else:
        raw = _linear_shap(target.estimator, Zn, Bn, target.centred)
    sign, reference, scale = _outer_link(target, Xa, raw.output, raw.scale, raw.rtol)
    values = pd.DataFrame(0.0, index=Xa.index, columns=Xa.columns)
    values[list(Z.columns)] = sign * raw.phi
    base = sign * raw.base
    err = float(np.max(np.abs(values.sum(axis=1).to_numpy() + base - reference)))
    tol = raw.rtol * max(1.0, float(np.max(np.abs(reference))))
    if check_additivity and not err <= tol:
        raise AdditivityError(
            f"SHAP values of {target.label} miss the model output by {err:.3g} (tolerance "
            f"{tol:.3g}); the model may hold an unsupported component - report this with the "
            "model class")
    given = dict(getattr(X, "attrs", {}).get("compartments", {}) or {})
    given.update(compartments or {})
    comps = feature_compartments(list(values.columns), given, warn=False)
    return ShapExplanation(values=values, base_value=float(base), output=scale,
                           method=raw.method, model=target.label, background=raw.background,
                           additivity_error=err, data=Xa, compartments=comps)


def explain_scorer(scorer, frame: pd.DataFrame, background: pd.DataFrame | None = None,
                   **kwargs) -> ShapExplanation:
    """Explain a fitted :class:`~tmeprog.serving.scorer.Scorer` on raw input rows.

    The scorer builds its design matrix (TME features from expression + clinical covariates);
    the model is explained on it, with compartments from the scorer's feature extractor and
    ``clinical`` for its clinical columns.
    """
    X = scorer.design(frame)
    B = None if background is None else scorer.design(background)
    comps: dict[str, str] = {}
    ext = getattr(scorer, "extractor", None)
    if ext is not None:
        comps.update(getattr(ext, "compartments_", {}) or {})
    comps.update({c: "clinical" for c in getattr(scorer, "clinical_columns", [])})
    comps.update(kwargs.pop("compartments", None) or {})
    return explain(scorer.model, X, B, compartments=comps, **kwargs)
