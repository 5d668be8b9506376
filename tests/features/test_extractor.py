import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import mannwhitneyu, spearmanr
from sklearn.base import clone

from tmeprog.cohorts import load_cohort
from tmeprog.errors import InputError
from tmeprog.features.coverage import CoverageWarning
from tmeprog.features.definitions import DEFAULT_FEATURES, estimate_purity
from tmeprog.features.extractor import TMEFeatureExtractor


@pytest.fixture(scope="module")
def gse1992():
    return load_cohort("gse1992")


@pytest.fixture(scope="module")
def gse1992_features(gse1992):
    ext = TMEFeatureExtractor().fit(gse1992.expression)
    return ext, ext.transform(gse1992.expression)


def test_feature_table_shape_and_compartments(gse1992, gse1992_features):
    ext, F = gse1992_features
    assert list(F.columns) == list(DEFAULT_FEATURES)
    assert F.index.equals(gse1992.expression.index)
    assert np.isfinite(F.to_numpy()).all()
    assert set(ext.compartments_) == set(F.columns)
    assert ext.compartments_["cell_caf"] == "stromal"
    assert ext.compartments_["til_density"] == "immune"
    assert ext.compartments_["process_proliferation"] == "proliferation"


def test_til_density_tracks_cd8a_and_gzmb(gse1992, gse1992_features):
    _, F = gse1992_features
    for gene in ("CD8A", "GZMB"):
        rho = spearmanr(F["til_density"], gse1992.expression[gene]).statistic
        assert rho > 0.6, (gene, rho)


def test_stromal_score_tracks_fap_and_dcn(gse1992, gse1992_features):
    _, F = gse1992_features
    for gene in ("FAP", "DCN"):
        rho = spearmanr(F["stromal_score"], gse1992.expression[gene]).statistic
        assert rho > 0.6, (gene, rho)


def test_proliferation_higher_in_grade3(gse1992, gse1992_features):
    _, F = gse1992_features
    g = gse1992.clinical["grade"]
    p = mannwhitneyu(F.loc[(g == 3).fillna(False).to_numpy(), "process_proliferation"],
                     F.loc[(g == 1).fillna(False).to_numpy(), "process_proliferation"],
                     alternative="greater").pvalue
    assert p < 0.01


def test_immune_features_higher_in_er_negative_gse3143():
    c = load_cohort("gse3143")
    F = TMEFeatureExtractor().fit_transform(c.expression)
    er = c.clinical["er"]
    neg = (er == 0).fillna(False).to_numpy()
    pos = (er == 1).fillna(False).to_numpy()
    for f in ("immune_score", "til_density"):
        p = mannwhitneyu(F.loc[neg, f], F.loc[pos, f], alternative="greater").pvalue
        assert p < 0.001, (f, p)


def test_single_patient_scored_alone_matches_cohort(gse1992, gse1992_features):
    ext, F = gse1992_features
    for i in (0, 57, 123):
        alone = ext.transform(gse1992.expression.iloc[[i]])
        np.testing.assert_allclose(alone.to_numpy(), F.iloc[[i]].to_numpy(), rtol=1e-12,
                                   atol=1e-9)


def test_stacked_platforms_scored_per_gene_pattern(gse1992):
    other = load_cohort("gse4335").expression.iloc[:20]
    stacked = pd.concat([gse1992.expression.iloc[:20], other])
    ext = TMEFeatureExtractor().fit(stacked)
    both = ext.transform(stacked)
    alone = TMEFeatureExtractor().fit(other).transform(other)
    np.testing.assert_allclose(both.loc[other.index].to_numpy(), alone.to_numpy(), rtol=1e-12,
                               atol=1e-9)


def test_feature_a_cohort_lacks_is_nan_there_only(gse1992):
    # gse4335 (cDNA arrays) holds 2 of the 7 Treg genes; gse1992 holds all 7
    other = load_cohort("gse4335").expression.iloc[:15]
    mine = gse1992.expression.iloc[:15]
    stacked = pd.concat([mine, other])
    with pytest.warns(CoverageWarning, match="cell_treg"):
        ext = TMEFeatureExtractor(features=["cell_treg", "cell_b"]).fit(stacked)
        both = ext.transform(stacked)
    assert "cell_treg" not in ext.inactive_
    cov = ext.coverage_.loc["cell_treg"]
    assert (cov["n_present"], cov["n_present_min"], cov["n_groups_ok"]) == (7, 2, 1)
    assert both.loc[mine.index, "cell_treg"].notna().all()
    assert both.loc[other.index, "cell_treg"].isna().all()
    alone = TMEFeatureExtractor(features=["cell_treg", "cell_b"]).fit(mine).transform(mine)
    np.testing.assert_allclose(both.loc[mine.index].to_numpy(), alone.to_numpy(), rtol=1e-12)


