"""A prognosis model trained on a feature table without expression (user file cohort)."""

import mlflow
import numpy as np
import pandas as pd

from tmeprog.cohorts import load_cohort
from tmeprog.features.extractor import TMEFeatureExtractor
from tmeprog.pipeline.config import parse_config
from tmeprog.pipeline.train import train
from tmeprog.tracking.pyfunc import model_input


def test_prognosis_on_feature_table(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    c = load_cohort("gse1992")
    feats = TMEFeatureExtractor(features=["til_density", "cell_cd8_t", "process_proliferation",
                                          "stromal_score", "cell_caf"]).fit_transform(c.expression)
    feats.rename_axis("sample_id").to_csv(tmp_path / "features.tsv", sep="\t")
    clin = pd.DataFrame({"sample_id": c.samples, "age": c.clinical["age"],
                         "grade": c.clinical["grade"], "er": c.clinical["er"],
                         "rfs_time": c.endpoints["rfs_time"],
                         "rfs_event": c.endpoints["rfs_event"]})
    clin.to_csv(tmp_path / "clinical.tsv", sep="\t", index=False)
    cohort = load_cohort(tmp_path / "features.tsv", kind="features",
                         clinical=tmp_path / "clinical.tsv")
    assert cohort.expression is None and cohort.features.shape == (124, 5)

    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    cfg = parse_config({"task": {"experiment": "t-ft", "registered_model": "t-ft", "seed": 1},
                        "models": {"families": ["coxnet"], "feature_sets": ["tme"]},
                        "validation": {"cv_folds": 3, "cv_repeats": 1, "bootstrap": 10,
                                       "loco": False, "n_jobs": 1}}, "test")
    monkeypatch.setattr("tmeprog.pipeline.train.load_cohort", lambda name: cohort)
    out = train(cfg, ["features-table"], tracking_uri=store, progress=False, quick=True)
    c_index = out.results.query("metric == 'harrell_c' and validation == 'cv'")["value"]
    assert len(c_index) == 1 and 0.5 < c_index.iloc[0] < 0.9

    mlflow.set_tracking_uri(store)
    loaded = mlflow.pyfunc.load_model(out.model_uri)
    scored = loaded.predict(model_input(None, None, cohort.features))
    assert np.isfinite(scored["risk_score"]).all() and len(scored) == 124
