"""Breast prognostic scores against formulas written out from the papers / genefu's tables.

The references below read the shared genefu TSVs with pandas and compute each score with
numpy / scipy directly (the 21-gene score from Paik 2004's group formula, not from the table's
product weights), on a synthetic fixture and the bundled cohorts.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from tmeprog.errors import InputError
from tmeprog.features.coverage import CoverageWarning
from tmeprog.features.subtypes.breast_signatures import BreastSignatureScorer, rs_group
from tmeprog.signatures.genefu import breast_signature

pytestmark = pytest.mark.shared_data

RS_GENES = {"GRB7": "GRB7", "ERBB2": "ERBB2", "ESR1": "ESR1", "PGR": "PGR", "BCL2": "BCL2",
            "SCUBE2": "SCUBE2", "BIRC5": "BIRC5", "MKI67": "MKI67", "MYBL2": "MYBL2",
            "CCNB1": "CCNB1", "AURKA": "AURKA", "CTSL2": "CTSV", "MMP11": "MMP11",
            "CD68": "CD68", "GSTM1": "GSTM1", "BAG1": "BAG1"}


def paik_rs(expr: pd.DataFrame) -> pd.Series:
    """Paik 2004's recurrence score on genes scaled to 0-15 within ``expr``; an absent gene of
    a group is left out of that group's mean (as the implementation documents)."""
    d = {}
    for old, new in RS_GENES.items():
        if new in expr.columns:
            x = expr[new]
            d[old] = 15 * (x - x.min()) / (x.max() - x.min())
    d = pd.DataFrame(d)

    def mean(parts):
        have = {g: w for g, w in parts.items() if g in d}
        return sum(d[g] * w for g, w in have.items()) / sum(have.values())

    grb7 = np.maximum(mean({"GRB7": 0.9, "ERBB2": 0.1}), 8)
    er = mean({"ESR1": 0.8, "PGR": 1.2, "BCL2": 1, "SCUBE2": 1})
    prolif = np.maximum(mean({g: 1 for g in ("BIRC5", "MKI67", "MYBL2", "CCNB1", "AURKA")}),
                        6.5)
    inv = mean({"CTSL2": 1, "MMP11": 1})
    rsu = (0.47 * grb7 - 0.34 * er + 1.04 * prolif + 0.10 * inv + 0.05 * d["CD68"]
           - 0.08 * d["GSTM1"] - 0.07 * d["BAG1"])
    return rsu


def _fixture(n=60, seed=11):
    rng = np.random.default_rng(seed)
    genes = set(RS_GENES.values())
    for name in ("gene70", "ggi", "endopredict"):
        genes |= set(breast_signature(name)["symbol"])
    genes = sorted(genes)
    prolif = rng.normal(0, 1, n)
    loading = rng.choice([-0.8, 0.0, 0.8], len(genes))
    return pd.DataFrame(rng.normal(7, 1.5, (n, len(genes))) + np.outer(prolif, loading),
                        index=[f"s{i}" for i in range(n)], columns=genes)


def test_recurrence_score_matches_paik_formula(genefu_dir):
    X = _fixture()
    sc = BreastSignatureScorer(signatures=("oncotypedx",)).fit(X)
    out = sc.transform(X)
    ref = paik_rs(X)
    np.testing.assert_allclose(out["rs_unscaled"], ref, rtol=1e-12)
    np.testing.assert_allclose(out["rs"], np.clip(20 * (ref - 6.7), 0, 100), rtol=1e-12)
    # the table weights are the products of Paik's group coefficients and within-group weights
    tab = pd.read_csv(genefu_dir / "sig.oncotypedx.tsv", sep="\t").set_index("symbol")
    assert tab.loc["GRB7", "weight"] == pytest.approx(0.47 * 0.9)
    assert tab.loc["PGR", "weight"] == pytest.approx(-0.34 * 1.2 / 4)


