"""Cohort statistics of the served scale, against numpy's own mean and SD."""

import numpy as np
import pandas as pd
import pytest

from tmeprog.errors import InputError
from tmeprog.serving.cohort_scale import MIN_SAMPLES, CohortScale


def test_apply_z_scores_with_the_cohorts_mean_and_population_sd():
    rng = np.random.default_rng(0)
    F = pd.DataFrame(rng.normal(3.0, 2.0, size=(50, 3)), columns=["a", "b", "c"])
    F.iloc[4, 1] = np.nan
    F["const"] = 1.5
    sc = CohortScale.fit(F)
    out = sc.apply(F)
    for c in "abc":
        v = F[c].to_numpy()
        want = (v - np.nanmean(v)) / np.nanstd(v)
        np.testing.assert_allclose(out[c].to_numpy(), want, rtol=1e-12)
    assert np.isnan(out.iloc[4, 1]) and (out["const"] == 0.0).all()
    assert sc.to_json()["n_samples"] == 50


def test_columns_outside_the_scale_are_left_as_they_are():
    F = pd.DataFrame({"a": np.arange(30.0), "age": np.arange(30.0) + 40})
    out = CohortScale.fit(F[["a"]]).apply(F)
    assert (out["age"] == F["age"]).all() and out["a"].mean() == pytest.approx(0.0)


def test_fewer_samples_than_a_cohort_is_an_error_naming_the_input():
    F = pd.DataFrame({"a": np.arange(MIN_SAMPLES - 1.0)})
    with pytest.raises(InputError, match=rf"at least {MIN_SAMPLES} samples.*x.tsv has 19"):
        CohortScale.fit(F, "x.tsv")
