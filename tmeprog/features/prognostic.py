"""Breast prognostic scores as TME-extractor features (compartment ``prognostic``).

The extractor adds the continuous, unclipped form of each score (21-gene ``rs_unscaled``,
``gene70_score``, ``ggi_raw``, EndoPredict ``ep_unscaled``), scored by a
:class:`~tmeprog.features.subtypes.breast_signatures.BreastSignatureScorer` fitted with the
extractor. Its gene references (minimum / maximum, medians, quantiles) are frozen on the training
expression: they suit data on the training platform and scale; when cohorts of different
platforms are pooled, standardise features per cohort in validation.
"""

from __future__ import annotations

import warnings

import pandas as pd

from tmeprog.features.subtypes.breast_signatures import BreastSignatureScorer

#: Extractor feature -> the genefu signature behind it.
PROGNOSTIC_FEATURES = {"rs_unscaled": "oncotypedx", "gene70_score": "gene70",
                       "ggi_raw": "ggi", "ep_unscaled": "endopredict"}
COMPARTMENT = "prognostic"


def fit_prognostic(X: pd.DataFrame, coverage_threshold: float):
    """A fitted scorer and its coverage audit, one row per extractor feature."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scorer = BreastSignatureScorer(coverage_threshold=coverage_threshold).fit(X)
    for w in caught:  # re-issued under the extractor's feature names
        msg = str(w.message)
        for feat, sig in PROGNOSTIC_FEATURES.items():
            msg = msg.replace(f"{sig}:", f"{feat} ({sig}):")
        warnings.warn(msg, w.category, stacklevel=3)
    cov = scorer.coverage_.rename(index={v: k for k, v in PROGNOSTIC_FEATURES.items()})
    return scorer, cov.loc[list(PROGNOSTIC_FEATURES)]


def prognostic_features(scorer, X: pd.DataFrame) -> pd.DataFrame:
    """The prognostic feature columns of expression ``X`` (samples x 4)."""
    return scorer.transform(X)[list(PROGNOSTIC_FEATURES)]
