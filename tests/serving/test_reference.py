"""Training aggregates of a served model: feature percentiles and risk-group survival."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import percentileofscore

from tmeprog.errors import InputError
from tmeprog.serving.reference import PROBS, FeatureReference, RiskGroupCurves


def test_percentiles_match_scipy_and_keep_no_extremes():
    rng = np.random.default_rng(0)
    F = pd.DataFrame({"a": rng.normal(size=2000), "b": rng.exponential(size=2000)})
    ref = FeatureReference.fit(F, {"a": "immune"})
    assert ref.quantiles.shape == (99, 2) and ref.compartments == {"a": "immune", "b": "other"}
    # the training extremes (single patients' values) are not stored
    assert F["a"].min() < ref.quantiles["a"].min() and ref.quantiles["a"].max() < F["a"].max()
    probe = pd.Series({"a": 0.3, "b": 1.7})
    got = ref.percentile(probe)
    for f in ("a", "b"):
        want = percentileofscore(F[f], probe[f], kind="mean")
        assert abs(got[f] - want) < 1.0, (f, got[f], want)
    beyond = ref.percentile(pd.Series({"a": 99.0, "b": -5.0, "c": 1.0, }))
    assert beyond["a"] == 99.5 and beyond["b"] == 0.5 and np.isnan(beyond["c"])
    assert np.isnan(ref.percentile(pd.Series({"a": np.nan}))["a"])


def test_ties_get_the_middle_and_sparse_features_are_left_out():
    F = pd.DataFrame({"flat": [0.0] * 50 + [1.0] * 50, "sparse": [1.0] * 5 + [np.nan] * 95})
    ref = FeatureReference.fit(F)
    assert list(ref.quantiles.columns) == ["flat"]
    assert ref.percentile(pd.Series({"flat": 0.0}))["flat"] == pytest.approx(25.0, abs=1.0)
    with pytest.raises(InputError, match="20 training values"):
        FeatureReference.fit(F[["sparse"]])
    assert np.allclose(ref.quantiles.index, PROBS)


def test_group_curves_match_lifelines():
    from lifelines import KaplanMeierFitter

    rng = np.random.default_rng(1)
    n = 300
    risk = rng.normal(size=n)
    t = rng.exponential(30 * np.exp(-risk))
    c = rng.uniform(0, 120, size=n)
    y = np.array(list(zip(t <= c, np.minimum(t, c), strict=True)),
                 dtype=[("event", bool), ("time", float)])
    cuts = tuple(np.quantile(risk, [1 / 3, 2 / 3]))
    rc = RiskGroupCurves.fit(risk, y, cuts, endpoint="os")
    hi = risk > cuts[1]
    km = KaplanMeierFitter().fit(y["time"][hi], y["event"][hi])
    g = rc.group("high")
    for m in (6.0, 12.0, 24.0):
        row = g[g["month"] == m].iloc[0]
        assert row["survival"] == pytest.approx(float(km.survival_function_at_times(m).iloc[0]),
                                                abs=1e-10)
        assert row["ci_low"] <= row["survival"] <= row["ci_high"]
        assert row["at_risk"] == int((y["time"][hi] >= m).sum())
    assert (g["at_risk"] >= 10).all() and rc.endpoint == "os"
    assert (rc.group("low")["survival"].iloc[-1] > g["survival"].iloc[-1])
