"""Loading a served model: the same model ``mlflow.pyfunc.load_model`` gives, loaded by it."""

from __future__ import annotations

import os
import warnings

import mlflow
import numpy as np
import pandas as pd

from tests.scoring.conftest import CHAMPION
from tmeprog.scoring import load_served_model
from tmeprog.tracking.store import use_store

NAME = "tmeprog-test-prognosis"  # CHAMPION's registered name


def _quiet_predict(pyfunc, frame: pd.DataFrame) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pyfunc.predict(frame)


def _model_folder(store: str, version: str) -> str:
    use_store(store)
    uri = mlflow.MlflowClient().get_model_version_download_uri(NAME, version)
    return mlflow.artifacts.download_artifacts(artifact_uri=uri)


def test_same_model_as_mlflow_load_model(served, store, frame4335):
    use_store(store)
    ref = mlflow.pyfunc.load_model(f"models:/{NAME}/{served.version}")
    assert type(served.pyfunc) is type(ref)
    assert served.pyfunc.metadata.to_dict() == ref.metadata.to_dict()
    assert served.pyfunc.model_id == ref.model_id
    rows = frame4335.iloc[:12]
    got = _quiet_predict(served.pyfunc, rows)
    want = _quiet_predict(ref, rows)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    pd.testing.assert_frame_equal(served.scorer.predict(rows).reset_index(drop=True), want,
                                  check_exact=True)
    theirs = ref.unwrap_python_model().scorer
    assert type(served.scorer) is type(theirs)
    assert served.scorer.design_columns == theirs.design_columns
    np.testing.assert_array_equal(served.scorer.predict(rows)["risk_score"],
                                  theirs.predict(rows)["risk_score"])


def test_loading_goes_through_mlflow_load_model(store, monkeypatch):
    used = []
    real = mlflow.pyfunc.load_model
    monkeypatch.setattr(mlflow.pyfunc, "load_model", lambda uri: used.append(uri) or real(uri))
    fm = load_served_model(CHAMPION, store)
    assert fm.task == "prognosis" and fm.version
    assert len(used) == 1 and os.path.isdir(used[0])


def test_loading_writes_nothing_into_a_local_artifact_store(served, store):
    folder = _model_folder(store, served.version)

    def snapshot() -> set:
        return {(os.path.relpath(os.path.join(d, f), folder),
                 os.stat(os.path.join(d, f)).st_mtime_ns)
                for d, _, files in os.walk(folder) for f in files}

    before = snapshot()
    load_served_model(CHAMPION, store)
    assert snapshot() == before


def test_model_is_logged_from_code_with_the_scorer_as_artifact(served):
    conf = served.pyfunc.metadata.flavors["python_function"]
    assert conf.get("model_code_path", "").endswith("model_code.py")
    assert "scorer" in conf.get("artifacts", {})


def test_signature_declares_outputs_and_the_inputs_are_an_artifact(served, store):
    import json

    from tmeprog.tracking.pyfunc import input_columns

    sig = served.pyfunc.metadata.signature
    assert sig.inputs is None
    assert sig.outputs.input_names()[0] == "risk_score"
    folder = _model_folder(store, served.version)
    with open(os.path.join(folder, "artifacts", "input_columns.json")) as f:
        listed = json.load(f)
    assert [c["name"] for c in listed["columns"]] == input_columns(served.scorer)
    assert listed["n_columns"] > 1000  # the genes of the TME features
