"""Features: signature scoring kernels (ssGSEA, singscore, z-score) and TME extractors."""

from tmeprog.features.scoring import (
    DroppedGenesWarning,
    EmptySignatureWarning,
    score_chunks,
    score_signatures,
)
from tmeprog.features.zscore import ZScoreReference

__all__ = [
    "DroppedGenesWarning",
    "EmptySignatureWarning",
    "ZScoreReference",
    "score_chunks",
    "score_signatures",
]
