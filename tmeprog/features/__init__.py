"""Features: signature scoring kernels (ssGSEA, singscore, z-score), TME extractors and
breast-cancer subtypes (PAM50, receptor status)."""

from tmeprog.features.scoring import (
    DroppedGenesWarning,
    EmptySignatureWarning,
    score_chunks,
    score_signatures,
)
from tmeprog.features.subtypes import PAM50Classifier, SubtypeCaller, call_subtypes
from tmeprog.features.zscore import ZScoreReference

__all__ = [
    "DroppedGenesWarning",
    "EmptySignatureWarning",
    "PAM50Classifier",
    "SubtypeCaller",
    "ZScoreReference",
    "call_subtypes",
    "score_chunks",
    "score_signatures",
]
