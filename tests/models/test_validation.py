import numpy as np
import pandas as pd
import pytest

from tmeprog.errors import InputError
from tmeprog.models import CoxNetSurvival, RandomSurvivalForestModel
from tmeprog.models.batch import standardise_by_cohort
from tmeprog.models.preprocess import MedianStandardScaler
from tmeprog.models.testing import assert_valid_survival
from tmeprog.models.validation import cross_validate, leave_one_cohort_out


class RecordingScaler(MedianStandardScaler):
    """Records the row labels of every fit (class-level log survives sklearn's clone)."""

    log: list = []

    def fit(self, X, y=None):
        RecordingScaler.log.append(frozenset(X.index))
        return super().fit(X, y)


def _leaks(fit_rows, folds) -> list:
    """Fits whose rows are not inside the training part of any outer split."""
    trains = [frozenset(f.train_rows) for f in folds]
    return [r for r in fit_rows if not any(r <= t for t in trains)]


def test_leakage_guard_every_fit_sees_training_rows_only(sim):
    X, y, _ = sim
    RecordingScaler.log = []
    est = CoxNetSurvival(ci="none", preprocessor=RecordingScaler())
    res = cross_validate(est, X, y, param_grid={"alpha": [0.02, 0.1]}, n_splits=4, n_repeats=2,
                         inner_splits=3, random_state=1)
    for f in res.folds:
        f.train_rows = X.index[f.train_index]
    fits = list(RecordingScaler.log)
    # 8 outer splits x (3 inner folds x 2 candidates + 1 refit)
    assert len(fits) == 8 * (3 * 2 + 1)
    assert _leaks(fits, res.folds) == []
    for f in res.folds:  # test rows never in a fit of their own split
        test = set(X.index[f.test_index])
        assert not any(test & r for r in fits if r <= frozenset(f.train_rows))
    # negative control: a transform fitted on all rows is caught
    assert _leaks([frozenset(X.index)], res.folds) != []


def test_outer_splits_partition_samples_and_are_stratified(sim):
    X, y, _ = sim
    res = cross_validate(CoxNetSurvival(ci="none"), X, y, n_splits=5, n_repeats=2)
    assert len(res.folds) == 10
    for r in ("r0", "r1"):
        idx = np.concatenate([f.test_index for f in res.folds if f.unit == r])
        assert sorted(idx) == list(range(len(y)))
    ev = [f.y_test["event"].sum() for f in res.folds]
    assert max(ev) - min(ev) <= 1  # stratified on event
    for f in res.folds:
        assert not set(f.train_index) & set(f.test_index)
        assert_valid_survival(f.survival.dropna(axis=1), len(f.test_index))
        assert len(f.ibs_times) == 20
    oof = res.out_of_fold("r1")
    assert len(oof) == len(y) and {"risk", "event", "time"} <= set(oof.columns)


def test_fixed_seed_reproducible_and_seed_matters(sim):
    X, y, _ = sim
    est = RandomSurvivalForestModel(n_estimators=15, random_state=0)
    grid = {"min_samples_leaf": [5, 10]}
    a = cross_validate(est, X, y, param_grid=grid, n_splits=3, n_repeats=1, random_state=7)
    b = cross_validate(est, X, y, param_grid=grid, n_splits=3, n_repeats=1, random_state=7)
    c = cross_validate(est, X, y, param_grid=grid, n_splits=3, n_repeats=1, random_state=8)
    for fa, fb in zip(a.folds, b.folds, strict=True):
        np.testing.assert_array_equal(fa.test_index, fb.test_index)
        np.testing.assert_array_equal(fa.risk, fb.risk)
        pd.testing.assert_frame_equal(fa.survival, fb.survival)
        assert fa.best_params == fb.best_params
    assert any(not np.array_equal(fa.test_index, fc.test_index)
               for fa, fc in zip(a.folds, c.folds, strict=True))


def test_parallel_equals_serial(sim):
    X, y, _ = sim
    est = CoxNetSurvival(ci="none")
    a = cross_validate(est, X, y, n_splits=3, n_repeats=1, n_jobs=1)
    b = cross_validate(est, X, y, n_splits=3, n_repeats=1, n_jobs=2)
    for fa, fb in zip(a.folds, b.folds, strict=True):
        np.testing.assert_allclose(fa.risk, fb.risk, rtol=0, atol=0)


