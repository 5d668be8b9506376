"""The multiplicity-based bootstrap metrics against the scikit-survival reference, draw by draw.

Each replicate is expanded into its resampled rows and scored by the reference functions of
:mod:`tmeprog.models.metrics` (scikit-survival inside); values must agree to 1e-12 and be
undefined (NaN vs. raised/NaN) in exactly the same replicates.
"""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sksurv.nonparametric import CensoringDistributionEstimator
from sksurv.util import Surv

from tmeprog.errors import InputError
from tmeprog.models import CoxNetSurvival, XGBCoxSurvival
from tmeprog.models import evaluation as ev_mod
from tmeprog.models import metrics as ref
from tmeprog.models.evaluation import evaluate
from tmeprog.models.fastmetrics import (
    CensoringKM,
    ResampledFold,
    calibration_slopes,
    cox_slopes,
    multiplicities,
)
from tmeprog.models.inputs import HorizonWarning
from tmeprog.models.validation import cross_validate, leave_one_cohort_out

FIXTURES = Path(__file__).parent / "fixtures"
TOL = 1e-12


def _y(rng, n, scale, step, p_event):
    t = rng.exponential(scale, n)
    if step:
        t = np.ceil(t / step) * step  # tied times
    return Surv.from_arrays(rng.uniform(size=n) < p_event, np.maximum(t, 0.5))


def _risk(rng, n, kind):
    if kind == 0:
        return np.round(rng.normal(size=n), int(rng.integers(0, 3)))  # exact ties
    if kind == 1:
        return rng.integers(0, 4, n) * 5e-9  # chains of scores within the tie tolerance
    return rng.normal(size=n)


def _case(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(4, 40))
    y_test = _y(rng, n, rng.uniform(20, 80), rng.choice([0, 1, 6, 12]), rng.uniform(0.05, 0.95))
    y_train = _y(rng, int(rng.integers(5, 100)), rng.uniform(20, 80), rng.choice([0, 1, 12]),
                 rng.uniform(0.05, 1.0))
    risk = _risk(rng, n, seed % 3)
    draws = [rng.integers(0, n, n) for _ in range(12)]
    return rng, y_test, y_train, risk, draws


def _or_nan(fn):
    try:
        return fn()
    except InputError:
        return np.nan


def _assert_same(fast, expect, what):
    fast, expect = np.asarray(fast, float), np.asarray(expect, float)
    assert np.array_equal(np.isnan(fast), np.isnan(expect)), what
    ok = ~np.isnan(expect)
    assert np.all(np.abs(fast[ok] - expect[ok]) <= TOL), (what, np.abs(fast - expect).max())


def _check_draws(y_test, risk, y_train, draws, hs, tau, min_at_risk, times=None, surv=None):
    """Fast metrics of ``draws`` vs the reference on each expanded draw; how many defined."""
    rf = ResampledFold(y_test, risk, multiplicities(draws, len(risk)), y_train)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the fast path is silent, even where undefined
        got = [rf.harrell_c(), rf.uno_c(tau), rf.td_aucs(hs, min_at_risk)]
        got.append(rf.integrated_brier(surv, times) if times is not None else None)
    counts = np.zeros(5)
    for b, d in enumerate(draws):
        y, r = y_test[d], risk[d]
        yc = y if y_train is None else y_train
        exp_h = _or_nan(lambda: ref.harrell_c(y, r))  # noqa: B023
        exp_u = _or_nan(lambda: ref.uno_c(yc, y, r, tau))  # noqa: B023
        exp_a = ref.td_aucs(yc, y, r, hs, min_at_risk, warn=False)
        _assert_same(got[0][b], exp_h, f"harrell, draw {b}")
        _assert_same(got[1][b], exp_u, f"uno, draw {b}")
        _assert_same(got[2][b], exp_a, f"td auc, draw {b}")
        counts[:3] += [np.isfinite(exp_h), np.isfinite(exp_u), np.isfinite(exp_a).sum()]
        if times is not None:
            exp_i = _or_nan(lambda: ref.integrated_brier(yc, y, surv[d], times))  # noqa: B023
            _assert_same(got[3][b], exp_i, f"ibs, draw {b}")
            counts[3:] += [np.isfinite(exp_i), np.isnan(exp_i)]
    return counts


