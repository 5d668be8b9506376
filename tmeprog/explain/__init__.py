"""SHAP explanations of TME contributions for every model family.

* :func:`explain` - SHAP table (samples x input features) of a fitted model, with base value
  and output scale; exact for every supported family (TreeSHAP for forests and xgboost,
  closed form for linear models).
* :mod:`~tmeprog.explain.rollup` - mean |SHAP|, compartment roll-ups, per-group importance,
  stability of the ranking across CV folds.
* :mod:`~tmeprog.explain.plots` - beeswarm, compartment bars, dependence and waterfall figures.
* :func:`write_shap_table` / :func:`read_shap_table` - atomic parquet I/O.
"""

from tmeprog.explain.explainers import (
    ExtraColumnsWarning,
    align_features,
    explain,
    explain_scorer,
    supported_model,
)
from tmeprog.explain.result import (
    AdditivityError,
    ShapExplanation,
    read_shap_table,
    write_shap_table,
)
from tmeprog.explain.rollup import (
    compartment_importance,
    feature_compartments,
    group_importance,
    mean_abs_shap,
    patient_compartments,
    ranking_stability,
    stability_summary,
)

__all__ = [
    "AdditivityError", "ExtraColumnsWarning", "ShapExplanation", "align_features",
    "compartment_importance", "explain", "explain_scorer", "feature_compartments",
    "group_importance", "mean_abs_shap", "patient_compartments", "ranking_stability",
    "read_shap_table", "stability_summary", "supported_model", "write_shap_table",
]
