"""SHAP values of one fitted estimator on a preprocessed matrix, per model family.

Random survival forests explain scikit-survival's risk score, xgboost models their margin,
linear models their linear predictor; see :mod:`tmeprog.explain.explainers` for scales and
value functions.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tmeprog.errors import InputError
from tmeprog.explain.forest_shap import path_dependent_shap
from tmeprog.explain.targets import booster
from tmeprog.explain.tree_rsf import forest_to_tree_model, to_float32_grid


def _model_input(est, Z: np.ndarray):
    names = getattr(est, "feature_names_in_", None)
    return pd.DataFrame(Z, columns=list(names)) if names is not None else Z


@dataclass
class RawShap:
    """SHAP values of one estimator on its own (preprocessed) columns, before labelling."""

    phi: np.ndarray
    base: float
    output: np.ndarray  # the final estimator's own output on the explained rows
    method: str
    background: str
    scale: str
    rtol: float


def shap_forest(est, Z: np.ndarray, B: np.ndarray | None, n_jobs: int | None) -> RawShap:
    """TreeSHAP of a scikit-survival forest or tree (path-dependent without ``B``)."""
    model = forest_to_tree_model(est)
    Zr = to_float32_grid(Z)
    out = np.asarray(est.predict(_model_input(est, Zr)), dtype=float)
    scale = ("risk score: ensemble cumulative hazard summed over the training event times "
             "(expected number of events; higher = worse)")
    if B is None:
        phi, base = path_dependent_shap(model, Zr, n_jobs=n_jobs)
        return RawShap(phi, base, out, "exact path-dependent TreeSHAP (random survival forest "
                       "converted to scalar trees)", "training distribution (tree node covers)",
                       scale, 1e-9)
    import shap  # deferred: linear models are explained without shap (~3 s)

    ex = shap.TreeExplainer(model, data=to_float32_grid(B),
                            feature_perturbation="interventional")
    phi = np.asarray(ex.shap_values(Zr, check_additivity=False), dtype=float)
    return RawShap(phi, float(np.ravel(ex.expected_value)[0]), out,
                   "exact interventional TreeSHAP (random survival forest converted to scalar "
                   "trees; single-precision path weights)", f"{len(B)} background rows", scale,
                   1e-6)


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


#: Scale of an output negated by the wrapper's predict(), by the scale of the margin.
NEGATED_SCALES = {
    _XGB_SCALES["survival:aft"]: "risk = -log predicted survival time (minus the xgboost AFT "
    "margin, as predict() returns; higher = worse)",
}


def shap_xgb(est, Z: np.ndarray, B: np.ndarray | None) -> RawShap:
    """TreeSHAP of an xgboost booster's margin (path-dependent without ``B``)."""
    # deferred: shap (~3 s) and xgboost load only when an xgboost model is explained
    import shap
    import xgboost as xgb  # deferred: likewise

    bst = booster(est)
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
    return RawShap(phi, base, out, method, bg, scale, 1e-4)


def _linear_output(est) -> Callable[[np.ndarray], np.ndarray]:
    if hasattr(est, "decision_function") and hasattr(est, "classes_"):
        if len(est.classes_) != 2:
            raise InputError(f"{type(est).__name__} has {len(est.classes_)} classes; only "
                             "binary classifiers are supported")
        return lambda A: np.asarray(est.decision_function(_model_input(est, A)), dtype=float)
    return lambda A: np.asarray(est.predict(_model_input(est, A)), dtype=float)


def shap_linear(est, Z: np.ndarray, B: np.ndarray | None, centred: bool) -> RawShap:
    """Exact SHAP of a linear model: ``coef * (x - mean)``."""
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
    return RawShap(phi, float(probe[0]), f(Z), "exact linear SHAP: coef * (x - mean)", bg, scale,
                   1e-9)
