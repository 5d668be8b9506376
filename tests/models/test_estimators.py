import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from tmeprog.errors import InputError
from tmeprog.models import (
    CoxNetSurvival,
    RandomSurvivalForestModel,
    XGBAFTSurvival,
    XGBCoxSurvival,
)
from tmeprog.models.inputs import FeatureDroppedWarning
from tmeprog.models.testing import assert_valid_survival

MODELS = {
    "coxnet": lambda: CoxNetSurvival(alpha=0.02),
    "rsf": lambda: RandomSurvivalForestModel(n_estimators=30, random_state=0),
    "xgb_cox": lambda: XGBCoxSurvival(n_estimators=40, random_state=0),
    "xgb_aft": lambda: XGBAFTSurvival(n_estimators=40, random_state=0),
}


@pytest.fixture(params=sorted(MODELS))
def model(request):
    return MODELS[request.param]()


def test_sklearn_conventions(model, sim):
    X, y, _ = sim
    params = model.get_params()
    c = clone(model)
    assert c.get_params() == params
    with pytest.raises(NotFittedError):
        model.predict(X)
    assert model.fit(X, y) is model
    assert model.n_features_in_ == X.shape[1]
    assert list(model.feature_names_in_) == list(X.columns)
    assert not hasattr(clone(model), "preprocessor_")


def test_predictions_valid_and_informative(model, sim):
    from sksurv.metrics import concordance_index_censored

    X, y, lp = sim
    model.fit(X.iloc[:150], y[:150])
    risk = model.predict(X.iloc[150:])
    assert risk.shape == (50,) and np.isfinite(risk).all()
    # held-out risk tracks the true linear predictor
    c = concordance_index_censored(np.ones(50, bool), -lp[150:], risk)[0]
    assert c > 0.7
    s = model.predict_survival(X.iloc[150:], [60, 12, 36, 0])
    assert list(s.columns) == [0, 12, 36, 60]
    assert s.index.equals(X.index[150:])
    assert_valid_survival(s, 50)
    assert (s[0.0] == 1).all()
    # higher risk -> lower survival at 36 months (rank agreement)
    rho = pd.Series(risk).corr(pd.Series(s[36.0].to_numpy()), method="spearman")
    assert rho < -0.5
    table = model.summary()
    assert isinstance(table, pd.DataFrame) and len(table) >= 1
    assert table.attrs["note"]


def test_horizon_beyond_follow_up_raises(model, sim):
    X, y, _ = sim
    model.fit(X, y)
    with pytest.raises(InputError, match="beyond the training follow-up"):
        model.predict_survival(X, [y["time"].max() + 1])


def test_too_few_events_raise(model, sim):
    X, y, _ = sim
    y2 = y.copy()
    keep = np.flatnonzero(y2["event"])[:9]
    y2["event"] = False
    y2["event"][keep] = True
    with pytest.raises(InputError, match="only 9 events"):
        model.fit(X, y2)


def test_nan_and_constant_features(model, sim):
    X, y, _ = sim
    X2 = X.copy()
    X2.iloc[::7, 0] = np.nan
    X2["flat"] = 3.0
    X2["empty"] = np.nan
    with pytest.warns(FeatureDroppedWarning, match="flat"):
        model.fit(X2, y)
    assert "flat" not in model.features_used_ and "empty" not in model.features_used_
    assert np.isfinite(model.predict(X2)).all()
    # the model uses training medians for test NaN: a NaN equals the training median
    med = X2.iloc[:, 0].median()
    row = X2.iloc[[1]].copy()
    a, b = row.copy(), row.copy()
    a.iloc[0, 0], b.iloc[0, 0] = np.nan, med
    assert model.predict(a)[0] == pytest.approx(model.predict(b)[0])


def test_fixed_seed_reproducible(model, sim):
    X, y, _ = sim
    r1 = clone(model).fit(X, y).predict(X)
    r2 = clone(model).fit(X, y).predict(X)
    np.testing.assert_array_equal(r1, r2)


def test_coxnet_small_penalty_matches_lifelines(sim):
    from lifelines import CoxPHFitter

    X, y, _ = sim
    m = CoxNetSurvival(alpha=1e-5, l1_ratio=0.5, n_path=60).fit(X, y)
    Xt = (X - X.mean()) / X.std(ddof=0)
    df = Xt.assign(T=y["time"], E=y["event"].astype(int))
    cph = CoxPHFitter(baseline_estimation_method="breslow").fit(df, "T", "E")
    assert m.model_.alphas_[-1] == pytest.approx(1e-5)
    np.testing.assert_allclose(m.coef_.to_numpy(), cph.params_.to_numpy(), atol=2e-3)
    h = [12.0, 36.0, 60.0]
    ours = m.predict_survival(X.iloc[:20], h).to_numpy()
    ref = cph.predict_survival_function(Xt.iloc[:20], times=h).T.to_numpy()
    np.testing.assert_allclose(ours, ref, atol=3e-3)


