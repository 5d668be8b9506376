"""Breast-cancer subtypes and prognostic signatures: PAM50 intrinsic subtypes, receptor status
from expression, 21-gene / 70-gene / genomic-grade / EndoPredict scores."""

from tmeprog.features.subtypes.breast_signatures import BreastSignatureScorer, rs_group
from tmeprog.features.subtypes.calls import (
    SubtypeCaller,
    annotate_clinical,
    annotate_cohort,
    call_subtypes,
    fill_subtype_calls,
)
from tmeprog.features.subtypes.pam50 import PAM50Classifier, PAM50GeneWarning
from tmeprog.features.subtypes.receptors import ReceptorCaller, ReceptorWarning

__all__ = ["BreastSignatureScorer", "PAM50Classifier", "PAM50GeneWarning", "ReceptorCaller",
           "ReceptorWarning", "SubtypeCaller", "annotate_clinical", "annotate_cohort",
           "call_subtypes", "fill_subtype_calls", "rs_group"]
