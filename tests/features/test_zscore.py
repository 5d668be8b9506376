"""Z-score reference: frozen per-gene mean and sd, scikit-learn conventions, scores checked
against pandas arithmetic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from tmeprog.errors import InputError
from tmeprog.features import ZScoreReference, score_signatures


@pytest.fixture(scope="module")
def cohorts():
    rng = np.random.default_rng(5)
    genes = [f"G{i}" for i in range(40)]
    train = pd.DataFrame(rng.normal(5, 2, size=(30, 40)), columns=genes)
    train["G39"] = 3.0  # constant in the reference
    test = pd.DataFrame(rng.normal(6, 1, size=(9, 40)), columns=genes)
    return train, test


def test_fit_freezes_mean_and_sd(cohorts):
    train, _ = cohorts
    ref = ZScoreReference().fit(train)
    pd.testing.assert_series_equal(ref.mean_, train.mean(), check_names=False)
    pd.testing.assert_series_equal(ref.sd_, train.std(ddof=1), check_names=False)
    assert ref.n_samples_fit_ == 30 and ref.n_features_in_ == 40
    assert "G39" not in ref.usable_genes()


def test_scores_are_mean_reference_z(cohorts):
    train, test = cohorts
    ref = ZScoreReference().fit(train)
    sig = {"a": ["G1", "G2", "G3"], "b": ["G5", "G39", "NOPE"], "w": {"G1": 2.0, "G7": -1.0}}
    got = score_signatures(test, sig, method="zscore", reference=ref)
    z = (test - train.mean()) / train.std(ddof=1)
    np.testing.assert_allclose(got["a"], z[["G1", "G2", "G3"]].mean(axis=1), rtol=1e-13)
    # constant-in-reference and absent genes are left out
    np.testing.assert_allclose(got["b"], z["G5"], rtol=1e-13)
    assert got.attrs["n_genes_used"] == {"a": 3, "b": 1, "w": 2}
    np.testing.assert_allclose(got["w"], (2 * z["G1"] - z["G7"]) / 3, rtol=1e-13)
    # the reference is frozen: the test cohort's own mean does not enter
    assert abs(got["a"].mean()) > 0.3


def test_sklearn_conventions(cohorts):
    train, _ = cohorts
    ref = ZScoreReference(ddof=0, min_sd=0.5)
    assert ref.get_params() == {"ddof": 0, "min_sd": 0.5}
    fitted = ref.fit(train)
    c = clone(fitted)
    assert c.get_params() == {"ddof": 0, "min_sd": 0.5} and not hasattr(c, "mean_")
    with pytest.raises(NotFittedError):
        score_signatures(train, {"a": ["G1"]}, "zscore", reference=c)
    np.testing.assert_allclose(fitted.sd_, train.std(ddof=0), rtol=1e-14)


def test_fit_rejects_bad_input(cohorts):
    train, _ = cohorts
    bad = train.copy()
    bad.iloc[4, 2] = np.nan
    with pytest.raises(InputError, match="G2"):
        ZScoreReference().fit(bad)
    dup = train.rename(columns={"G1": "G0"})
    with pytest.raises(InputError, match="duplicated"):
        ZScoreReference().fit(dup)
    with pytest.raises(InputError, match="1 sample"):
        ZScoreReference().fit(train.iloc[:1])
