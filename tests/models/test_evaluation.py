import numpy as np
import pytest

from tmeprog.errors import InputError
from tmeprog.models import CoxNetSurvival, XGBCoxSurvival
from tmeprog.models.evaluation import evaluate, paired_difference
from tmeprog.models.inputs import HorizonWarning
from tmeprog.models.metrics import harrell_c
from tmeprog.models.validation import cross_validate, leave_one_cohort_out


@pytest.fixture(scope="module")
def cv_pair(sim):
    X, y, _ = sim
    kw = dict(n_splits=3, n_repeats=2, random_state=3)
    full = cross_validate(CoxNetSurvival(ci="none"), X, y, **kw)
    noise = cross_validate(CoxNetSurvival(ci="none"), X[["f3", "f4"]], y, **kw)
    return full, noise


def test_table_values_are_fold_means(cv_pair):
    full, _ = cv_pair
    ev = evaluate(full, n_boot=30, seed=1)
    t = ev.table.set_index(["validation", "metric"])
    assert list(ev.table["metric"]) == ["harrell_c", "uno_c", "td_auc_3y", "td_auc_5y", "ibs",
                                        "calibration_slope_5y"]
    per_fold = [harrell_c(f.y_test, f.risk) for f in full.folds]
    assert t.loc[("cv", "harrell_c"), "value"] == pytest.approx(np.mean(per_fold))
    assert t.loc[("cv", "harrell_c"), "n"] == 200  # distinct samples, not n x repeats
    row = t.loc[("cv", "harrell_c")]
    assert row["ci_low"] < row["value"] < row["ci_high"]
    assert "concordance_index_censored" in row["estimator"]
    assert "mean over 6 of 6 test folds" in row["estimator"]
    assert "pooled out-of-fold" in t.loc[("cv", "calibration_slope_5y"), "estimator"]
    assert t.loc[("cv", "harrell_c"), "value"] > 0.7
    assert 0 < t.loc[("cv", "ibs"), "value"] < 0.25


def test_bootstrap_reproducible_with_200_resamples(sim):
    X, y, _ = sim
    res = cross_validate(CoxNetSurvival(ci="none"), X, y, n_splits=2, n_repeats=1)
    kw = dict(n_boot=200, horizons=(36.0,), calibration_horizon=None)
    a, b = evaluate(res, seed=4, **kw), evaluate(res, seed=4, **kw)
    assert a.table.equals(b.table)
    assert a.replicates["cv"].shape == (200, 4)
    c = evaluate(res, seed=5, **kw)
    assert not np.allclose(a.replicates["cv"], c.replicates["cv"])


def test_paired_difference(cv_pair):
    full, noise = cv_pair
    ea, eb = evaluate(full, n_boot=40, seed=2), evaluate(noise, n_boot=40, seed=2)
    d = paired_difference(ea, eb).set_index(["validation", "metric"])
    ta, tb = ea.table.set_index(["validation", "metric"]), eb.table.set_index(
        ["validation", "metric"])
    key = ("cv", "harrell_c")
    assert d.loc[key, "value"] == pytest.approx(ta.loc[key, "value"] - tb.loc[key, "value"])
    assert d.loc[key, "ci_low"] > 0 and d.loc[key, "p_value"] < 0.05  # signal beats noise
    # paired CI is narrower than the naive difference of independent CIs
    naive = (ta.loc[key, "ci_high"] - ta.loc[key, "ci_low"]) + (
        tb.loc[key, "ci_high"] - tb.loc[key, "ci_low"])
    assert d.loc[key, "ci_high"] - d.loc[key, "ci_low"] < naive
    same = paired_difference(ea, ea)
    assert (same["value"].dropna() == 0).all()
    with pytest.raises(InputError, match="identical splits"):
        paired_difference(ea, evaluate(full, n_boot=40, seed=3))


def test_horizon_beyond_follow_up_is_nan_with_warning(sim):
    X, y, _ = sim
    y2 = y.copy()
    y2["time"] = np.minimum(y2["time"], 50.0)  # follow-up ends at 50 months
    with pytest.warns(HorizonWarning, match="S.t. at .*60.0.* beyond the training follow-up"):
        res = cross_validate(CoxNetSurvival(ci="none"), X, y2, n_splits=3, n_repeats=1)
    with pytest.warns(HorizonWarning, match="td_auc_5y: undefined in 3 split"):
        ev = evaluate(res, n_boot=10)
    t = ev.table.set_index("metric")
    assert np.isnan(t.loc["td_auc_5y", "value"]) and np.isnan(t.loc["td_auc_5y", "ci_low"])
    assert np.isnan(t.loc["calibration_slope_5y", "value"])
    assert np.isfinite(t.loc["td_auc_3y", "value"])
    with pytest.raises(InputError, match="were not stored"):
        evaluate(res, horizons=(24.0,))


def test_loco_rows_and_ipcw_from_held_out_cohort(sim):
    X, y, _ = sim
    g = np.where(np.arange(len(y)) % 2 == 0, "A", "B")
    res = leave_one_cohort_out(XGBCoxSurvival(n_estimators=20, random_state=0), X, y, g)
    ev = evaluate(res, n_boot=20)
    assert set(ev.table["validation"]) == {"loco", "loco:A", "loco:B"}
    t = ev.table.set_index(["validation", "metric"])
    mean = np.mean([t.loc[(f"loco:{c}", "harrell_c"), "value"] for c in "AB"])
    assert t.loc[("loco", "harrell_c"), "value"] == pytest.approx(mean)
    assert "censoring KM of the test samples" in t.loc[("loco", "uno_c"), "estimator"]
    assert t.loc[("loco:A", "harrell_c"), "n"] == 100


def test_all_censored_held_out_cohort_is_nan_with_warning(sim):
    from tmeprog.models.inputs import UndefinedMetricWarning

    X, y, _ = sim
    g = np.array(["A"] * 100 + ["B"] * 70 + ["C"] * 30)
    y2 = y.copy()
    y2["event"][g == "C"] = False  # cohort C: every sample censored
    res = leave_one_cohort_out(CoxNetSurvival(ci="none"), X, y2, g)
    with pytest.warns(UndefinedMetricWarning, match="harrell_c: undefined in 1 split.*C: "):
        ev = evaluate(res, n_boot=5)
    t = ev.table.set_index(["validation", "metric"])
    assert np.isnan(t.loc[("loco:C", "harrell_c"), "value"])
    assert t.loc[("loco", "harrell_c"), "value"] == pytest.approx(
        np.mean([t.loc[(f"loco:{c}", "harrell_c"), "value"] for c in "AB"]))
    assert "mean over 2 of 3 held-out cohorts" in t.loc[("loco", "harrell_c"), "estimator"]
