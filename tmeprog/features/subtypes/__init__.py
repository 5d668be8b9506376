"""Breast-cancer subtypes: PAM50 intrinsic subtypes and receptor status from expression."""

from tmeprog.features.subtypes.calls import (
    SubtypeCaller,
    annotate_clinical,
    annotate_cohort,
    call_subtypes,
    fill_subtype_calls,
)
from tmeprog.features.subtypes.pam50 import PAM50Classifier, PAM50GeneWarning
from tmeprog.features.subtypes.receptors import ReceptorCaller, ReceptorWarning

__all__ = ["PAM50Classifier", "PAM50GeneWarning", "ReceptorCaller", "ReceptorWarning",
           "SubtypeCaller", "annotate_clinical", "annotate_cohort", "call_subtypes",
           "fill_subtype_calls"]