def test_per_cohort_standardisation_uses_training_rows_only():
    rng = np.random.default_rng(0)
    Xtr = pd.DataFrame({"a": rng.normal(5, 2, 40), "clin": rng.normal(size=40)})
    gtr = np.array(["A"] * 20 + ["B"] * 20)
    Xtr.loc[gtr == "B", "a"] += 10  # batch shift
    Xte = pd.DataFrame({"a": [5.0, 15.0, 100.0], "clin": [0.0, 0.0, 0.0]})
    gte = np.array(["A", "B", "C"])
    out_tr, out_te = standardise_by_cohort(Xtr, gtr, Xte, gte, ["a"])
    mA = Xtr.loc[gtr == "A", "a"]
    assert out_te.loc[0, "a"] == pytest.approx((5.0 - mA.mean()) / mA.std(ddof=0))
    assert out_te.loc[2, "a"] == 0.0  # unseen cohort, one sample: its own (constant) stats
    np.testing.assert_allclose(out_tr.groupby(gtr)["a"].mean(), 0, atol=1e-12)
    pd.testing.assert_series_equal(out_tr["clin"], Xtr["clin"])  # untouched column
    # changing test values never changes the training transform
    out_tr2, _ = standardise_by_cohort(Xtr, gtr, Xte * 7, gte, ["a"])
    pd.testing.assert_frame_equal(out_tr, out_tr2)


def test_loco_held_out_cohort_standardised_with_own_data(sim):
    X, y, _ = sim
    g = np.array(["A", "B"] * (len(y) // 2))
    X2 = X.copy()
    X2.loc[g == "B", "f0"] = X2.loc[g == "B", "f0"] * 3 + 20  # batch effect in cohort B
    res = leave_one_cohort_out(CoxNetSurvival(ci="none"), X2, y, g, cohort_standardise=["f0"])
    assert [f.label for f in res.folds] == ["A", "B"]
    assert res.settings["cohort_standardise"] == ["f0"]
    plain = leave_one_cohort_out(CoxNetSurvival(ci="none"), X2, y, g)
    from tmeprog.models.metrics import harrell_c

    c_std = harrell_c(res.folds[1].y_test, res.folds[1].risk)
    c_raw = harrell_c(plain.folds[1].y_test, plain.folds[1].risk)
    assert c_std > c_raw  # the shift breaks the raw model, standardisation repairs it


def test_bad_validation_input(sim):
    X, y, _ = sim
    few = y.copy()
    few["event"][:] = False
    few["event"][:3] = True
    with pytest.raises(InputError, match="3 events for 5 folds"):
        cross_validate(CoxNetSurvival(), X, few)
    with pytest.raises(InputError, match="needs groups"):
        leave_one_cohort_out(CoxNetSurvival(), X, y, None)
    with pytest.raises(InputError, match="at least 2 cohorts"):
        leave_one_cohort_out(CoxNetSurvival(), X, y, ["A"] * len(y))
    with pytest.raises(InputError, match="needs groups"):
        cross_validate(CoxNetSurvival(), X, y, cohort_standardise=True)
    g = np.array(["A"] * (len(y) - 30) + ["B"] * 30)
    yb = y.copy()
    yb["event"][g == "A"] = False
    yb["event"][np.flatnonzero(g == "A")[:5]] = True
    with pytest.raises(InputError, match="split B: .*only 5 events"):
        leave_one_cohort_out(CoxNetSurvival(), X, yb, g)


def test_cv_within_strata_splits_each_test_fold_and_fits_strata(sim):
    from tmeprog.models.evaluation import evaluate
    from tmeprog.models.metrics import harrell_c

    X, y, _ = sim
    strata = np.where(np.arange(len(y)) % 3 == 0, "A:os", "B:rfs")
    res = cross_validate(CoxNetSurvival(alpha=0.05, ci="none"), X, y, n_splits=3, n_repeats=1,
                         random_state=1, strata=strata, within_strata=True)
    assert len(res.folds) == 6 and res.settings["baseline_strata"] == ["A:os", "B:rfs"]
    for f in res.folds:
        assert len(set(strata[f.test_index])) == 1
        assert f.label.split("|")[1] == strata[f.test_index][0]
    # every sample is held out once per repeat
    assert sorted(np.concatenate([f.test_index for f in res.folds])) == list(range(len(y)))
    ev = evaluate(res, n_boot=0, calibration_horizon=None).table.set_index("metric")
    expect = np.mean([harrell_c(f.y_test, f.risk) for f in res.folds])
    assert ev.loc["harrell_c", "value"] == pytest.approx(expect, rel=1e-12)
    assert "metrics within strata" in ev.loc["harrell_c", "estimator"]
    # the forest has no strata: it is fitted without them, still evaluated within strata
    rf = cross_validate(RandomSurvivalForestModel(n_estimators=10, random_state=0), X, y,
                        n_splits=3, n_repeats=1, strata=strata, within_strata=True)
    assert rf.settings["baseline_strata"] is None and len(rf.folds) == 6
    with pytest.raises(InputError, match="within_strata needs strata"):
        cross_validate(CoxNetSurvival(), X, y, within_strata=True)
