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

from collections.abc import Mapping

import numpy as np
import pandas as pd

from tmeprog.errors import InputError
from tmeprog.explain.alignment import align_features
from tmeprog.explain.families import NEGATED_SCALES, shap_forest, shap_linear, shap_xgb
from tmeprog.explain.result import AdditivityError, ShapExplanation
from tmeprog.explain.rollup import feature_compartments
from tmeprog.explain.targets import Target, model_family, resolve

__all__ = ["explain", "explain_scorer"]


def _outer_link(target: Target, Xa: pd.DataFrame, raw: np.ndarray, scale: str, rtol: float):
    """Sign relating the wrapper's predict() to the explained output, its values and scale."""
    if target.outer is None:
        return 1.0, raw, scale
    pred = np.asarray(target.outer.predict(Xa), dtype=float).ravel()
    tol = rtol * max(1.0, float(np.max(np.abs(raw))))
    if pred.shape == raw.shape:
        if np.allclose(pred, raw, rtol=0, atol=tol):
            return 1.0, pred, scale
        if np.allclose(pred, -raw, rtol=0, atol=tol):
            negated = NEGATED_SCALES.get(scale, f"-1 x [{scale}], as returned by predict()")
            return -1.0, pred, negated
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
    target = resolve(model)
    Xa = align_features(X, target.names, "X", target.n_features)
    Ba = None
    if background is not None:
        Ba = align_features(background, list(Xa.columns), "background")
    Z = target.transform(Xa) if target.transform else Xa
    BZ = None if Ba is None else (target.transform(Ba) if target.transform else Ba)
    Zn = Z.to_numpy(dtype=float)
    Bn = None if BZ is None else BZ[Z.columns].to_numpy(dtype=float)
    fam = model_family(target.estimator)
    if fam == "forest":
        raw = shap_forest(target.estimator, Zn, Bn, n_jobs)
    elif fam == "xgboost":
        raw = shap_xgb(target.estimator, Zn, Bn)
    else:
        raw = shap_linear(target.estimator, Zn, Bn, target.centred)
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