def test_coxnet_risk_and_survival_are_scikit_survivals_and_row_independent(sim):
    from tmeprog.models.base import step_values

    X, y, _ = sim
    m = CoxNetSurvival(alpha=0.05).fit(X.iloc[:150], y[:150])
    h = np.array([0.0, 0.5, 12.0, 36.0, 60.0])
    Xt = m._transform(X.iloc[150:])
    np.testing.assert_allclose(m._risk(Xt), m.model_.predict(Xt.to_numpy()), rtol=1e-13,
                               atol=1e-13)
    from sksurv.linear_model import CoxnetSurvivalAnalysis

    ref = CoxnetSurvivalAnalysis(alphas=m.model_.alphas_, l1_ratio=m.l1_ratio, max_iter=m.max_iter,
                                 tol=m.tol, fit_baseline_model=True)
    ref.fit(m._transform(X.iloc[:150]).to_numpy(), y[:150])
    full = ref.predict_survival_function(Xt.to_numpy(), return_array=True)
    want = step_values(ref.unique_times_, full, h, before=1.0)
    np.testing.assert_allclose(m._survival(Xt, h), want, rtol=1e-13)
    # each sample alone gets the bits it gets among the others
    risk, surv = m.predict(X.iloc[150:]), m.predict_survival(X.iloc[150:], h).to_numpy()
    for i in range(0, 50, 7):
        np.testing.assert_array_equal(m.predict(X.iloc[[150 + i]]), risk[[i]])
        np.testing.assert_array_equal(m.predict_survival(X.iloc[[150 + i]], h).to_numpy(),
                                      surv[[i]])


def test_coxnet_summary_refit_against_sksurv(sim):
    from sksurv.linear_model import CoxPHSurvivalAnalysis

    X, y, _ = sim
    m = CoxNetSurvival(alpha=0.1, l1_ratio=1.0).fit(X, y)
    tab = m.summary()
    sel = tab.index[tab["selected"]].tolist()
    assert 0 < len(sel) < X.shape[1]  # the lasso dropped something
    assert tab.loc[~tab["selected"], "hr"].isna().all()
    Xt = ((X - X.mean()) / X.std(ddof=0))[sel]
    ref = CoxPHSurvivalAnalysis(ties="efron").fit(Xt, y)
    np.testing.assert_allclose(np.log(tab.loc[sel, "hr"]), ref.coef_, atol=1e-4)
    assert (tab.loc[sel, "ci_low"] < tab.loc[sel, "hr"]).all()
    assert "unpenalised lifelines CoxPHFitter refit" in tab.attrs["note"]
    assert CoxNetSurvival(alpha=0.1, ci="none").fit(X, y).summary()["hr"].isna().all()


def test_coxnet_huge_penalty_gives_null_model(sim):
    X, y, _ = sim
    m = CoxNetSurvival(alpha=50.0).fit(X, y)
    assert (m.coef_ == 0).all()
    assert np.ptp(m.predict(X)) == 0


def _breslow_loop(margin, y, t):
    """Independent Breslow estimator: H0(t) = sum over event times s <= t of d_s / sum_R e^m."""
    h = 0.0
    for s in np.unique(y["time"][y["event"]]):
        if s > t:
            break
        d = np.sum(y["event"] & (y["time"] == s))
        h += d / np.exp(margin[y["time"] >= s]).sum()
    return h


def test_xgb_cox_risk_is_margin_and_breslow_survival(sim):
    X, y, _ = sim
    m = XGBCoxSurvival(n_estimators=40, random_state=0).fit(X, y)
    margin = m.booster_.predict(m._dmatrix(m._transform(X)), output_margin=True)
    np.testing.assert_allclose(m.predict(X), margin, rtol=1e-6)
    for t in (10.0, 40.0):
        h0 = _breslow_loop(margin.astype(float), y, t)
        expect = np.exp(-h0 * np.exp(margin))
        np.testing.assert_allclose(m.predict_survival(X, [t])[t].to_numpy(), expect, rtol=1e-6)


@pytest.mark.parametrize("dist", ["normal", "logistic", "extreme"])
def test_xgb_aft_survival_matches_xgboost_likelihood(sim, dist):
    """xgboost's own aft-nloglik equals the likelihood implied by our S(t).

    sigma=1: xgboost 3.2's aft-nloglik metric evaluates with scale 1 whatever the training
    scale (the objective itself uses the given scale).
    """
    X, y, _ = sim
    m = XGBAFTSurvival(distribution=dist, sigma=1.0, n_estimators=30, random_state=0).fit(X, y)
    d = m._dmatrix(m._transform(X))
    d.set_float_info("label_lower_bound", y["time"])
    d.set_float_info("label_upper_bound", np.where(y["event"], y["time"], np.inf))
    xgb_nll = float(m.booster_.eval(d).split(":")[-1])
    eps = 1e-4
    t, e = y["time"], y["event"]
    lo, hi = np.where(e, t * (1 - eps), t), np.where(e, t * (1 + eps), t)
    assert hi.max() <= t.max()  # last time is censored: every point is inside follow-up
    s = m.predict_survival(X, np.concatenate([t, lo, hi]))  # one call; columns sorted
    at = {c: i for i, c in enumerate(s.columns)}
    s = s.to_numpy()
    rows = np.arange(len(t))
    s_t = s[rows, [at[v] for v in t]]
    s_lo = s[rows, [at[v] for v in lo]]
    s_hi = s[rows, [at[v] for v in hi]]
    dens = (s_lo - s_hi) / (2 * eps * t)  # f(t) = -dS/dt, central difference
    ll = np.log(np.where(e, dens, s_t))
    assert -np.mean(ll) == pytest.approx(xgb_nll, rel=1e-5)
    assert m.predict(X) == pytest.approx(-np.log(m.booster_.predict(d)), rel=1e-5)


def test_bad_parameters_raise(sim):
    X, y, _ = sim
    with pytest.raises(InputError, match="alpha must be > 0"):
        CoxNetSurvival(alpha=0).fit(X, y)
    with pytest.raises(InputError, match="distribution must be one of"):
        XGBAFTSurvival(distribution="weibull").fit(X, y)