@pytest.mark.parametrize("ipcw", ["train", "test"])
def test_resampled_metrics_equal_sksurv_draw_by_draw(ipcw):
    defined = np.zeros(5)
    for seed in range(50):
        rng, y_test, y_train, risk, draws = _case(seed)
        lo, hi = np.quantile(y_test["time"], [0.1, 0.9])
        times = np.linspace(lo, hi, int(rng.integers(2, 10))) if hi > lo else None
        surv = None if times is None else np.exp(-np.outer(np.exp(risk), times / 40.0))
        hs = sorted(rng.choice([12.0, 24.0, 36.0, 60.0, 90.0], size=2, replace=False))
        tau = float(rng.choice([24.0, 60.0, 1e6]))
        defined += _check_draws(y_test, risk, y_train if ipcw == "train" else None, draws, hs,
                                tau, int(rng.integers(1, 6)), times, surv)
    assert (defined > 50).all()  # plenty of defined values and of undefined Brier scores


def test_resampled_metrics_equal_sksurv_at_edges():
    rng = np.random.default_rng(11)
    n = 30
    y_test = _y(rng, n, 40.0, 0, 0.6)
    risk = _risk(rng, n, 0)
    draws = [np.arange(n)] + [rng.integers(0, n, n) for _ in range(15)]
    times = np.linspace(10.0, 30.0, 5)
    surv = np.exp(-np.outer(np.exp(risk), times / 40.0))
    kw = dict(draws=draws, hs=[20.0, 36.0], tau=60.0, min_at_risk=3, times=times, surv=surv)
    # a censoring sample without events: no weights, only Harrell's C is defined
    silent = Surv.from_arrays(np.zeros(50, bool), np.linspace(1, 100, 50))
    got = _check_draws(y_test, risk, silent, **kw)
    assert got[0] > 0 and got[1:4].sum() == 0
    # a censoring sample ending inside the Brier window: with an event, scikit-survival
    # raises (censoring unknown beyond); with a censoring, weights beyond are zero
    for last, col in ((True, 4), (False, 3)):
        short = Surv.from_arrays(np.r_[rng.uniform(size=49) < 0.5, last],
                                 np.r_[np.linspace(1, 20, 49), 25.0])
        assert _check_draws(y_test, risk, short, **kw)[col] == len(draws)
    # a test event exactly where follow-up is cut, just after the horizon
    y_cut = y_test.copy()
    y_cut[0] = (True, np.nextafter(36.0, np.inf))
    y_cut[1] = (False, 80.0)
    _check_draws(y_cut, risk, y_test, **kw)
    _check_draws(y_cut, risk, None, **kw)
    # the only event is the last time: no comparable pair
    y_last = Surv.from_arrays(np.r_[np.zeros(n - 1, bool), True], np.linspace(1, 60, n))
    assert _check_draws(y_last, risk, None, **kw)[0] == 0


def test_censoring_km_equals_sksurv_estimator():
    rng = np.random.default_rng(7)
    for _ in range(20):
        y = _y(rng, 40, 30.0, rng.choice([0, 3]), rng.uniform(0.2, 1.0))
        draws = [rng.integers(0, 40, 40) for _ in range(8)]
        km = CensoringKM(y["time"], y["event"], multiplicities(draws, 40))
        q = np.r_[y["time"], rng.uniform(0, y["time"].max(), 10)]
        got, beyond = km.lookup(q)
        for b, d in enumerate(draws):
            cens = CensoringDistributionEstimator().fit(y[d]) if y[d]["event"].any() else None
            if cens is None:
                assert not km.has_event[b]
                continue
            inside = q <= y[d]["time"].max()
            assert np.array_equal(~inside, beyond[b])
            np.testing.assert_array_equal(got[b, inside], cens.predict_proba(q[inside]))


