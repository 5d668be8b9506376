"""Survival models on TME feature tables: estimators, validation, metrics, screen, plots.

Models take plain DataFrames (samples x features) and scikit-survival targets; this package
does not depend on how the features were made. Heavy libraries (scikit-survival estimators,
xgboost, lifelines, matplotlib) are imported inside the functions that use them.
"""

from tmeprog.models.base import SurvivalModel
from tmeprog.models.compare import Comparison, compare, default_models
from tmeprog.models.coxnet import CoxNetSurvival
from tmeprog.models.evaluation import Evaluation, evaluate, paired_difference
from tmeprog.models.feature_sets import clinical_baseline, design_matrices
from tmeprog.models.forest import RandomSurvivalForestModel
from tmeprog.models.inputs import (
    MIN_EVENTS,
    BootstrapWarning,
    FeatureDroppedWarning,
    HorizonWarning,
    UndefinedMetricWarning,
)
from tmeprog.models.preprocess import MedianStandardScaler
from tmeprog.models.screen import univariate_screen
from tmeprog.models.validation import (
    FoldPrediction,
    ValidationResult,
    cross_validate,
    leave_one_cohort_out,
)
from tmeprog.models.xgb import XGBAFTSurvival, XGBCoxSurvival

__all__ = [
    "MIN_EVENTS", "BootstrapWarning", "Comparison", "CoxNetSurvival", "Evaluation",
    "FeatureDroppedWarning", "FoldPrediction", "HorizonWarning", "MedianStandardScaler",
    "RandomSurvivalForestModel", "SurvivalModel", "UndefinedMetricWarning", "ValidationResult",
    "XGBAFTSurvival", "XGBCoxSurvival", "clinical_baseline", "compare", "cross_validate",
    "default_models", "design_matrices", "evaluate", "leave_one_cohort_out",
    "paired_difference", "univariate_screen",
]
