"""Response classifiers: conventions, coding, CIs (against independent fits), bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize
from sklearn.base import clone

from tmeprog.errors import InputError
from tmeprog.models.response_design import (
    ColumnDroppedWarning,
    SmallArmWarning,
    UnseenLevelWarning,
)
from tmeprog.models.response_logistic import PenalisedLogistic, wald_refit
from tmeprog.models.response_xgb import XGBResponseClassifier


def _data(n=300, seed=0, effect_by_arm=None):
    """Two continuous features, one binary, an arm; x1 acts per arm (``effect_by_arm``)."""
    rng = np.random.default_rng(seed)
    arms = np.array(["A", "B", "C"])[rng.integers(0, 3, n)]
    x1 = rng.normal(2.0, 3.0, n)
    x2 = rng.normal(size=n)
    hr = rng.integers(0, 2, n)
    eff = effect_by_arm or {"A": 0.5, "B": 0.5, "C": 0.5}
    slope = np.array([eff[a] for a in arms])
    eta = -0.3 + slope * (x1 - 2.0) / 3.0 + 0.4 * x2 - 0.5 * hr
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
    X = pd.DataFrame({"x1": x1, "x2": x2, "hr": hr, "arm": arms},
                     index=[f"s{i}" for i in range(n)])
    return X, pd.Series(y, index=X.index, name="pcr")


def _nll(beta, X1, y, w):
    eta = X1 @ beta
    return -np.sum(w * (y * eta - np.logaddexp(0, eta)))


def _independent_logistic(X1, y, w=None):
    """Coefficients (scipy BFGS) and SEs from a finite-difference Hessian of the likelihood."""
    w = np.ones(len(y)) if w is None else w
    res = optimize.minimize(_nll, np.zeros(X1.shape[1]), args=(X1, y, w), method="BFGS",
                            options={"gtol": 1e-9})
    b, k, h = res.x, len(res.x), 1e-4
    H = np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            ei, ej = np.eye(k)[i] * h, np.eye(k)[j] * h
            H[i, j] = (_nll(b + ei + ej, X1, y, w) - _nll(b + ei - ej, X1, y, w)
                       - _nll(b - ei + ej, X1, y, w) + _nll(b - ei - ej, X1, y, w)) / (4 * h * h)
    return b, np.sqrt(np.diag(np.linalg.inv(H)))


@pytest.mark.parametrize("est", [PenalisedLogistic(C=0.5, ci="none"),
                                 XGBResponseClassifier(n_estimators=20)])
def test_sklearn_conventions_and_probabilities(est):
    X, y = _data()
    params = est.get_params()
    c = clone(est)
    assert c.get_params() == params
    assert not any(k.endswith("_") for k in vars(c))
    c.fit(X, y)
    p = c.predict_proba(X)
    assert p.shape == (len(X), 2)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert ((p >= 0) & (p <= 1)).all()
    np.testing.assert_array_equal(c.classes_, [0, 1])
    assert c.get_params() == params  # fit does not change parameters
    # a row's prediction does not depend on the other rows scored with it
    np.testing.assert_allclose(c.predict_proba(X.iloc[[5]])[0], p[5], rtol=1e-10)
    assert c.summary().attrs["note"]


def test_imputation_and_scaling_learned_in_fit_only():
    X, y = _data()
    X.iloc[:20, 0] = np.nan
    train, test = X.iloc[:200], X.iloc[200:].copy()
    m = PenalisedLogistic(ci="none").fit(train, y.iloc[:200])
    d = m.design_
    assert d.medians["x1"] == pytest.approx(train["x1"].median())
    imputed = train["x1"].fillna(train["x1"].median())
    assert d.means["x1"] == pytest.approx(imputed.mean())
    assert d.scales["x1"] == pytest.approx(imputed.std(ddof=0))
    before = m.predict_proba(test)[:, 1]
    shifted = test.copy()
    shifted.iloc[1:, 0] += 100.0  # other test rows change; the first one must not move
    assert m.predict_proba(shifted)[0, 1] == pytest.approx(before[0])
    assert d.terms.loc["x1", "scale"] == "per SD" and d.terms.loc["hr", "scale"] == "1 vs 0"


def test_unpenalised_fit_and_wald_ci_match_independent_likelihood():
    X, y = _data(n=400, seed=1)
    m = PenalisedLogistic(C=1e8, ci="wald").fit(X, y)
    Z = m.design_.terms.index.tolist()
    X1 = np.column_stack([np.ones(len(X)), m._design(X)[Z].to_numpy()])
    b, se = _independent_logistic(X1, y.to_numpy().astype(float))
    np.testing.assert_allclose(m.coef_.to_numpy(), b[1:], atol=2e-4)
    s = m.summary()
    np.testing.assert_allclose(np.log(s["or"].to_numpy()), b[1:], atol=2e-4)
    lo = np.exp(b[1:] - 1.959964 * se[1:])
    np.testing.assert_allclose(s["ci_low"].to_numpy(), lo, rtol=2e-3)
    assert "Wald" in s.attrs["note"]
    # odds ratio per SD: rescaling a feature leaves it unchanged
    X10 = X.assign(x1=X["x1"] * 10)
    s10 = PenalisedLogistic(C=1e8, ci="wald").fit(X10, y).summary()
    assert s10.loc["x1", "or"] == pytest.approx(s.loc["x1", "or"], rel=1e-6)


def test_arm_coding_reference_is_largest_arm():
    X, y = _data()
    X.loc[X.index[:40], "arm"] = "B"
    m = PenalisedLogistic(ci="none").fit(X, y)
    ref = X["arm"].value_counts().idxmax()
    assert ref == "B"
    arm_terms = m.design_.terms.query("kind == 'arm'").index.tolist()
    assert arm_terms == ["arm=A", "arm=C"]


def test_interaction_per_arm_wald_equals_separate_fits_per_arm():
    X, y = _data(n=900, seed=2, effect_by_arm={"A": 0.0, "B": 1.2, "C": 0.4})
    Xs = X[["x1", "arm"]]
    m = PenalisedLogistic(C=1e8, arm_interaction=True, ci="wald").fit(Xs, y)
    eff = m.arm_effects().set_index("arm")
    z = (Xs["x1"] - Xs["x1"].mean()) / Xs["x1"].std(ddof=0)
    for arm in ["A", "B", "C"]:
        rows = (Xs["arm"] == arm).to_numpy()
        X1 = np.column_stack([np.ones(rows.sum()), z[rows]])
        b, se = _independent_logistic(X1, y.to_numpy()[rows].astype(float))
        assert np.log(eff.loc[arm, "or"]) == pytest.approx(b[1], abs=1e-3)
        assert np.log(eff.loc[arm, "ci_high"]) == pytest.approx(b[1] + 1.959964 * se[1],
                                                                abs=3e-3)
    assert eff.loc["B", "ci_low"] > 1 > eff.loc["A", "ci_low"]
    assert eff.loc["A", "ci_low"] < 1 < eff.loc["A", "ci_high"]


def test_interaction_bootstrap_ci_and_penalised_per_arm_effects():
    X, y = _data(n=600, seed=4, effect_by_arm={"A": 0.0, "B": 1.5, "C": 0.0})
    m = PenalisedLogistic(C=0.5, arm_interaction=True, interaction_features=["x1"], n_boot=30,
                          random_state=1).fit(X, y)
    eff = m.arm_effects().set_index("arm")
    coef = m.coef_
    assert eff.loc["B", "log_or_penalised"] == pytest.approx(coef["x1"] + coef["x1:arm=B"])
    assert eff.loc["B", "or_penalised"] > eff.loc["A", "or_penalised"]
    assert (eff["ci_low"] <= eff["or"]).all() and (eff["or"] <= eff["ci_high"]).all()
    assert eff.loc["B", "ci_low"] > 1
    assert "bootstrap" in eff.attrs["note"]
    again = clone(m).fit(X, y).arm_effects()
    np.testing.assert_allclose(again["ci_low"], eff["ci_low"].to_numpy())  # seeded
    with pytest.raises(InputError, match="arm_interaction"):
        PenalisedLogistic(ci="none").fit(X, y).arm_effects()


def test_sample_weight_zero_rows_dropped_and_integer_weights_duplicate_rows():
    X, y = _data(n=200, seed=5)
    w = np.ones(len(X))
    w[:30] = 0
    y_nan = y.astype(float).copy()
    y_nan.iloc[:30] = np.nan  # unknown outcome, weight 0 (landmark censored before H)
    a = PenalisedLogistic(ci="none").fit(X, y_nan, sample_weight=w)
    b = PenalisedLogistic(ci="none").fit(X.iloc[30:], y.iloc[30:])
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-8)
    # binary and arm columns only: scaling (learned unweighted) cannot differ between the fits
    Xb = X[["hr", "arm"]].assign(hi=(X["x1"] > 2).astype(int))
    w2 = np.ones(len(X))
    w2[:50] = 2
    c = PenalisedLogistic(ci="none").fit(Xb, y, sample_weight=w2)
    dup = pd.concat([Xb, Xb.iloc[:50]])
    d = PenalisedLogistic(ci="none").fit(dup, np.concatenate([y, y.iloc[:50]]))
    np.testing.assert_allclose(c.coef_, d.coef_, atol=1e-6)


def test_small_arm_pooled_and_unseen_level_warns():
    X, y = _data()
    X.loc[X.index[:6], "arm"] = "tiny"
    with pytest.warns(SmallArmWarning, match="tiny"):
        m = PenalisedLogistic(ci="none").fit(X, y)
    assert "other" in m.design_.arm_levels and "tiny" not in m.design_.arm_levels
    new = X.iloc[:3].copy()
    new["arm"] = "never-seen"
    with pytest.warns(UnseenLevelWarning, match="never-seen"):
        m.predict_proba(new)


def test_elastic_net_selects_and_leaves_unselected_ci_empty():
    X, y = _data(n=400, seed=6)
    X["noise"] = np.random.default_rng(0).normal(size=len(X))
    m = PenalisedLogistic(C=0.02, l1_ratio=1.0).fit(X, y)
    s = m.summary()
    zero = s["coef_penalised"] == 0
    assert zero.any()
    assert s.loc[zero, "or"].isna().all()
    assert s.loc[~zero, "or"].notna().all()


def test_xgb_probabilities_match_booster_output():
    import xgboost as xgb

    X, y = _data()
    m = XGBResponseClassifier(n_estimators=30).fit(X, y)
    Z = m._design(X).to_numpy()
    raw = m.booster_.predict(xgb.DMatrix(Z, feature_names=[f"f{i}" for i in range(Z.shape[1])]))
    np.testing.assert_allclose(m.predict_proba(X)[:, 1], raw, rtol=1e-5)
    s = m.summary()
    assert s["gain_share"].sum() == pytest.approx(1.0)


def test_wald_refit_reports_separation():
    rng = np.random.default_rng(0)
    z = rng.normal(size=60)
    y = (z > 0).astype(int)  # perfectly separated
    out = wald_refit(pd.DataFrame({"z": z}), y, None)
    assert out.isna().all().all() and "separation" in out.attrs["failed"]


@pytest.mark.parametrize("labels, match", [
    ([0, 1, 2], "0/1"), (["yes", "no", "yes"], "0/1"), ([0, np.nan, 1], "0/1"),
    ([1, 1, 1], "only class 1"),
])
def test_bad_labels_raise(labels, match):
    X = pd.DataFrame({"x": [0.1, 0.5, 0.9]})
    with pytest.raises(InputError, match=match):
        PenalisedLogistic(ci="none").fit(X, labels)


def test_arm_required_and_complete_for_interactions():
    X, y = _data()
    with pytest.raises(InputError, match="arm column"):
        PenalisedLogistic(arm_interaction=True).fit(X.drop(columns="arm"), y)
    X.loc[X.index[3], "arm"] = None
    with pytest.raises(InputError, match="lack an arm"):
        PenalisedLogistic(arm_interaction=True).fit(X, y)
    with pytest.warns(SmallArmWarning, match="NA"):  # without interactions: a (small) level
        m = PenalisedLogistic(ci="none").fit(X, y)
    assert m.design_.arm_map["NA"] == "other"


def test_invalid_options_raise():
    X, y = _data()
    with pytest.raises(InputError, match="liblinear"):
        PenalisedLogistic(solver="liblinear", l1_ratio=0.5).fit(X, y)
    with pytest.raises(InputError, match="ci"):
        PenalisedLogistic(ci="profile").fit(X, y)
    with pytest.raises(InputError, match="index"):
        PenalisedLogistic(ci="none").fit(X, y.set_axis(y.index[::-1]))


def test_constant_columns_dropped_and_categoricals_coded():
    X, y = _data()
    X["const"] = 1.5
    X["pam50"] = np.where(X["x2"] > 0.5, "Basal", np.where(X["x2"] < -0.5, "LumA", None))
    with pytest.warns(ColumnDroppedWarning, match="const"):
        m = PenalisedLogistic(ci="none").fit(X, y)
    terms = m.design_.terms
    assert "const" not in terms.index
    # most frequent pam50 level (missing, "NA") is the reference
    assert sorted(terms.query("kind == 'categorical'").index) == ["pam50=Basal", "pam50=LumA"]
    Z = m._design(X)
    np.testing.assert_array_equal(Z["pam50=Basal"].to_numpy(), (X["pam50"] == "Basal"))
    bad = X.assign(x1="high")
    with pytest.raises(InputError, match="expected numbers"):
        m.predict_proba(bad)


def test_models_pickled_under_the_old_module_path_still_load():
    import pickle

    from tmeprog.models.response_xgb import XGBResponseClassifier as Moved

    old = b"ctmeprog.models.response\nPenalisedLogistic\n."  # a class reference, protocol 0
    assert pickle.loads(old) is PenalisedLogistic
    assert pickle.loads(old.replace(b"PenalisedLogistic", b"XGBResponseClassifier")) is Moved
    with pytest.raises(AttributeError, match="Nothing"):
        pickle.loads(old.replace(b"PenalisedLogistic", b"Nothing"))
