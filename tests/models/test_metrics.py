from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sksurv.util import Surv

from tmeprog.errors import InputError
from tmeprog.models.inputs import HorizonWarning
from tmeprog.models.metrics import (
    calibration_slope,
    calibration_table,
    cox_slope,
    harrell_c,
    horizon_key,
    ibs_grid,
    integrated_brier,
    td_auc,
    uno_c,
)

FIXTURES = Path(__file__).parent / "fixtures"


def test_harrell_matches_lifelines(sim):
    from lifelines.utils import concordance_index

    X, y, lp = sim
    risk = lp + np.random.default_rng(1).normal(size=len(lp))
    risk = np.round(risk, 1)  # tied predictions
    # lifelines expects higher = longer survival: pass -risk
    expect = concordance_index(y["time"], -risk, y["event"])
    assert harrell_c(y, risk) == pytest.approx(expect, abs=1e-12)


def test_harrell_matches_r_survival_concordance():
    data = pd.read_csv(FIXTURES / "concordance_data.csv", float_precision="round_trip")
    expected = pd.read_csv(FIXTURES / "concordance_expected.csv", index_col="set",
                           float_precision="round_trip")
    assert len(expected) == 4
    for name, d in data.groupby("set"):
        y = Surv.from_arrays(d["event"].astype(bool), d["time"])
        assert harrell_c(y, d["risk"].to_numpy()) == pytest.approx(
            expected.loc[name, "concordance"], abs=1e-12), name


def test_harrell_all_censored_raises():
    y = Surv.from_arrays([False] * 5, [1.0, 2, 3, 4, 5])
    with pytest.raises(InputError, match="censored"):
        harrell_c(y, np.arange(5.0))


def test_uno_equals_sksurv_and_caps_tau(sim):
    from sksurv.metrics import concordance_index_ipcw

    _, y, lp = sim
    tr, te = y[:120], y[120:]
    assert uno_c(tr, te, lp[120:], 60.0) == pytest.approx(
        concordance_index_ipcw(tr, te, lp[120:], tau=60.0)[0])
    # tau beyond the censoring sample's follow-up is capped, not an error
    assert np.isfinite(uno_c(tr, te, lp[120:], 1e6))


def test_td_auc_equals_sksurv_inside_follow_up(sim):
    from sksurv.metrics import cumulative_dynamic_auc

    _, y, lp = sim
    tr, te = y[:120], y[120:]
    ref = cumulative_dynamic_auc(tr, te, lp[120:], [36.0])[0][0]
    assert td_auc(tr, te, lp[120:], 36.0) == pytest.approx(ref, abs=1e-12)
    assert horizon_key(36) == "3y" and horizon_key(18) == "18m"


def test_td_auc_beyond_follow_up_warns_and_is_nan(sim):
    _, y, lp = sim
    short = y.copy()
    short["time"] = np.minimum(short["time"], 40.0)
    with pytest.warns(HorizonWarning, match="60 months"):
        v = td_auc(y, short, lp, 60.0)
    assert np.isnan(v)
    # too few followed beyond the horizon: also NaN, with the reason
    few = y.copy()
    few["time"] = np.where(np.arange(len(y)) < 3, 100.0, np.minimum(y["time"], 50.0))
    with pytest.warns(HorizonWarning, match="only 3 test samples"):
        assert np.isnan(td_auc(y, few, lp, 60.0))


def test_integrated_brier_equals_sksurv_and_grid_inside(sim):
    from sksurv.metrics import integrated_brier_score

    _, y, lp = sim
    tr, te = y, y[120:]  # censoring sample covering the test follow-up (sksurv needs it)
    times = ibs_grid(tr, te)
    assert times.min() >= np.quantile(te["time"], 0.2) - 1e-9
    assert times.max() <= np.quantile(te["time"], 0.8) + 1e-9
    surv = np.exp(-np.outer(np.exp(lp[120:]), times / 40.0))
    ref = integrated_brier_score(tr, te, surv, times)
    assert integrated_brier(tr, te, surv, times) == pytest.approx(ref, abs=1e-12)


def test_cox_slope_matches_lifelines_with_ties():
    from lifelines import CoxPHFitter

    rng = np.random.default_rng(3)
    x = rng.normal(size=150)
    t = np.ceil(rng.exponential(20 / np.exp(0.7 * x)))  # integer times: many ties
    e = rng.uniform(size=150) < 0.7
    cph = CoxPHFitter().fit(pd.DataFrame({"x": x, "t": t, "e": e.astype(int)}), "t", "e")
    assert cox_slope(x, t, e) == pytest.approx(cph.params_["x"], abs=1e-6)


def test_calibration_slope_near_one_for_true_model():
    from tests.models.conftest import simulate

    X, y, lp = simulate(n=3000, seed=5, shape=1.0, scale=40.0)
    s60 = np.exp(-((60 / 40.0) ** 1.0) * np.exp(lp))  # true Weibull(shape 1) survival
    assert calibration_slope(y, s60, 60.0) == pytest.approx(1.0, abs=0.08)
    # predictions twice as extreme on the log-hazard scale -> slope about 1/2
    s60_x2 = np.exp(-((60 / 40.0) ** 1.0) * np.exp(2 * lp))
    assert calibration_slope(y, s60_x2, 60.0) == pytest.approx(0.5, abs=0.05)


def test_calibration_table_matches_kaplan_meier(sim):
    from lifelines import KaplanMeierFitter

    _, y, lp = sim
    s = np.exp(-np.exp(lp) * 0.8)
    tab = calibration_table(y, s, 36.0)
    assert list(tab["group"]) == [1, 2, 3] and tab["n"].sum() == len(y)
    assert tab["predicted"].is_monotonic_increasing
    top = np.argsort(1 - s)[-tab["n"].iloc[2]:]
    km = KaplanMeierFitter().fit(y["time"][top], y["event"][top])
    assert tab["observed"].iloc[2] == pytest.approx(1 - km.predict(36.0), abs=1e-12)
    assert (tab["observed_low"] <= tab["observed"]).all()
    assert (tab["observed"] <= tab["observed_high"]).all()
