import numpy as np
import pandas as pd
import pytest

from tmeprog.errors import InputError
from tmeprog.models.coxnet import CoxNetSurvival
from tmeprog.models.forest import RandomSurvivalForestModel
from tmeprog.models.stratified_cox import fit_stratified_coxnet


def _stratified(n=400, seed=3):
    """Proportional hazards with a different baseline hazard (scale) per stratum."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    s = rng.integers(0, 3, n)
    lp = 0.8 * X[:, 0] - 0.5 * X[:, 1]
    scale = np.array([10.0, 40.0, 160.0])[s]  # baselines 16-fold apart
    t = scale * rng.exponential(size=n) / np.exp(lp)
    c = rng.uniform(5, 200, n)
    return X, np.minimum(t, c), t <= c, s


def test_one_stratum_equals_scikit_survival_coxnet():
    from sksurv.linear_model import CoxnetSurvivalAnalysis
    from sksurv.util import Surv

    X, t, e, _ = _stratified()
    X = (X - X.mean(0)) / X.std(0)
    for alpha, l1 in ((0.01, 0.5), (0.05, 1.0), (0.02, 0.2)):
        ref = CoxnetSurvivalAnalysis(alphas=[alpha], l1_ratio=l1, tol=1e-10,
                                     max_iter=200000).fit(X, Surv.from_arrays(e, t))
        b, amax = fit_stratified_coxnet(X, t, e, np.zeros(len(t)), alpha, l1, tol=1e-10)
        np.testing.assert_allclose(b, ref.coef_[:, 0], atol=2e-6)
    # at alpha_max every coefficient is zero, just below it one is not
    b, amax = fit_stratified_coxnet(X, t, e, np.zeros(len(t)), 0.05, 0.5)
    assert np.all(fit_stratified_coxnet(X, t, e, np.zeros(len(t)), amax * 1.0001, 0.5)[0] == 0)
    assert np.any(fit_stratified_coxnet(X, t, e, np.zeros(len(t)), amax * 0.9, 0.5)[0] != 0)


def test_stratified_unpenalised_limit_equals_lifelines_strata():
    from lifelines import CoxPHFitter

    X, t, e, s = _stratified()
    b, _ = fit_stratified_coxnet(X, t, e, s, 1e-9, 1.0, tol=1e-10)
    df = pd.DataFrame(X, columns=[f"x{i}" for i in range(4)]).assign(t=t, e=e, s=s)
    ref = CoxPHFitter().fit(df, "t", "e", strata=["s"]).params_.to_numpy()
    np.testing.assert_allclose(b, ref, atol=1e-4)  # continuous times: Breslow = Efron
    # ignoring the strata biases the estimates towards zero here; the stratified fit does not
    pooled, _ = fit_stratified_coxnet(X, t, e, np.zeros(len(t)), 1e-9, 1.0, tol=1e-10)
    assert abs(b[0] - 0.8) < abs(pooled[0] - 0.8)


def test_coxnet_with_strata_fits_predicts_and_says_so():
    X, t, e, s = _stratified()
    Xd = pd.DataFrame(X, columns=[f"x{i}" for i in range(4)])
    y = np.empty(len(t), dtype=[("event", bool), ("time", float)])
    y["event"], y["time"] = e, t
    m = CoxNetSurvival(alpha=0.01, ci="none").fit(Xd, y, strata=s)
    assert m.strata_ == ["0", "1", "2"]
    risk = m.predict(Xd)
    np.testing.assert_allclose(risk, m.model_.predict(m._transform(Xd).to_numpy()),
                               rtol=1e-12, atol=1e-12)
    surv = m.predict_survival(Xd.iloc[:5], [12.0, 24.0])
    assert ((surv.to_numpy() >= 0) & (surv.to_numpy() <= 1)).all()
    assert "stratified by 3 strata" in m.summary().attrs["note"]
    plain = CoxNetSurvival(alpha=0.01, ci="none").fit(Xd, y)
    assert plain.strata_ is None


def test_models_without_strata_refuse_them():
    X, t, e, s = _stratified(n=120)
    y = np.empty(len(t), dtype=[("event", bool), ("time", float)])
    y["event"], y["time"] = e, t
    with pytest.raises(InputError, match="no stratified fit"):
        RandomSurvivalForestModel(n_estimators=5).fit(pd.DataFrame(X), y, strata=s)
    with pytest.raises(InputError, match="labels for"):
        CoxNetSurvival().fit(pd.DataFrame(X), y, strata=s[:10])
