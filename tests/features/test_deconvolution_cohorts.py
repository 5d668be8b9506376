"""quanTIseq fractions and PROGENy activities through the extractor on the bundled cohorts:
biology (markers, ESTIMATE purity, ER status), per-sample independence, log-ratio refusal."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import mannwhitneyu, spearmanr
from sklearn.base import clone

from tmeprog.cohorts import load_cohort
from tmeprog.errors import InputError
from tmeprog.explain.rollup import feature_compartments
from tmeprog.features.deconvolution import DeconvolutionWarning, cohort_options
from tmeprog.features.definitions import FRACTION_FEATURES, PROGENY_FEATURES
from tmeprog.features.extractor import TMEFeatureExtractor


@pytest.fixture(scope="module")
def gse3143():
    c = load_cohort("gse3143")
    opts = cohort_options(c.meta.scale, c.meta.extra.get("input_scale"), c.meta.platform,
                          tumour_cohort=True)
    assert opts == {"expression_scale": "log2", "arrays": True, "tumor": True}
    ext = TMEFeatureExtractor(deconvolution="quantiseq", pathways="progeny", **opts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        F = ext.fit(c.expression).transform(c.expression)
    return c, ext, F


def rho(a, b) -> float:
    return float(spearmanr(a, b, nan_policy="omit").statistic)


def test_fractions_follow_their_marker_genes(gse3143):
    c, _, F = gse3143
    e = c.expression
    assert rho(F["frac_t_cells_cd8"], e[["CD8A", "CD8B"]].mean(axis=1)) > 0.5
    assert rho(F["frac_b_cells"], e[["MS4A1", "CD79A"]].mean(axis=1)) > 0.5


def test_other_fraction_follows_estimate_purity(gse3143):
    _, _, F = gse3143
    assert rho(F["frac_other"], F["tumor_purity"]) > 0.5


def test_immune_fraction_is_higher_in_er_negative_tumours(gse3143):
    c, _, F = gse3143
    er = c.clinical["er"].reindex(F.index)
    neg, pos = F.loc[er == 0, "immune_fraction"], F.loc[er == 1, "immune_fraction"]
    assert len(neg) > 20 and len(pos) > 20
    assert mannwhitneyu(neg, pos, alternative="greater").pvalue < 0.01


def test_fractions_sum_to_one_and_derived_columns(gse3143):
    _, _, F = gse3143
    cells = [f for f in FRACTION_FEATURES if f.startswith("frac_")]
    np.testing.assert_allclose(F[cells].sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(F["immune_fraction"], 1 - F["frac_other"], atol=1e-12)
    til = F[["frac_b_cells", "frac_t_cells_cd4", "frac_t_cells_cd8", "frac_tregs",
             "frac_nk_cells"]].sum(axis=1)
    np.testing.assert_allclose(F["til_fraction"], til, atol=1e-12)


def test_compartments_audit_and_progeny_columns(gse3143):
    _, ext, F = gse3143
    assert set(PROGENY_FEATURES) <= set(F.columns)
    assert ext.compartments_["frac_t_cells_cd8"] == "immune"
    assert ext.compartments_["frac_other"] == "stromal"
    assert ext.compartments_["progeny_tgfb"] == "signalling"
    # SHAP roll-ups know the new features without the extractor's mapping
    comp = feature_compartments(["frac_b_cells", "progeny_wnt", "immune_fraction"], warn=False)
    assert comp == {"frac_b_cells": "immune", "progeny_wnt": "signalling",
                    "immune_fraction": "immune"}
    cov = ext.coverage_
    assert {"quantiseq", "progeny_pi3k"} <= set(cov.index)
    # footprints this array lacks are NaN, as its coverage audit says
    for p in PROGENY_FEATURES:
        assert F[p].isna().all() == (not cov.loc[p, "ok"])


def test_a_patient_alone_gets_the_cohort_numbers(gse3143):
    c, ext, F = gse3143
    alone = ext.transform(c.expression.iloc[[7]])
    cols = list(FRACTION_FEATURES) + list(PROGENY_FEATURES)
    pd.testing.assert_frame_equal(alone[cols], F.iloc[[7]][cols], check_exact=True)
    assert clone(ext).get_params() == ext.get_params()


def test_log_ratio_cohorts_are_refused_or_nan():
    c = load_cohort("gse4335")
    with pytest.raises(InputError, match="log ratios"):
        cohort_options(c.meta.scale, c.meta.extra.get("input_scale"), c.meta.platform)
    # stacked with others (a pipeline), its samples get NaN and a warning naming them
    ext = TMEFeatureExtractor(deconvolution="quantiseq", features=["til_density"])
    with pytest.warns(DeconvolutionWarning, match="log ratios"):
        F = ext.fit(c.expression).transform(c.expression)
    assert F["frac_other"].isna().mean() > 0.9


def test_progeny_estrogen_is_higher_in_er_positive_tumours(gse3143):
    c, _, F = gse3143
    er = c.clinical["er"].reindex(F.index)
    pos, neg = F.loc[er == 1, "progeny_estrogen"], F.loc[er == 0, "progeny_estrogen"]
    assert mannwhitneyu(pos, neg, alternative="greater").pvalue < 1e-4
