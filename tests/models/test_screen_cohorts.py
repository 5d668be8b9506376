"""Cohort-stratified TME screen: pooled cohorts must not confound the hazard ratios."""

import numpy as np
import pandas as pd
import pytest

from tmeprog.models.screen import univariate_screen


def _confounded(seed=0, n=300):
    """Two cohorts: the feature is offset in cohort B, which also has a higher hazard;
    within each cohort the feature has no effect."""
    rng = np.random.default_rng(seed)
    coh = np.repeat(["A", "B"], n // 2)
    x = rng.normal(size=n) + np.where(coh == "B", 3.0, 0.0)
    rate = np.where(coh == "B", 0.08, 0.01)
    t = rng.exponential(1 / rate)
    c = rng.uniform(5, 60, size=n)
    y = np.empty(n, dtype=[("event", bool), ("time", float)])
    y["event"], y["time"] = t <= c, np.minimum(t, c)
    return pd.DataFrame({"f": x}), y, coh


def test_pooling_without_strata_is_confounded_and_strata_remove_it():
    F, y, coh = _confounded()
    naive = univariate_screen(F, y, strata={"all": np.ones(len(F), bool)}, adjust=False)
    strat = univariate_screen(F, y, strata={"all": np.ones(len(F), bool)}, adjust=False,
                              cohorts=coh)
    assert naive["hr"].iloc[0] > 1.5  # the cohort offset masquerades as an effect
    assert abs(np.log(strat["hr"].iloc[0])) < 0.3  # no within-cohort effect, up to noise


def test_stratified_screen_matches_lifelines_strata_fit():
    from lifelines import CoxPHFitter

    F, y, coh = _confounded(seed=1)
    strat = univariate_screen(F, y, strata={"all": np.ones(len(F), bool)}, adjust=False,
                              cohorts=coh)
    z = F.groupby(coh)["f"].transform(lambda v: (v - v.mean()) / v.std(ddof=1))
    z = z / z.std(ddof=1)
    d = pd.DataFrame({"z": z, "T": y["time"], "E": y["event"].astype(int), "s": coh})
    ref = CoxPHFitter().fit(d, "T", "E", strata=["s"]).summary.loc["z", "exp(coef)"]
    assert strat["hr"].iloc[0] == pytest.approx(ref, rel=1e-6)
