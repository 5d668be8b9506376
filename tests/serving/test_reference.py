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
    assert ref.quantiles.shape == (49, 2) and ref.compartments == {"a": "immune", "b": "other"}
    # the training extremes (single patients' values) are not stored
    assert F["a"].min() < ref.quantiles["a"].min() and ref.quantiles["a"].max() < F["a"].max()
    probe = pd.Series({"a": 0.3, "b": 1.7})
    got = ref.percentile(probe)
    for f in ("a", "b"):
        want = percentileofscore(F[f], probe[f], kind="mean")
        assert abs(got[f] - want) < 1.0, (f, got[f], want)
    beyond = ref.percentile(pd.Series({"a": 99.0, "b": -5.0, "c": 1.0, }))
    assert beyond["a"] == 99.0 and beyond["b"] == 1.0 and np.isnan(beyond["c"])
    # a value on a stored level reads as that level; between levels it is interpolated
    q = ref.quantiles["a"]
    assert ref.percentile(pd.Series({"a": q.loc[0.5]}))["a"] == pytest.approx(50.0)
    mid = (q.loc[0.02] + q.loc[0.04]) / 2
    assert ref.percentile(pd.Series({"a": mid}))["a"] == pytest.approx(3.0)
    assert np.isnan(ref.percentile(pd.Series({"a": np.nan}))["a"])


def test_ties_get_the_middle_and_sparse_features_are_left_out():
    F = pd.DataFrame({"flat": [0.0] * 50 + [1.0] * 50, "sparse": [1.0] * 99 + [np.nan]})
    ref = FeatureReference.fit(F)
    assert list(ref.quantiles.columns) == ["flat"]
    assert ref.percentile(pd.Series({"flat": 0.0}))["flat"] == pytest.approx(25.0, abs=1.0)
    with pytest.raises(InputError, match="100 training values"):
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
    for m in (3.0, 6.0, 12.0):
        row = g[g["month"] == m].iloc[0]
        assert row["survival"] == pytest.approx(float(km.survival_function_at_times(m).iloc[0]),
                                                abs=5e-4)  # stored to 3 decimals
        assert row["ci_low"] <= row["survival"] <= row["ci_high"]
    counts = rc.at_risk[rc.at_risk["group"] == "high"].set_index("month")["at_risk"]
    assert set(counts.index % 12) == {0}  # yearly marks only
    assert counts.loc[12.0] == int((y["time"][hi] >= 12).sum()) and counts.min() >= 20
    assert "at_risk" not in rc.curves.columns and rc.endpoint == "os"
    assert (rc.group("low")["survival"].iloc[-1] > g["survival"].iloc[-1])
