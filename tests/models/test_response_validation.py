"""Response validation: metrics against independent implementations, CV splits, per-arm rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from tmeprog.errors import InputError
from tmeprog.models.decision_curve import decision_curve, plot_decision_curve
from tmeprog.models.response_compare import compare_response, response_feature_sets
from tmeprog.models.response_cv import cross_validate_response
from tmeprog.models.response_design import SmallArmWarning
from tmeprog.models.response_logistic import PenalisedLogistic
from tmeprog.models.response_metrics import auprc, auroc, brier, calibration
from tmeprog.models.response_validation import RESULT_COLUMNS, evaluate_response
from tmeprog.models.response_xgb import XGBResponseClassifier


def _data(n=240, seed=0, arms=("A", "B", "C")):
    rng = np.random.default_rng(seed)
    arm = np.array(arms)[rng.integers(0, len(arms), n)]
    X = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n),
                      "hr": rng.integers(0, 2, n), "arm": arm},
                     index=[f"s{i}" for i in range(n)])
    eta = -0.5 + 1.2 * X["x1"] - 0.6 * X["hr"]
    y = pd.Series((rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int), index=X.index)
    return X, y


def _mann_whitney_auc(y, p):
    y = np.asarray(y)
    u = stats.mannwhitneyu(p[y == 1], p[y == 0]).statistic
    return u / ((y == 1).sum() * (y == 0).sum())


# --------------------------------------------------------------------------- metrics


def test_auroc_equals_mann_whitney_with_ties():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 200)
    p = np.round(rng.random(200) * 0.5 + 0.3 * y, 1)  # many ties
    assert auroc(y, p) == pytest.approx(_mann_whitney_auc(y, p), abs=1e-12)


def test_weighted_metrics_match_sklearn_and_row_duplication():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 150)
    p = np.clip(rng.random(150) * 0.6 + 0.3 * y, 0.01, 0.99)
    w = rng.integers(1, 4, 150).astype(float)
    assert auroc(y, p, w) == pytest.approx(roc_auc_score(y, p, sample_weight=w), abs=1e-12)
    assert auprc(y, p, w) == pytest.approx(average_precision_score(y, p, sample_weight=w),
                                           abs=1e-12)
    assert auprc(y, p) == pytest.approx(average_precision_score(y, p), abs=1e-12)
    assert brier(y, p, w) == pytest.approx(brier_score_loss(y, p, sample_weight=w), abs=1e-12)
    rep = np.repeat(np.arange(150), w.astype(int))
    assert auroc(y, p, w) == pytest.approx(_mann_whitney_auc(y[rep], p[rep]), abs=1e-12)
    assert np.isnan(auroc(np.ones(5), np.linspace(0, 1, 5)))


def test_calibration_slope_and_intercept_match_independent_fits():
    rng = np.random.default_rng(3)
    n = 3000
    lp = rng.normal(0, 1.5, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.3 + 0.6 * lp)))).astype(int)
    p = 1 / (1 + np.exp(-lp))
    slope, intercept = calibration(y, p)
    ref = LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000).fit(lp[:, None], y)
    assert slope == pytest.approx(ref.coef_[0, 0], abs=1e-5)

    def score(a):  # calibration-in-the-large: offset logit(p), slope fixed at 1
        return np.sum(y - 1 / (1 + np.exp(-(a + lp))))

    assert intercept == pytest.approx(optimize.brentq(score, -5, 5), abs=1e-8)
    assert 0.5 < slope < 0.7  # the simulated slope is 0.6 (predictions too extreme)
    y2 = (rng.random(n) < p).astype(int)  # perfectly calibrated
    s2, i2 = calibration(y2, p)
    assert abs(s2 - 1) < 0.12 and abs(i2) < 0.12


def test_decision_curve_by_hand_and_figure():
    y = np.array([1, 1, 0, 0, 0])
    p = np.array([0.9, 0.4, 0.6, 0.2, 0.1])
    dc = decision_curve(y, p, thresholds=[0.3, 0.5])
    # t = 0.3: treat p >= .3 -> TP 2, FP 1: 2/5 - 1/5 * 0.3/0.7
    assert dc.loc[0, "model"] == pytest.approx(2 / 5 - 1 / 5 * 0.3 / 0.7)
    # t = 0.5: TP 1, FP 1
    assert dc.loc[1, "model"] == pytest.approx(1 / 5 - 1 / 5 * 1.0)
    assert dc.loc[0, "treat_all"] == pytest.approx(2 / 5 - 3 / 5 * 0.3 / 0.7)
    assert (dc["treat_none"] == 0).all()
    two = decision_curve(y, np.vstack([p, 1 - p]), thresholds=[0.3])
    one = decision_curve(y, 1 - p, thresholds=[0.3])
    assert two.loc[0, "model"] == pytest.approx((dc.loc[0, "model"] + one.loc[0, "model"]) / 2)
    fig = plot_decision_curve({"m": decision_curve(y, p)})
    ax = fig.axes[0]
    assert len(ax.lines) == 3 and ax.get_xlabel() == "threshold probability"
    with pytest.raises(InputError, match="between 0 and 1"):
        decision_curve(y, p, thresholds=[0.0, 0.5])


# --------------------------------------------------------------------------- cross-validation


class _Spy(ClassifierMixin, BaseEstimator):
    """Records the rows it was fitted on; predicts a fixed feature through a sigmoid."""

    seen: list = []

    def __init__(self, k=1.0):
        self.k = k

    def fit(self, X, y, sample_weight=None):
        _Spy.seen.append(set(X.index))
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        p = 1 / (1 + np.exp(-self.k * X["x1"].to_numpy()))
        return np.column_stack([1 - p, p])


def test_cv_predicts_every_sample_once_per_repeat_without_leakage():
    X, y = _data()
    _Spy.seen = []
    cv = cross_validate_response(_Spy(), X, y, arm="arm", n_splits=4, n_repeats=3)
    assert cv.proba.shape == (3, len(X)) and np.isfinite(cv.proba).all()
    assert cv.settings["stratified_on"] == "outcome x arm"
    for f, seen in zip(cv.folds, _Spy.seen, strict=True):
        test_ids = set(X.index[f["test_index"]])
        assert not (test_ids & seen)
    # each fold holds about a quarter of every arm x outcome cell
    f0 = cv.folds[0]["test_index"]
    cell = (X["arm"] == "A") & (y == 1)
    assert abs(cell.iloc[f0].sum() - cell.sum() / 4) <= 1


def test_nested_tuning_and_determinism():
    X, y = _data()
    grid = {"C": [0.01, 1.0]}
    a = cross_validate_response(PenalisedLogistic(), X, y, param_grid=grid, n_splits=3,
                                n_repeats=1, random_state=5)
    b = cross_validate_response(PenalisedLogistic(), X, y, param_grid=grid, n_splits=3,
                                n_repeats=1, random_state=5)
    np.testing.assert_array_equal(a.proba, b.proba)
    assert all(f["best_params"]["C"] in grid["C"] for f in a.folds)
    assert a.arm is not None  # taken from the estimator's arm column


def test_evaluate_rows_values_and_cis():
    X, y = _data(n=300)
    cv = cross_validate_response(PenalisedLogistic(), X, y, n_splits=3, n_repeats=2)
    tab = evaluate_response(cv, model="logistic", feature_set="clinical", n_boot=50, seed=1)
    assert list(tab.columns) == RESULT_COLUMNS
    overall = tab[tab.validation == "cv"].set_index("metric")
    assert list(overall.index) == ["auroc", "auprc", "brier", "calibration_slope",
                                   "calibration_intercept"]
    yv = cv.y
    expected = np.mean([_mann_whitney_auc(yv, p) for p in cv.proba])
    assert overall.loc["auroc", "value"] == pytest.approx(expected, abs=1e-12)
    assert overall.loc["brier", "value"] == pytest.approx(
        np.mean([brier_score_loss(yv, p) for p in cv.proba]))
    assert (overall["ci_low"] <= overall["value"]).all()
    assert (overall["value"] <= overall["ci_high"]).all()
    arms = tab[tab.validation.str.startswith("cv:arm=")]
    assert sorted(arms.validation) == ["cv:arm=A", "cv:arm=B", "cv:arm=C"]
    rowsA = (cv.arm == "A")
    expA = np.mean([_mann_whitney_auc(yv[rowsA], p[rowsA]) for p in cv.proba])
    assert arms.set_index("validation").loc["cv:arm=A", "value"] == pytest.approx(expA)
    again = evaluate_response(cv, model="logistic", feature_set="clinical", n_boot=50, seed=1)
    pd.testing.assert_frame_equal(tab, again)


def test_small_and_single_class_arms_pooled_or_dropped():
    X, y = _data(n=300)
    X.loc[X.index[:6], "arm"] = "tiny"
    X.loc[X.index[6:14], "arm"] = "small"
    cv = cross_validate_response(PenalisedLogistic(min_arm_size=3), X, y, n_splits=3,
                                 n_repeats=1)
    with pytest.warns(SmallArmWarning, match="pooled into 'other'"):
        tab = evaluate_response(cv, n_boot=20)
    other = tab[tab.validation == "cv:arm=other"]
    assert len(other) == 1 and other["n"].iloc[0] == 14
    assert not tab.validation.isin(["cv:arm=tiny", "cv:arm=small"]).any()
    X2, y2 = X.copy(), y.copy()
    X2.loc[X2.index[6:14], "arm"] = "C"  # only 'tiny' (6 patients) left: dropped
    cv2 = cross_validate_response(PenalisedLogistic(min_arm_size=3), X2, y2, n_splits=3,
                                  n_repeats=1)
    with pytest.warns(SmallArmWarning, match="dropped"):
        tab2 = evaluate_response(cv2, n_boot=20)
    assert not tab2.validation.str.contains("other|tiny").any()


def test_single_class_and_too_few_raise():
    X, y = _data(n=60)
    with pytest.raises(InputError, match="only class"):
        cross_validate_response(PenalisedLogistic(), X, np.zeros(len(X)))
    y2 = np.zeros(len(X))
    y2[:3] = 1
    with pytest.raises(InputError, match="smaller outcome class"):
        cross_validate_response(PenalisedLogistic(), X, y2, n_splits=5)


def test_feature_sets_and_comparison_share_splits():
    X, y = _data(n=200)
    feats = X[["x1", "x2"]]
    clin = X[["arm", "hr"]].assign(her2=np.nan, age=50.0)  # her2 unrecorded, age not asked
    sets = response_feature_sets(clin, feats)
    assert list(sets["clinical"].columns) == ["hr", "arm"]
    assert list(sets["tme"].columns) == ["x1", "x2"]
    assert list(sets["clinical+tme"].columns) == ["hr", "arm", "x1", "x2"]
    models = {"logistic": (PenalisedLogistic(), None),
              "xgboost": (XGBResponseClassifier(n_estimators=20), None)}
    comp = compare_response(sets, y, models=models, arm=X["arm"], n_splits=3, n_repeats=1,
                            n_boot=20)
    t = comp.table
    assert set(zip(t.model, t.feature_set, strict=True)) == {(m, f) for m in models for f in sets}
    assert (t[(t.feature_set == "tme") & (t.validation == "cv:arm=A")].shape[0]) == 2
    a = comp.runs[("logistic", "tme")]
    b = comp.runs[("xgboost", "clinical")]
    for fa, fb in zip(a.folds, b.folds, strict=True):
        np.testing.assert_array_equal(fa["test_index"], fb["test_index"])
    curves = comp.decision_curves(thresholds=[0.2, 0.4])
    assert len(curves) == 6 and all(len(c) == 2 for c in curves.values())


def test_landmark_outcome_with_ipcw_through_cross_validation():
    from tmeprog.cohorts import load_cohort
    from tmeprog.models.landmark import landmark_target

    c = load_cohort("gse3143")
    lm = landmark_target(c, "os", horizon=60)
    X = c.with_endpoint("os").clinical[["er"]].assign(
        z=np.random.default_rng(0).normal(size=len(lm)))
    cv = cross_validate_response(PenalisedLogistic(), X, lm["outcome"],
                                 sample_weight=lm["weight"], n_splits=3, n_repeats=1)
    assert len(cv.y) == int(lm["known"].sum())
    np.testing.assert_allclose(cv.weight, lm.loc[lm["known"], "weight"].to_numpy())
    tab = evaluate_response(cv, n_boot=20)
    w, p = cv.weight, cv.proba[0]
    auc = tab.set_index("metric").loc["auroc", "value"]
    assert auc == pytest.approx(roc_auc_score(cv.y, p, sample_weight=w), abs=1e-12)
    assert "IPCW" in tab.attrs["note"]
