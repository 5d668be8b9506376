"""PAM50 calls against an independent re-computation from genefu's reference files.

The reference reads the shared centroid TSV with pandas, centres or rescales with numpy's
median / quantile, and correlates with ``scipy.stats.spearmanr`` one sample and one centroid
at a time: no tmeprog helper is involved.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from sklearn.base import clone

from tests.features.subtypes.conftest import synthetic_cohort
from tmeprog.errors import InputError
from tmeprog.features import PAM50Classifier
from tmeprog.features.subtypes import PAM50GeneWarning

pytestmark = pytest.mark.shared_data


def reference_calls(expr: pd.DataFrame, centroids: pd.DataFrame, centring: str, variant: str,
                    er: pd.Series | None = None, q: float = 0.05) -> pd.DataFrame:
    genes = [g for g in centroids.index if g in expr.columns]
    X = expr[genes].to_numpy(dtype=float)
    C = centroids.loc[genes].to_numpy(dtype=float)
    ref = X
    if centring == "balanced":
        e = er.reindex(expr.index).to_numpy(dtype=float)
        n_pos, n_neg = int((e == 1).sum()), int((e == 0).sum())
        g = math.gcd(n_pos, n_neg)
        reps = np.where(e == 1, n_neg // g, np.where(e == 0, n_pos // g, 0))
        ref = np.repeat(X, reps, axis=0)
    if variant == "plain":
        Z = X if centring == "none" else X - np.nanmedian(ref, axis=0)
    else:
        lo = np.nanquantile(ref, q / 2, axis=0)
        hi = np.nanquantile(ref, 1 - q / 2, axis=0)
        Z = 2 * (X - lo) / (hi - lo) - 1
    cors = np.array([[spearmanr(Z[i], C[:, k], nan_policy="omit")[0]
                      for k in range(C.shape[1])] for i in range(len(Z))])
    out = pd.DataFrame(cors, index=expr.index, columns=centroids.columns)
    out["call"] = centroids.columns[np.argmax(cors, axis=1)]
    return out


def assert_matches(table: pd.DataFrame, ref: pd.DataFrame) -> None:
    classes = [c for c in ref.columns if c != "call"]
    got = table[[f"pam50_cor_{c}" for c in classes]].to_numpy()
    np.testing.assert_allclose(got, ref[classes].to_numpy(), rtol=0, atol=1e-12)
    assert (table["pam50"].to_numpy(dtype=object) == ref["call"].to_numpy(dtype=object)).all()


@pytest.mark.parametrize("name,centring,variant", [
    ("gse1992", "median", "plain"), ("gse1992", "balanced", "plain"),
    ("gse1992", "median", "robust"), ("gse1992", "balanced", "robust"),
    ("gse1992", "none", "plain"), ("gse4335", "balanced", "plain"),
    ("gse4335", "median", "robust"), ("gse3143", "balanced", "plain"),
])
def test_bundled_cohorts_match_independent_reference(bundled, reference_centroids, name,
                                                     centring, variant):
    c = bundled[name]
    er = c.clinical["er"].astype("Float64").astype(float)
    complete = er.notna()  # the reference needs the ER used for balancing, sample by sample
    expr = c.expression.loc[complete] if centring == "balanced" else c.expression
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PAM50GeneWarning)
        clf = PAM50Classifier(variant=variant, centring=centring).fit(expr, er=er)
        table = clf.predict_table(expr)
    assert_matches(table, reference_calls(expr, reference_centroids, centring, variant, er))
    n_present = sum(g in expr.columns for g in reference_centroids.index)
    assert (table["pam50_genes"] == n_present).all()
    top2 = np.sort(table.filter(like="pam50_cor_").to_numpy(), axis=1)[:, -2:]
    np.testing.assert_allclose(table["pam50_confidence"], top2[:, 1] - top2[:, 0])


def test_fixture_with_missing_genes_matches_reference(reference_centroids):
    X = synthetic_cohort(reference_centroids)
    X.iloc[:5, :8] = np.nan  # five samples lack eight PAM50 genes
    X.iloc[5:7, 20:23] = np.nan
    for centring in ("none", "median"):
        clf = PAM50Classifier(centring=centring).fit(X)
        table = clf.predict_table(X)
        assert_matches(table, reference_calls(X, reference_centroids, centring, "plain"))
        assert list(table["pam50_genes"][:7]) == [42] * 5 + [47] * 2


def test_fixture_recovers_the_generating_centroid(reference_centroids):
    X = synthetic_cohort(reference_centroids, noise=0.3)
    calls = PAM50Classifier(centring="median").fit(X).predict(X)
    truth = [i.split("_")[0] for i in X.index]
    assert np.mean(np.asarray(calls) == np.asarray(truth)) > 0.95


def test_bundled_copy_and_reference_centroids_agree(reference_centroids, genefu_dir):
    from tmeprog.signatures.genefu import pam50_model

    for variant, stem in (("plain", "pam50"), ("robust", "pam50.robust")):
        shared = pd.read_csv(genefu_dir / f"{stem}_centroids.tsv", sep="\t", index_col=0)
        shared.index = [{"CDCA1": "NUF2", "KNTC2": "NDC80", "ORC6L": "ORC6"}.get(g, g)
                        for g in shared.index]
        pd.testing.assert_frame_equal(pam50_model(variant).centroids, shared,
                                      check_names=False)


def test_single_sample_gets_its_cohort_call(bundled):
    c = bundled["gse1992"]
    clf = PAM50Classifier(centring="balanced").fit(c.expression, er=c.clinical["er"])
    cohort = clf.predict_table(c.expression)
    for sid in c.expression.index[:10]:
        alone = clf.predict_table(c.expression.loc[[sid]])
        pd.testing.assert_frame_equal(alone, cohort.loc[[sid]])


def test_column_order_does_not_change_calls(bundled):
    c = bundled["gse4335"]
    clf = PAM50Classifier(centring="median").fit(c.expression)
    shuffled = c.expression[c.expression.columns[::-1]]
    pd.testing.assert_frame_equal(clf.predict_table(shuffled), clf.predict_table(c.expression))


def test_estimator_conventions(reference_centroids):
    clf = PAM50Classifier(variant="robust", centring="median", min_genes=30)
    assert clone(clf).get_params() == {"variant": "robust", "centring": "median",
                                       "min_genes": 30}
    X = synthetic_cohort(reference_centroids)
    fitted = clf.fit(X)
    assert list(fitted.classes_) == ["Basal", "Her2", "LumA", "LumB", "Normal"]
    assert fitted.q_low_.lt(fitted.q_high_).all()


def test_too_few_genes_is_one_error(reference_centroids):
    X = synthetic_cohort(reference_centroids)
    few = X[list(reference_centroids.index[:4]) + ["GENE1", "GENE2"]]
    with pytest.raises(InputError, match="4 of the 50 PAM50 genes"):
        PAM50Classifier(centring="median").fit(few)
    clf = PAM50Classifier(centring="median").fit(X)
    thin = X.copy()
    thin.iloc[0, 3:50] = np.nan
    with pytest.raises(InputError, match="fewer than 5 of the 50"):
        clf.predict_table(thin)


def test_fewer_than_45_genes_warns(reference_centroids):
    X = synthetic_cohort(reference_centroids).drop(columns=reference_centroids.index[:10])
    with pytest.warns(PAM50GeneWarning, match="only 40 of the 50"):
        PAM50Classifier(centring="median").fit(X)


def test_single_sample_with_cohort_centring_is_refused(reference_centroids):
    X = synthetic_cohort(reference_centroids).iloc[[0]]
    with pytest.raises(InputError, match="at least 10 samples.*centring='none'"):
        PAM50Classifier(centring="median").fit(X)
    # centring none is defined for one sample: its call equals the cohort one
    full = synthetic_cohort(reference_centroids)
    alone = PAM50Classifier(centring="none").fit(X).predict_table(X)
    within = PAM50Classifier(centring="none").fit(full).predict_table(full).iloc[[0]]
    pd.testing.assert_frame_equal(alone, within)


def test_one_er_class_is_refused_for_cohort_centring(reference_centroids):
    X = synthetic_cohort(reference_centroids)
    er = pd.Series(1, index=X.index)
    for centring in ("balanced", "median"):
        with pytest.raises(InputError, match="ER-positive|mixed reference"):
            PAM50Classifier(centring=centring).fit(X, er=er)


def test_robust_without_centring_is_refused():
    with pytest.raises(InputError, match="robust.*centring='none'"):
        PAM50Classifier(variant="robust", centring="none").fit(pd.DataFrame({"ESR1": [1.0]}))


def test_bad_parameters_are_errors():
    X = pd.DataFrame({"ESR1": [1.0, 2.0]})
    with pytest.raises(InputError, match="variant"):
        PAM50Classifier(variant="scaled").fit(X)
    with pytest.raises(InputError, match="centring"):
        PAM50Classifier(centring="mean").fit(X)