def test_cox_and_calibration_slopes_equal_reference_per_draw():
    from tests.models.conftest import simulate

    _, y, lp = simulate(n=150, seed=4)
    y["time"] = np.ceil(y["time"] / 3) * 3  # tied times: Efron terms
    s60 = np.exp(-0.8 * np.exp(lp + np.random.default_rng(1).normal(size=150)))
    rng = np.random.default_rng(2)
    draws = [rng.integers(0, 150, 150) for _ in range(30)]
    counts = multiplicities(draws, 150)
    x = np.random.default_rng(3).normal(size=150)
    got = cox_slopes(x, y["time"], y["event"], counts)
    expect = [ref.cox_slope(x[d], y["time"][d], y["event"][d]) for d in draws]
    _assert_same(got, expect, "cox slope")
    assert np.isfinite(got).all()
    late = np.sort(y["time"])[-6] - 0.5  # about 5 drawn rows followed beyond
    for h, s in ((60.0, s60), (36.0, np.round(s60, 1)), (60.0, np.full(150, 0.7)),
                 (y["time"].max(), s60), (late, s60)):
        got = calibration_slopes(y, s, h, counts, 5)
        expect = [ref.calibration_slope(y[d], s[d], h, 5, warn=False) for d in draws]
        _assert_same(got, expect, f"calibration slope at {h}")
    s_nan = s60.copy()
    s_nan[0] = np.nan  # draws that include row 0 have no slope, the others do
    got = calibration_slopes(y, s_nan, 60.0, counts, 5)
    assert np.array_equal(np.isnan(got), counts[:, 0] > 0)


def test_fast_harrell_equals_r_survival_and_lifelines(sim):
    from lifelines.utils import concordance_index

    data = pd.read_csv(FIXTURES / "concordance_data.csv", float_precision="round_trip")
    expected = pd.read_csv(FIXTURES / "concordance_expected.csv", index_col="set",
                           float_precision="round_trip")
    for name, d in data.groupby("set"):
        y = Surv.from_arrays(d["event"].astype(bool), d["time"])
        c = ResampledFold(y, d["risk"].to_numpy(), np.ones((1, len(d)))).harrell_c()[0]
        assert c == pytest.approx(expected.loc[name, "concordance"], abs=TOL), name
    _, y, lp = sim
    risk = np.round(lp + np.random.default_rng(1).normal(size=len(lp)), 1)
    c = ResampledFold(y, risk, np.ones((1, len(y)))).harrell_c()[0]
    assert c == pytest.approx(concordance_index(y["time"], -risk, y["event"]), abs=TOL)


def _same_evaluation(res, **kw):
    out = []
    for reference in (False, True):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            e = evaluate(res, _reference=reference, **kw)
        out.append((e, sorted(str(x.message) for x in w if issubclass(x.category, UserWarning))))
    (fast, w_fast), (slow, w_slow) = out
    assert w_fast == w_slow
    num = ["value", "ci_low", "ci_high"]
    assert fast.table.drop(columns=num).equals(slow.table.drop(columns=num))
    _assert_same(fast.table[num].to_numpy(), slow.table[num].to_numpy(), "table")
    assert fast.replicates.keys() == slow.replicates.keys()
    for k in fast.replicates:
        _assert_same(fast.replicates[k], slow.replicates[k], f"replicates {k}")
    assert fast.fingerprint == slow.fingerprint
    return fast


def test_evaluate_equals_reference_on_bundled_cohorts(bundled, monkeypatch):
    feats, _, y, groups = bundled
    cv = cross_validate(CoxNetSurvival(ci="none", alpha=0.05), feats, y, n_splits=3,
                        n_repeats=2, random_state=1)
    loco = leave_one_cohort_out(CoxNetSurvival(ci="none", alpha=0.05), feats, y, groups)
    for res in (cv, loco):
        e = _same_evaluation(res, n_boot=25, seed=3)
        assert np.isfinite(e.table["ci_low"]).sum() >= 6
    # the bootstrap of the fast evaluation never goes metric by metric on such data
    calls = []
    orig = ev_mod._fold_values
    monkeypatch.setattr(ev_mod, "_fold_values",
                        lambda f, idx, *a: calls.append(idx is not None) or orig(f, idx, *a))
    evaluate(cv, n_boot=5)
    evaluate(loco, n_boot=5)
    assert not any(calls)


def test_evaluate_equals_reference_where_metrics_are_undefined(sim):
    X, y, _ = sim
    y2 = y.copy()
    y2["time"] = np.minimum(y2["time"], 50.0)  # S(60) missing, td AUC at 60 undefined
    with pytest.warns(HorizonWarning):
        short = cross_validate(CoxNetSurvival(ci="none"), X, y2, n_splits=3, n_repeats=1)
    _same_evaluation(short, n_boot=15)
    g = np.array(["A"] * 100 + ["B"] * 70 + ["C"] * 30)
    y3 = y.copy()
    y3["event"][g == "C"] = False  # a cohort without events
    loco = leave_one_cohort_out(XGBCoxSurvival(n_estimators=10, random_state=0), X, y3, g)
    _same_evaluation(loco, n_boot=15, horizons=(36.0,), tau=40.0)
