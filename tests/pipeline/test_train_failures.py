"""A training run that fails, and the ``@champion`` rule, end to end through ``tmeprog train``.

Small configs (one cohort, one family, two folds) keep each run to about 20 s.
"""

import errno
from pathlib import Path

import mlflow
import pytest

from tmeprog.cli import app
from tmeprog.cli import exit_codes as codes
from tmeprog.cli.handler import run
from tmeprog.pipeline import artifacts
from tmeprog.pipeline import train as train_module
from tmeprog.pipeline.config import load_config
from tmeprog.pipeline.train import train

NAME = "t-fail-prognosis"

CONFIG = """
[task]
kind = "prognosis"
experiment = "t-fail"
registered_model = "{name}"
seed = 3

[data]
cohorts = ["{cohort}"]

[models]
families = ["coxnet"]
feature_sets = ["clinical", "tme"]

[validation]
cv_folds = 2
cv_repeats = 1
bootstrap = 5
loco = false
n_jobs = 1
"""


def _config(folder: Path, cohort: str) -> Path:
    p = folder / f"{cohort}.toml"
    p.write_text(CONFIG.format(name=NAME, cohort=cohort))
    return p


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device", "/store/mlruns/model.pkl")


@pytest.fixture(scope="module")
def champion_store(tmp_path_factory):
    """A store whose @champion is a model trained on gse4335 (overall survival)."""
    d = tmp_path_factory.mktemp("champion")
    uri = f"sqlite:///{d / 'mlflow.db'}"
    out = train(load_config(_config(d, "gse4335")), tracking_uri=uri, progress=False,
                quick=True)
    assert out.alias_moved
    return d, uri


def _client(uri):
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return mlflow.MlflowClient()


def _champion(client) -> str:
    return str(client.get_model_version_by_alias(NAME, "champion").version)


def _model_dirs(folder: Path) -> set[str]:
    models = folder / "mlruns" / "models"
    return {p.name for p in models.iterdir()} if models.is_dir() else set()


def _last_run(client):
    exp = client.get_experiment_by_name("t-fail")
    return client.search_runs([exp.experiment_id], order_by=["attributes.start_time DESC"],
                              max_results=1)[0]


def test_disk_full_while_logging_fails_the_run_and_removes_its_artifacts(
        tmp_path, monkeypatch, capsys):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    real = artifacts.log_run

    def log_then_fail(*args, **kwargs):
        real(*args, **kwargs)  # the run now holds tables and figures
        _disk_full()

    monkeypatch.setattr(artifacts, "log_run", log_then_fail)
    status = run(app, ["train", "-c", str(_config(tmp_path, "gse4335")), "--quick",
                       "--tracking-uri", uri])
    err = capsys.readouterr().err
    assert status == codes.ENVIRONMENT, err
    assert "no space left on the device" in err and "Traceback" not in err
    client = _client(uri)
    r = _last_run(client)
    assert r.info.status == "FAILED"
    assert "Training failed" in r.data.tags["mlflow.note.content"]
    folder = Path(r.info.artifact_uri.removeprefix("file://"))
    assert not folder.exists(), sorted(p.name for p in folder.rglob("*"))
    assert client.search_model_versions(f"name = '{NAME}'") == []
    assert _model_dirs(tmp_path) == set()


def test_failure_after_registration_leaves_the_champion_where_it_was(
        champion_store, monkeypatch, capsys):
    folder, uri = champion_store
    client = _client(uri)
    before = _champion(client)
    versions = {str(v.version) for v in client.search_model_versions(f"name = '{NAME}'")}
    models = _model_dirs(folder)
    monkeypatch.setattr(train_module, "_review", _disk_full)
    status = run(app, ["train", "-c", str(_config(folder, "gse4335")), "--quick",
                       "--tracking-uri", uri])
    err = capsys.readouterr().err
    assert status == codes.ENVIRONMENT, err
    client = _client(uri)
    r = _last_run(client)
    assert r.info.status == "FAILED"
    assert not Path(r.info.artifact_uri.removeprefix("file://")).exists()
    assert _champion(client) == before
    assert {str(v.version) for v in client.search_model_versions(f"name = '{NAME}'")} \
        == versions
    assert _model_dirs(folder) == models