def test_rs_with_a_missing_gene_matches_the_reduced_formula():
    X = _fixture().drop(columns=["BIRC5", "PGR"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CoverageWarning)
        out = BreastSignatureScorer(signatures=("oncotypedx",)).fit(X).transform(X)
    np.testing.assert_allclose(out["rs_unscaled"], paik_rs(X), rtol=1e-12)


def test_gene70_ggi_endopredict_match_direct_computation(genefu_dir):
    X = _fixture()
    out = BreastSignatureScorer().fit(X).transform(X)
    centred = X - X.median()
    # 70-gene: first probe of each gene, template from the shared table
    g70 = pd.read_csv(genefu_dir / "sig.gene70.tsv", sep="\t")
    mapped = breast_signature("gene70").set_index("probe")["symbol"]
    g70 = g70[g70["probe"].isin(mapped.index)]
    genes = mapped[g70["probe"]].to_numpy()
    tmpl = g70["average.good.prognosis.profile"].to_numpy()
    ref70 = [-spearmanr(centred.loc[s, genes], tmpl)[0] for s in X.index]
    np.testing.assert_allclose(out["gene70_score"], ref70, rtol=1e-12)
    # genomic grade index: signed mean weighted by the share of up / down genes
    ggi = pd.read_csv(genefu_dir / "sig.ggi.tsv", sep="\t")
    gmap = breast_signature("ggi").set_index("probe")["symbol"]
    ggi = ggi[ggi["probe"].isin(gmap.index)]
    up = gmap[ggi.loc[ggi["grade"] == 3, "probe"]].to_numpy()
    dn = gmap[ggi.loc[ggi["grade"] == 1, "probe"]].to_numpy()
    share = len(up) / (len(up) + len(dn))
    refg = share * centred[up].mean(axis=1) - (1 - share) * centred[dn].mean(axis=1)
    np.testing.assert_allclose(out["ggi_raw"], refg, rtol=1e-12)
    # EndoPredict, genefu's mapped-platform branch
    ep = pd.read_csv(genefu_dir / "sig.endoPredict.tsv", sep="\t")
    ep = ep[ep["group"] == "GOI"].set_index("symbol")
    v = X[ep.index]
    lo, hi = v.quantile(0.025), v.quantile(0.975)
    v = ((v - lo) / (hi - lo) * 8 + 6).clip(1, 15)
    v = v.sub(v.mean(axis=1), axis=0) + np.log2(500)
    t = (v - ep["b"]) / ep["a"]
    unscaled = t @ ep["weight"] - 2.63
    np.testing.assert_allclose(out["ep_unscaled"], unscaled, rtol=1e-12)
    np.testing.assert_allclose(out["ep"], np.clip(1.5 * unscaled + 18.95, 0, 15), rtol=1e-12)


def test_single_sample_gets_its_cohort_scores():
    X = _fixture()
    grade = pd.Series(np.tile([1, 2, 3], 20), index=X.index)
    sc = BreastSignatureScorer().fit(X, grade=grade)
    within = sc.transform(X)
    assert "ggi" in within.columns
    for s in X.index[:5]:
        pd.testing.assert_frame_equal(sc.transform(X.loc[[s]]), within.loc[[s]])


def test_low_coverage_is_nan_with_a_warning_and_bad_input_errors():
    X = _fixture()
    thin = X.drop(columns=list(breast_signature("gene70")["symbol"][:40]))
    with pytest.warns(CoverageWarning, match="gene70"):
        out = BreastSignatureScorer().fit(thin).transform(thin)
    assert out["gene70_score"].isna().all() and out["rs"].notna().all()
    with pytest.raises(InputError, match="at least 10 samples"):
        BreastSignatureScorer().fit(X.iloc[:3])
    with pytest.raises(InputError, match="unknown breast signatures"):
        BreastSignatureScorer(signatures=("mammaprint",)).fit(X)


def test_rs_group_cut_points():
    assert list(rs_group(pd.Series([0, 17.9, 18, 30.9, 31, np.nan]))) == [
        "low", "low", "intermediate", "intermediate", "high", pd.NA]


@pytest.mark.parametrize("name", ["gse1992", "gse4335"])
def test_rs_and_ggi_follow_histological_grade(bundled, name):
    c = bundled[name]
    out = BreastSignatureScorer().fit(c.expression).transform(c.expression)
    grade = c.clinical["grade"].astype("Float64")
    ok = grade.notna()
    np.testing.assert_allclose(out["rs_unscaled"], paik_rs(c.expression), rtol=1e-12)
    for col in ("rs_unscaled", "ggi_raw"):
        rho = spearmanr(out.loc[ok, col], grade[ok].astype(float))[0]
        assert rho > 0.3, (col, rho)
