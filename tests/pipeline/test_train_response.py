"""Response pipeline on the I-SPY2 development table (published format)."""

import mlflow
import numpy as np
import pandas as pd
import pytest

from tmeprog.cohorts import load_cohort
from tmeprog.pipeline.config import parse_config
from tmeprog.pipeline.train import train
from tmeprog.tracking.pyfunc import model_input


@pytest.fixture(scope="module")
def ispy2_file(shared_data):
    return str(shared_data / "cohorts" / "ispy2" / "ISPY2_clinical_signatures_dev.csv")


def test_response_pipeline_reports_per_arm_auroc_and_scores(ispy2_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    cfg = parse_config({
        "task": {"kind": "response", "experiment": "t-resp", "registered_model": "t-resp",
                 "seed": 3},
        "data": {"cohorts": ["ispy2"], "endpoint": "pcr"},
        "models": {"families": ["logistic"]},
        "validation": {"cv_folds": 3, "cv_repeats": 1, "bootstrap": 20, "loco": False,
                       "n_jobs": 1},
    }, "test")
    out = train(cfg, [ispy2_file], tracking_uri=store, progress=False, quick=True)
    doc = out.to_json()
    rows = pd.DataFrame(doc["results"])
    overall = rows[(rows.metric == "auroc") & (rows.validation == "cv")]
    assert set(overall.feature_set) == {"clinical", "tme", "clinical+tme"}
    assert (overall.value > 0.6).all() and (overall.ci_low < overall.value).all()
    per_arm = rows[rows.validation.str.startswith("cv:arm=") & (rows.metric == "auroc")]
    assert any("Pembro" in v for v in per_arm.validation)
    assert doc["model_uri"] == "models:/t-resp@champion"

    mlflow.set_tracking_uri(store)
    loaded = mlflow.pyfunc.load_model(doc["model_uri"])
    c = load_cohort(ispy2_file)
    frame = model_input(None, c.clinical, c.features)
    p = loaded.predict(frame)["pcr_probability"].to_numpy()
    assert p.shape == (c.n_samples,) and ((p > 0) & (p < 1)).all()
    direct = loaded.unwrap_python_model().scorer.predict(frame)["pcr_probability"].to_numpy()
    np.testing.assert_array_equal(p, direct)
    # responders get higher predicted probabilities than non-responders (in-sample)
    y = c.binary("pcr").to_numpy()
    assert p[y == 1].mean() > p[y == 0].mean()
