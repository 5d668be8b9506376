"""SHAP explanations of TME contributions for every model family.

* :func:`explain` - SHAP table (samples x input features) of a fitted model, with base value
  and output scale; exact for every supported family (TreeSHAP for forests and xgboost,
  closed form for linear models).
* :mod:`~tmeprog.explain.rollup` - mean |SHAP|, compartment roll-ups, per-group importance,
  stability of the ranking across CV folds.
* :mod:`~tmeprog.explain.plots` - beeswarm, compartment bars, dependence and waterfall figures.
* :func:`write_shap_table` / :func:`read_shap_table` - atomic parquet I/O.

Names are imported on first use, so worker processes that only need
:mod:`~tmeprog.explain.forest_shap` start without pandas or scikit-learn.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "explain": "explainers", "explain_scorer": "explainers", "align_features": "alignment",
    "ExtraColumnsWarning": "alignment", "supported_model": "targets",
    "ShapExplanation": "result", "AdditivityError": "result", "write_shap_table": "result",
    "read_shap_table": "result",
    "mean_abs_shap": "rollup", "feature_compartments": "rollup",
    "compartment_importance": "rollup", "patient_compartments": "rollup",
    "group_importance": "rollup", "ranking_stability": "rollup", "stability_summary": "rollup",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tmeprog.explain' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"tmeprog.explain.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
