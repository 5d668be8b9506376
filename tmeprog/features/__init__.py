"""Features: signature scoring kernels (ssGSEA, singscore, z-score, GSVA), quanTIseq
deconvolution, PROGENy pathway activity, breast-cancer subtypes (PAM50, receptor
status) and the TME extractor."""

from tmeprog.features.deconvolution import DeconvolutionWarning, QuanTIseq, deconvolve
from tmeprog.features.gsva import GSVAReference
from tmeprog.features.scoring import (
    DroppedGenesWarning,
    EmptySignatureWarning,
    score_chunks,
    score_signatures,
)
from tmeprog.features.subtypes import PAM50Classifier, SubtypeCaller, call_subtypes
from tmeprog.features.zscore import ZScoreReference

__all__ = [
    "DeconvolutionWarning",
    "DroppedGenesWarning",
    "EmptySignatureWarning",
    "GSVAReference",
    "PAM50Classifier",
    "QuanTIseq",
    "SubtypeCaller",
    "ZScoreReference",
    "call_subtypes",
    "deconvolve",
    "score_chunks",
    "score_signatures",
]
