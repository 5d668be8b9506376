"""The breast prognostic scores as extractor features (compartment ``prognostic``)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from tmeprog.features.extractor import TMEFeatureExtractor
from tmeprog.features.prognostic import PROGNOSTIC_FEATURES
from tmeprog.features.subtypes import BreastSignatureScorer


@pytest.fixture(scope="module")
def gse4335():
    from tmeprog.cohorts import load_cohort

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_cohort("gse4335")


def test_extractor_adds_prognostic_scores(gse4335):
    X = gse4335.expression
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = TMEFeatureExtractor().fit(X)
        ext = TMEFeatureExtractor(breast_signatures=True).fit(X)
        F = ext.transform(X)
    base = plain.transform(X)
    assert list(F.columns) == list(base.columns) + list(PROGNOSTIC_FEATURES)
    pd.testing.assert_frame_equal(F[base.columns], base)
    direct = BreastSignatureScorer().fit(X).transform(X)
    for feat in PROGNOSTIC_FEATURES:
        np.testing.assert_array_equal(F[feat].to_numpy(), direct[feat].to_numpy())
        assert ext.compartments_[feat] == "prognostic"
        assert F.attrs["compartments"][feat] == "prognostic"
    assert list(ext.get_feature_names_out()) == list(F.columns)
    cov = ext.coverage_.loc[list(PROGNOSTIC_FEATURES)]
    assert cov.loc["rs_unscaled", "missing"] == "BIRC5"
    assert cov["ok"].all()


def test_patient_alone_and_low_coverage(gse4335):
    X = gse4335.expression
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ext = TMEFeatureExtractor(breast_signatures=True).fit(X)
    within = ext.transform(X)
    alone = ext.transform(X.iloc[[7]])
    pd.testing.assert_frame_equal(alone, within.iloc[[7]])
    from tmeprog.signatures.genefu import breast_signature

    drop = [g for g in breast_signature("gene70")["symbol"] if g in X.columns][:30]
    with pytest.warns(UserWarning, match=r"gene70_score \(gene70\)"):
        thin = TMEFeatureExtractor(breast_signatures=True).fit(X.drop(columns=drop))
    assert "gene70_score" in thin.inactive_
    assert thin.transform(X.drop(columns=drop))["gene70_score"].isna().all()


def test_prognostic_scores_beside_fractions_and_pathways():
    """Breast scores, quanTIseq fractions and PROGENy activity in one extractor keep every block."""
    from tmeprog.cohorts import load_cohort
    from tmeprog.features.definitions import FRACTION_FEATURES, PROGENY_FEATURES

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X = load_cohort("gse3143").expression
        both = TMEFeatureExtractor(breast_signatures=True, deconvolution="quantiseq",
                                   pathways="progeny", arrays=True, tumor=True).fit(X)
        F = both.transform(X)
        blocks = TMEFeatureExtractor(deconvolution="quantiseq", pathways="progeny",
                                     arrays=True, tumor=True).fit(X).transform(X)
    assert list(F.columns) == list(blocks.columns) + list(PROGNOSTIC_FEATURES)
    assert set(FRACTION_FEATURES) | set(PROGENY_FEATURES) <= set(F.columns)
    pd.testing.assert_frame_equal(F[blocks.columns], blocks)
    assert list(both.get_feature_names_out()) == list(F.columns)