def test_another_endpoint_registers_without_moving_the_champion(champion_store, capsys):
    folder, uri = champion_store
    before = _champion(_client(uri))
    status = run(app, ["train", "-c", str(_config(folder, "gse1992")), "--quick",
                       "--tracking-uri", uri])
    cap = capsys.readouterr()
    assert status == codes.OK, cap.err
    client = _client(uri)
    assert _champion(client) == before
    r = _last_run(client)
    assert r.info.status == "FINISHED"
    why = "@champion not moved"
    assert why in " ".join(cap.err.split())
    assert why in r.data.tags["mlflow.note.content"]
    assert "prognosis on os" in r.data.tags["mlflow.note.content"]
    assert r.data.tags["champion"] == "false"
    new = r.data.tags["registered_model_uri"]
    assert new.startswith(f"models:/{NAME}/") and new.rsplit("/", 1)[1] != before


def test_set_champion_moves_it_to_another_endpoint(champion_store, capsys):
    folder, uri = champion_store
    before = _champion(_client(uri))
    status = run(app, ["train", "-c", str(_config(folder, "gse1992")), "--quick",
                       "--tracking-uri", uri, "--set-champion"])
    cap = capsys.readouterr()
    assert status == codes.OK, cap.err
    client = _client(uri)
    r = _last_run(client)
    assert _champion(client) != before
    assert str(client.get_model_version_by_alias(NAME, "champion").run_id) == r.info.run_id
    assert "--set-champion" in r.data.tags["mlflow.note.content"]


def test_tme_sets_on_a_clinical_only_cohort_are_refused_before_logging(tmp_path, capsys):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    cfg = _config(tmp_path, "gbsg2")
    status = run(app, ["train", "-c", str(cfg), "--quick", "--tracking-uri", uri])
    err = " ".join(capsys.readouterr().err.split())
    assert status == codes.USAGE, err
    assert "[models] feature_sets asks for tme" in err and "gbsg2" in err
    assert 'feature_sets = ["clinical"]' in err
    assert not (tmp_path / "mlflow.db").exists() or _client(uri).get_experiment_by_name(
        "t-fail") is None


def test_a_clinical_only_cohort_trains_on_clinical_sets(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    cfg = _config(tmp_path, "gbsg2")
    cfg.write_text(cfg.read_text().replace('["clinical", "tme"]', '["clinical"]'))
    out = train(load_config(cfg), tracking_uri=uri, progress=False, quick=True)
    assert out.champion["feature_set"] == "clinical"
    assert set(out.results["feature_set"]) == {"clinical"}


def test_sigterm_during_registration_kills_the_run_and_keeps_the_champion(
        champion_store, monkeypatch, capsys):
    from tmeprog.cli.handler import Terminated

    folder, uri = champion_store
    client = _client(uri)
    before = _champion(client)
    versions = {str(v.version) for v in client.search_model_versions(f"name = '{NAME}'")}

    def terminated(*args, **kwargs):
        raise Terminated

    monkeypatch.setattr(train_module, "_review", terminated)
    status = run(app, ["train", "-c", str(_config(folder, "gse4335")), "--quick",
                       "--tracking-uri", uri, "--set-champion"])  # the alias had moved
    err = capsys.readouterr().err
    assert status == codes.TERMINATED, err
    assert err.rstrip().endswith("interrupted (terminated)")
    client = _client(uri)
    r = _last_run(client)
    assert r.info.status == "KILLED"
    assert not Path(r.info.artifact_uri.removeprefix("file://")).exists()
    assert _champion(client) == before
    assert {str(v.version) for v in client.search_model_versions(f"name = '{NAME}'")} \
        == versions
