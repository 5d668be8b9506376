"""A model trained with per-cohort standardisation, served the same way.

Trained on gse1992 + gse3143 with ``per_cohort_standardise = true``; the held-out gse4335 is
scored by ``tmeprog validate`` / ``tmeprog score`` / the pyfunc with its TME features z-scored
within gse4335, which is what the leave-one-cohort-out fold does (computed independently
here with the models API).
"""

import json
import os
import warnings
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tmeprog.cli import app
from tmeprog.cohorts import load_cohort
from tmeprog.errors import InputError
from tmeprog.pipeline.config import load_config
from tmeprog.pipeline.train import train

pytestmark = pytest.mark.slow  # one training run shared by the module
runner = CliRunner()
CONFIG = Path(__file__).resolve().parents[1] / "fixtures" / "pipelines" / \
    "quick_cohort_scaled.toml"
URI = "models:/tmeprog-test-cohort-scaled@champion"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    d = tmp_path_factory.mktemp("mlflow")
    store = f"sqlite:///{d / 'mlflow.db'}"
    cwd = os.getcwd()
    os.chdir(d)
    try:
        out = train(load_config(CONFIG), tracking_uri=store, progress=False, quick=True)
    finally:
        os.chdir(cwd)
    mlflow.set_tracking_uri(store)
    model = mlflow.pyfunc.load_model(URI)
    return out, store, model.unwrap_python_model().scorer, model


def _frame(name):
    from tmeprog.tracking.pyfunc import model_input

    c = load_cohort(name)
    return model_input(c.expression, c.clinical.reindex(c.expression.index))


def test_served_model_scales_tme_features_within_the_scored_cohort(trained):
    _, _, scorer, _ = trained
    assert scorer.cohort_scaled and set(scorer.cohort_scaled) <= set(scorer.feature_columns)
    assert not any(c in scorer.cohort_scaled for c in scorer.clinical_columns)
    X = scorer.design(_frame("gse4335"))[scorer.cohort_scaled]
    ok = X.columns[X.notna().all()]
    assert len(ok) >= 10
    np.testing.assert_allclose(X[ok].mean(), 0.0, atol=1e-9)
    np.testing.assert_allclose(X[ok].std(ddof=0), 1.0, atol=1e-9)


def test_a_patient_alone_is_refused_and_scored_on_its_cohorts_scale(trained):
    _, _, scorer, model = trained
    frame = _frame("gse4335")
    with pytest.raises(InputError, match="at least 20 samples"):
        model.predict(frame.iloc[:5])
    whole = scorer.predict(frame)
    alone = scorer.with_cohort_scale(scorer.tme_features(frame)).predict(frame.iloc[:1])
    assert alone["risk_score"].iloc[0] == pytest.approx(whole["risk_score"].iloc[0], abs=1e-12)


def test_batch_scoring_equals_the_pyfunc_on_the_whole_cohort(trained, tmp_path):
    _, store, _, model = trained
    c = load_cohort("gse4335")
    expr = tmp_path / "expr.parquet"
    clin = tmp_path / "clinical.tsv"
    c.expression.rename_axis("sample_id").to_parquet(expr)
    c.clinical.rename_axis("sample_id").to_csv(clin, sep="\t")
    out = tmp_path / "scores.tsv"
    res = runner.invoke(app, ["score", "-m", URI, str(expr), "--clinical", str(clin),
                              "-o", str(out), "--chunk-size", "16", "--tracking-uri", store])
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out, sep="\t", index_col=0)
    want = model.predict(_frame("gse4335"))
    want.index = c.expression.index
    np.testing.assert_allclose(got.loc[want.index, "risk_score"], want["risk_score"],
                               rtol=1e-9, atol=1e-12)
    small = tmp_path / "small.tsv"
    c.expression.iloc[:8].rename_axis("sample_id").to_csv(small, sep="\t")
    res = runner.invoke(app, ["score", "-m", URI, str(small), "--clinical", str(clin), "-o",
                              str(tmp_path / "small_scores.tsv"), "--tracking-uri", store])
    assert res.exit_code == 2 and "at least 20 samples" in res.output
    assert not (tmp_path / "small_scores.tsv").exists()


def _loco_fold_c(params):
    """Harrell C of the gse4335 leave-one-cohort-out fold with per-cohort standardisation."""
    from tmeprog.features.extractor import TMEFeatureExtractor
    from tmeprog.models.compare import default_models
    from tmeprog.models.evaluation import evaluate
    from tmeprog.models.feature_sets import design_matrices, is_clinical_design
    from tmeprog.models.validation import leave_one_cohort_out
    from tmeprog.pipeline.assemble import assemble

    ts = assemble([load_cohort(n) for n in ("gse1992", "gse3143", "gse4335")],
                  pool_endpoints=True)
    train_ids = ts.groups != "gse4335"
    genes = ts.expression.columns[ts.expression[train_ids].notna().all()]
    X = ts.expression[genes]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        F = TMEFeatureExtractor().fit(X[train_ids]).transform(X)
        F = F.loc[:, F[train_ids].notna().any()]
        D = design_matrices(ts.clinical, F, ["clinical+tme"],
                            endpoints=ts.sample_endpoints)["clinical+tme"]
        est = default_models(7, quick=True)["coxnet"][0].set_params(**params)
        res = leave_one_cohort_out(est, D, ts.y, ts.groups, random_state=7,
                                   horizons=[36.0, 60.0], strata=ts.strata,
                                   cohort_standardise=[c for c in D.columns
                                                       if not is_clinical_design(c)])
        t = evaluate(res, n_boot=0).table
    return float(t[(t.validation == "loco:gse4335") & (t.metric == "harrell_c")]["value"].iloc[0])


def test_validate_equals_the_cohort_standardised_loco_fold(trained):
    out, store, _, _ = trained
    res = runner.invoke(app, ["validate", URI, "gse4335", "--json", "--bootstrap", "100",
                              "--tracking-uri", store])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    lo, hi = doc["harrell_c_ci"]
    loco = _loco_fold_c(out.champion["params"])
    assert lo <= loco <= hi
    assert abs(doc["harrell_c"] - loco) < 0.02
