"""explain(): every model family, against independent explainers and closed forms."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import shap
import xgboost as xgb
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sksurv.linear_model import CoxPHSurvivalAnalysis

from tmeprog.errors import InputError
from tmeprog.explain import ExtraColumnsWarning, explain, explain_scorer

RTOL_TREE32 = 1e-5  # xgboost and shap's interventional algorithm use single precision


def exact_shap(f, X, background):
    """Interventional Shapley values by full enumeration (shap's Exact explainer)."""
    masker = shap.maskers.Independent(np.asarray(background, float), max_samples=10_000)
    ex = shap.explainers.Exact(f, masker)
    res = ex(np.asarray(X, float))
    return res.values, float(res.base_values[0])


def _close(a, b, rtol):
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert np.abs(a - b).max() <= rtol * max(1.0, np.abs(b).max()), np.abs(a - b).max()


# -- random survival forests ------------------------------------------------------------------
def test_rsf_path_dependent_adds_up_and_rows_are_independent(rsf4, surv4):
    X, _ = surv4
    res = explain(rsf4, X)
    pred = rsf4.predict(X)
    assert res.additivity_error < 1e-10 * np.abs(pred).max()
    _close(res.predictions, pred, 1e-12)
    part = explain(rsf4, X.iloc[:40])
    _close(part.values, res.values.iloc[:40], 1e-12)
    assert list(res.values.columns) == list(X.columns)
    assert "cumulative hazard" in res.output and "path-dependent" in res.method


def test_rsf_interventional_matches_exact_enumeration(rsf4, surv4):
    X, _ = surv4
    bg, rows = X.iloc[:25], X.iloc[100:106]
    res = explain(rsf4, rows, background=bg)
    ref, base = exact_shap(lambda A: rsf4.predict(pd.DataFrame(A, columns=X.columns)), rows, bg)
    _close(res.values, ref, RTOL_TREE32)
    assert res.base_value == pytest.approx(base, rel=1e-6)
    assert res.background == "25 background rows"


def test_rsf_wrapper_attributes_original_features(surv4):
    from tmeprog.models.forest import RandomSurvivalForestModel

    X, y = surv4
    Xm = X.copy()
    Xm.iloc[::6, 1] = np.nan
    Xm["constant"] = 3.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = RandomSurvivalForestModel(n_estimators=10, random_state=0).fit(Xm, y)
    res = explain(model, Xm)
    assert res.additivity_error < 1e-10 * np.abs(model.predict(Xm)).max()
    assert (res.values["constant"] == 0).all()  # dropped at fit: no effect
    # interventional values through imputation + scaling equal those of predict() on raw inputs
    bg, rows = Xm.iloc[:20], Xm.iloc[50:55]
    got = explain(model, rows, background=bg)
    ref, _ = exact_shap(lambda A: model.predict(pd.DataFrame(A, columns=Xm.columns)), rows, bg)
    _close(got.values, ref, RTOL_TREE32)


# -- linear models ----------------------------------------------------------------------------
def test_coxnet_wrapper_is_coef_times_standardised_value(surv4):
    from tmeprog.models.coxnet import CoxNetSurvival

    X, y = surv4
    Xm = X.copy()
    Xm.iloc[::5, 0] = np.nan
    model = CoxNetSurvival(alpha=0.01, ci="none").fit(Xm, y)
    res = explain(model, Xm)
    pre = model.preprocessor_
    z = (Xm.fillna(pre.medians_) - pre.means_) / pre.scales_
    _close(res.values, z * model.coef_, 1e-10)  # training mean of z is 0
    assert res.background.startswith("training mean")
    assert res.additivity_error < 1e-10
    _close(res.predictions, model.predict(Xm), 1e-10)


def test_coxph_raw_uses_mean_of_rows(surv4):
    X, y = surv4
    model = CoxPHSurvivalAnalysis().fit(X, y)
    res = explain(model, X)
    _close(res.values, (X - X.mean()) * model.coef_, 1e-10)
    assert "log-hazard" in res.output
    _close(res.predictions, model.predict(X), 1e-10)


def test_logistic_pipeline_matches_exact_enumeration_on_inputs(surv4):
    X, y = surv4
    Xm = X.copy()
    Xm.iloc[::4, 2] = np.nan
    label = (y["time"] < np.median(y["time"])).astype(int)
    pipe = make_pipeline(SimpleImputer(strategy="median"), StandardScaler(),
                         LogisticRegression(C=0.5)).fit(Xm, label)
    bg, rows = Xm.iloc[:30], Xm.iloc[40:48]
    res = explain(pipe, rows, background=bg)
    ref, base = exact_shap(
        lambda A: pipe.decision_function(pd.DataFrame(A, columns=Xm.columns)), rows, bg)
    _close(res.values, ref, 1e-9)
    assert res.base_value == pytest.approx(base, rel=1e-9)
    assert "log-odds" in res.output
    no_bg = explain(pipe, rows)  # StandardScaler last: training mean 0 in scaled space
    assert no_bg.background.startswith("training mean")
    _close(no_bg.predictions, pipe.decision_function(rows), 1e-10)


class _ResponseWrapper:
    """A classifier holding a preprocessor and an inner model, as the response models do."""

    def __init__(self, inner):
        self.inner = inner

    def fit(self, X, y):
        from tmeprog.models.preprocess import MedianStandardScaler

        self.preprocessor_ = MedianStandardScaler().fit(X)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.classifier_ = self.inner.fit(self.preprocessor_.transform(X).to_numpy(), y)
        return self

    def predict_proba(self, X):
        return self.classifier_.predict_proba(self.preprocessor_.transform(X).to_numpy())

    def predict(self, X):
        return self.predict_proba(X)[:, 1] > 0.5


@pytest.mark.parametrize("inner", [LogisticRegression(),
                                   xgb.XGBClassifier(n_estimators=20, max_depth=2)])
def test_classifier_wrapper_explains_log_odds(surv4, inner):
    X, y = surv4
    label = (X["cell_cd8_t"] + X["age"] > 0).astype(int)
    model = _ResponseWrapper(inner).fit(X, label)
    res = explain(model, X)
    p = model.predict_proba(X)[:, 1]
    _close(res.predictions, np.log(p / (1 - p)), RTOL_TREE32)
    assert "log-odds" in res.output


# -- xgboost ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cox_booster(surv4):
    X, y = surv4
    label = np.where(y["event"], y["time"], -y["time"])
    return xgb.train({"objective": "survival:cox", "max_depth": 3, "eta": 0.1},
                     xgb.DMatrix(X, label=label), 40)


def test_xgb_cox_margin_additivity_and_enumeration(cox_booster, surv4):
    X, _ = surv4
    res = explain(cox_booster, X)
    margin = cox_booster.predict(xgb.DMatrix(X), output_margin=True)
    _close(res.predictions, margin, RTOL_TREE32)
    assert "log-hazard" in res.output
    bg, rows = X.iloc[:30], X.iloc[60:66]
    got = explain(cox_booster, rows, background=bg)
    ref, _ = exact_shap(lambda A: cox_booster.predict(
        xgb.DMatrix(pd.DataFrame(A, columns=X.columns)), output_margin=True), rows, bg)
    _close(got.values, ref, RTOL_TREE32)


def test_xgb_sklearn_api_and_aft(surv4):
    X, y = surv4
    label = np.where(y["event"], y["time"], -y["time"])
    reg = xgb.XGBRegressor(objective="survival:cox", n_estimators=20, max_depth=2).fit(X, label)
    res = explain(reg, X)
    _close(res.predictions, reg.predict(X, output_margin=True), RTOL_TREE32)
    d = xgb.DMatrix(X)
    d.set_float_info("label_lower_bound", y["time"])
    d.set_float_info("label_upper_bound", np.where(y["event"], y["time"], np.inf))
    aft = xgb.train({"objective": "survival:aft", "max_depth": 2}, d, 20)
    res = explain(aft, X)
    _close(res.predictions, aft.predict(xgb.DMatrix(X), output_margin=True), RTOL_TREE32)
    assert "survival time" in res.output


def test_xgb_wrappers_explain_predict(surv4):
    from tmeprog.models.xgb import XGBAFTSurvival, XGBCoxSurvival

    X, y = surv4
    cox = XGBCoxSurvival(n_estimators=30, random_state=0).fit(X, y)
    aft = XGBAFTSurvival(n_estimators=30, random_state=0).fit(X, y)
    for model in (cox, aft):
        res = explain(model, X)
        _close(res.predictions, model.predict(X), RTOL_TREE32)
    # AFT risk = -margin: values are the negated SHAP values of the booster's margin
    z = aft.preprocessor_.transform(X)
    inner = explain(aft.booster_, z.to_numpy())
    _close(explain(aft, X).values.to_numpy(), -inner.values.to_numpy(), 1e-12)
    assert "higher = worse" in explain(aft, X).output


# -- inputs -----------------------------------------------------------------------------------
def test_reorders_and_drops_extra_columns(rsf4, surv4):
    X, _ = surv4
    ref = explain(rsf4, X.iloc[:10])
    shuffled = X.iloc[:10, ::-1].assign(patient_note=1.0)
    with pytest.warns(ExtraColumnsWarning, match="patient_note"):
        got = explain(rsf4, shuffled)
    assert list(got.values.columns) == list(X.columns)
    _close(got.values, ref.values, 0)


def test_missing_columns_fail_naming_them(rsf4, surv4):
    X, _ = surv4
    with pytest.raises(InputError, match=r"lacks 2 of the 4 features.*stromal_score"):
        explain(rsf4, X.drop(columns=["stromal_score", "age"]))
    with pytest.raises(InputError, match="background lacks"):
        explain(rsf4, X, background=X.drop(columns=["age"]))


def test_other_bad_inputs(rsf4, surv4):
    from sklearn.decomposition import PCA
    from sklearn.ensemble import RandomForestRegressor

    X, y = surv4
    with pytest.raises(InputError, match="array with 3 columns"):
        explain(rsf4, X.to_numpy()[:, :3])
    with pytest.raises(InputError, match="duplicated columns"):
        explain(rsf4, pd.concat([X, X[["age"]]], axis=1))
    with pytest.raises(InputError, match="non-numeric"):
        explain(rsf4, X.assign(age="old"))
    with pytest.raises(InputError, match="cannot explain RandomForestRegressor"):
        explain(RandomForestRegressor(n_estimators=2).fit(X, y["time"]), X)
    pipe = make_pipeline(PCA(2), LogisticRegression()).fit(X, y["event"])
    with pytest.raises(InputError, match="PCA is not a per-feature transform"):
        explain(pipe, X)


def test_arrays_are_taken_positionally(rsf4, surv4):
    X, _ = surv4
    got = explain(rsf4, X.to_numpy()[:5])
    _close(got.values, explain(rsf4, X.iloc[:5]).values, 0)


def test_explain_scorer_maps_compartments(surv4):
    from tmeprog.models.coxnet import CoxNetSurvival
    from tmeprog.serving.scorer import Scorer

    X, y = surv4
    model = CoxNetSurvival(alpha=0.01, ci="none").fit(X, y)
    scorer = Scorer(task="prognosis", model=model, design_columns=list(X.columns),
                    clinical_columns=["age"])
    res = explain_scorer(scorer, X.iloc[:8])
    assert res.compartments["age"] == "clinical"
    assert res.compartments["cell_cd8_t"] == "immune"
    _close(res.predictions, model.predict(X.iloc[:8]), 1e-10)
