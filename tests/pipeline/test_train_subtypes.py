"""A pipeline with subtype calls and breast prognostic scores: strata, roll-ups, served calls."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

from tmeprog.pipeline.config import load_config
from tmeprog.pipeline.train import train
from tmeprog.tracking.pyfunc import model_input

CONFIG = Path(__file__).resolve().parents[1] / "fixtures" / "pipelines" / "quick_subtypes.toml"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    store = f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as mp:  # the run writes beside the working folder
        mp.chdir(tmp_path_factory.mktemp("run"))
        out = train(load_config(CONFIG), tracking_uri=store, progress=False, quick=True)
    mlflow.set_tracking_uri(store)
    return out


def _artifact(run_id, path):
    return pd.read_csv(mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=path))


def test_screen_has_pam50_strata_and_prognostic_features(run):
    screen = _artifact(run.run_id, "results/screen.csv")
    assert {"PAM50 Basal", "PAM50 LumA"} <= set(screen["stratum"])
    er_pos = screen[(screen["stratum"] == "ER+") & ~screen["adjusted"]].set_index("feature")
    assert er_pos.loc["rs_unscaled", "hr"] > 1 and er_pos.loc["rs_unscaled", "ci_low"] > 1
    cov = _artifact(run.run_id, "features/coverage.csv").set_index("signature")
    assert cov.loc["rs_unscaled", "missing"] == "BIRC5"
    by = _artifact(run.run_id, "shap/by_pam50.csv")
    assert {"LumA", "Basal"} <= set(by["pam50"])


def test_served_model_fills_er_for_a_patient_alone(run):
    from tmeprog.cohorts import load_cohort

    model = mlflow.pyfunc.load_model(run.model_uri)
    scorer = model._model_impl.python_model.scorer
    assert scorer.subtyper is not None and "er" in scorer.covariate_sources()
    c = load_cohort("gse1992")
    clin = c.clinical[["age", "grade", "t_stage", "node_status"]]  # no ER column at all
    batch = model.predict(model_input(c.expression, clin))
    one = model.predict(model_input(c.expression.iloc[[5]], clin.iloc[[5]]))
    np.testing.assert_allclose(one["risk_score"], batch["risk_score"].iloc[[5]], rtol=1e-10)
    # with the calls filled in, the inputs equal the recorded-ER inputs where calls agree
    calls = scorer.subtyper.transform(c.expression)
    agree = (calls["er_expression"].astype(float) == c.clinical["er"].astype(float)).to_numpy()
    with_er = model.predict(model_input(c.expression, c.clinical[[*clin.columns, "er"]]))
    np.testing.assert_allclose(with_er["risk_score"][agree], batch["risk_score"][agree],
                               rtol=1e-10)