def test_low_coverage_gives_nan_and_names_missing_genes(gse1992):
    expr = gse1992.expression.drop(columns=["FAP", "PDGFRB", "COL1A1", "COL1A2", "COL3A1",
                                            "COL5A1", "THY1", "DCN", "LUM", "POSTN", "TAGLN",
                                            "ACTA2", "MMP2", "FN1"], errors="ignore")
    ext = TMEFeatureExtractor(coverage_threshold=0.9, features=["cell_caf", "cell_b"])
    with pytest.warns(CoverageWarning, match="cell_caf") as rec:
        F = ext.fit(expr).transform(expr)
    assert F["cell_caf"].isna().all()
    assert F["cell_b"].notna().all()
    assert any("Missing:" in str(w.message) and "FAP" in str(w.message) for w in rec)


def test_user_signature_under_its_name(gse1992):
    ext = TMEFeatureExtractor(features=["cell_b"],
                              extra_signatures={"MY_IMMUNE": ["cd8a", "GZMB", "PRF1"]})
    F = ext.fit_transform(gse1992.expression)
    assert list(F.columns) == ["cell_b", "MY_IMMUNE"]
    assert ext.compartments_["MY_IMMUNE"] == "user"


def test_clone_and_params():
    ext = TMEFeatureExtractor(method="zscore", coverage_threshold=0.7)
    c = clone(ext)
    assert c.get_params() == ext.get_params()


def test_zscore_reference_frozen_at_fit(gse1992):
    train, test = gse1992.expression.iloc[:80], gse1992.expression.iloc[80:]
    ext = TMEFeatureExtractor(method="zscore", features=["cell_b", "process_proliferation"])
    ext.fit(train)
    full = ext.transform(test)
    one = ext.transform(test.iloc[[3]])
    np.testing.assert_allclose(one.to_numpy(), full.iloc[[3]].to_numpy(), rtol=1e-12)
    # a different training set gives a different reference, hence different scores
    other = clone(ext).fit(gse1992.expression.iloc[40:])
    assert not np.allclose(other.transform(test).to_numpy(), full.to_numpy())


@pytest.mark.parametrize("bad, msg", [
    (lambda e: e.iloc[:, :500], "at least 1000"),
    (lambda e: e.rename(columns={e.columns[1]: e.columns[0]}), "duplicated gene"),
    (lambda e: e.to_numpy(), "DataFrame"),
])
def test_bad_input_is_one_clear_error(gse1992, bad, msg):
    with pytest.raises(InputError, match=msg):
        TMEFeatureExtractor().fit(bad(gse1992.expression))


def test_unknown_feature_name():
    with pytest.raises(InputError, match="unknown TME features"):
        TMEFeatureExtractor(features=["cell_unicorn"]).fit(
            pd.DataFrame(np.zeros((2, 1000)), columns=[f"G{i}" for i in range(1000)]))


def test_estimate_purity_formula():
    assert estimate_purity(0.0) == pytest.approx(np.cos(0.6049872018))
    assert estimate_purity(1000.0) == pytest.approx(np.cos(0.6049872018 + 0.1467884))
    assert estimate_purity(20000.0) == 0.0  # clipped outside the calibrated range
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        estimate_purity(np.array([1.0, 2.0]))


def test_column_order_does_not_change_scores(gse1992, gse1992_features):
    ext, F = gse1992_features
    cols = np.random.default_rng(7).permutation(gse1992.expression.columns)
    shuffled = ext.transform(gse1992.expression[cols])
    np.testing.assert_allclose(shuffled.to_numpy(), F.to_numpy(), rtol=1e-12, atol=1e-9)


def test_gsva_method_freezes_its_kernel_reference(gse1992):
    from tmeprog.features.gsva import GSVAReference

    X = gse1992.expression
    ext = TMEFeatureExtractor(method="gsva", features=["til_density", "cell_caf"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        F = ext.fit(X.iloc[:80]).transform(X.iloc[80:])
        alone = ext.transform(X.iloc[[85]])
    assert isinstance(ext.reference_, GSVAReference) and ext.reference_.n_samples_fit_ == 80
    pd.testing.assert_frame_equal(alone, F.loc[[X.index[85]]], check_exact=True)
    assert rho_ok(F["til_density"], X.iloc[80:]["CD8A"])


def rho_ok(a, b) -> bool:
    return spearmanr(a, b).statistic > 0.5


def test_served_coverage_audits_fractions_and_footprints():
    from tmeprog.scoring.coverage import CoverageModel
    from tmeprog.serving.scorer import Scorer

    c = load_cohort("gse3143")
    ext = TMEFeatureExtractor(deconvolution="quantiseq", pathways="progeny", arrays=True,
                              features=["til_density"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ext.fit(c.expression)
    scorer = Scorer(task="prognosis", model=None, clinical_columns=[], extractor=ext,
                    design_columns=["frac_t_cells_cd8", "immune_fraction", "progeny_tgfb"])
    cov = CoverageModel.of(scorer)
    assert set(cov.gene_sets) == {"quantiseq", "progeny_tgfb"}
    assert cov.gene_sets["quantiseq"] == ext.deconvolver_.signature_genes_
    thin = [g for g in c.expression.columns if g not in cov.gene_sets["quantiseq"][:120]]
    with pytest.raises(InputError, match="quantiseq"):
        cov.audit(thin, "input")
