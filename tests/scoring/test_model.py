"""Loading a served model: the fast path gives what ``mlflow.pyfunc.load_model`` gives."""

from __future__ import annotations

import os
import warnings

import mlflow
import numpy as np
import pandas as pd
import pytest

from tests.scoring.conftest import CHAMPION
from tmeprog.scoring import load_served_model
from tmeprog.scoring import model as served_model
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


def test_one_mlmodel_parse_and_no_mlflow_load_model(store, monkeypatch):
    import yaml

    def refuse(*args, **kwargs):
        raise AssertionError("mlflow.pyfunc.load_model was called")

    calls = []
    safe_load = yaml.safe_load
    monkeypatch.setattr(mlflow.pyfunc, "load_model", refuse)
    monkeypatch.setattr(yaml, "safe_load", lambda *a, **k: calls.append(1) or safe_load(*a, **k))
    fm = load_served_model(CHAMPION, store)
    assert fm.task == "prognosis" and fm.version
    assert calls == []  # no pure-Python parse of the MLmodel (one C parse instead)
    assert fm.pyfunc.input_example is None


def test_loading_writes_nothing_into_a_local_artifact_store(served, store):
    folder = _model_folder(store, served.version)

    def snapshot() -> set:
        return {(os.path.relpath(os.path.join(d, f), folder),
                 os.stat(os.path.join(d, f)).st_mtime_ns)
                for d, _, files in os.walk(folder) for f in files}

    before = snapshot()
    load_served_model(CHAMPION, store)
    assert snapshot() == before


def test_other_model_shapes_go_through_mlflow(tmp_path, monkeypatch):
    class Echo(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return model_input * 2

    extra = tmp_path / "extra.txt"
    extra.write_text("x")
    path = tmp_path / "model"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlflow.pyfunc.save_model(str(path), python_model=Echo(), artifacts={"extra": str(extra)})
    used = []
    real = mlflow.pyfunc.load_model
    monkeypatch.setattr(mlflow.pyfunc, "load_model", lambda uri: used.append(uri) or real(uri))
    loaded = served_model._load_pyfunc(str(path))
    assert used == [str(path)]
    out = loaded.predict(pd.DataFrame({"a": [1.0, 2.0]}))
    assert out["a"].tolist() == [2.0, 4.0]


@pytest.mark.parametrize("conf", [None, {"loader_module": "mlflow.sklearn"},
                                  {"loader_module": "mlflow.pyfunc.model",
                                   "python_model": "python_model.pkl", "model_code_path": "x.py"}])
def test_only_plain_pickled_python_models_take_the_fast_path(served, conf):
    assert served_model._plain_python_model(served.pyfunc.metadata, conf) is False
    plain = served.pyfunc.metadata.flavors["python_function"]
    assert served_model._plain_python_model(served.pyfunc.metadata, plain) is True


def test_requirement_check_words_what_mlflow_finds():
    from importlib.metadata import version

    from mlflow.utils.requirements_utils import _check_requirement_satisfied

    np_v, pd_v = version("numpy"), version("pandas")
    reqs = [f"numpy=={np_v}", "numpy==0.0.1", f"pandas>={pd_v}", "pandas<1",
            "surely-not-installed-pkg==1.0", "scikit-learn", 'numpy==0.1; python_version < "3"',
            "git+https://example.org/x.git", "./local/wheel.whl"]
    theirs = [str(m) for r in reqs if (m := _check_requirement_satisfied(r)) is not None]
    ours = served_model.requirement_mismatches(reqs)
    assert ours == theirs
    assert len(ours) == 3  # numpy==0.0.1, pandas<1, the uninstalled one
