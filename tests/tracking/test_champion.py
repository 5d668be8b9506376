"""The ``@champion`` rule: the alias moves only onto the same task and endpoints, or on request."""

import mlflow
import pytest

from tmeprog.tracking.champion import decide_alias, endpoints_of, register
from tmeprog.tracking.store import use_store

NAME = "t-champion-rule"


@pytest.fixture()
def store(tmp_path):
    uri = use_store(f"sqlite:///{tmp_path / 'mlflow.db'}")
    mlflow.set_experiment("t-champion")
    return uri


def _version(task: str, endpoint: str, alias: bool = True) -> str:
    """A registered version whose run carries ``task`` and ``endpoint`` tags."""
    client = mlflow.MlflowClient()
    with mlflow.start_run(tags={"task": task, "endpoint": endpoint}) as run:
        pass
    try:
        client.get_registered_model(NAME)
    except mlflow.exceptions.MlflowException:
        client.create_registered_model(NAME)
    mv = client.create_model_version(NAME, source=run.info.artifact_uri, run_id=run.info.run_id)
    if alias:
        client.set_registered_model_alias(NAME, "champion", mv.version)
    return str(mv.version)


def test_endpoints_of_a_tag():
    assert endpoints_of("gse1992:rfs,gse4335:os,gse3143:os") == {"rfs", "os"}
    assert endpoints_of("") == frozenset()


def test_first_model_takes_the_alias(store):
    d = decide_alias(NAME, "prognosis", "gse1992:rfs")
    assert d.move and d.previous_version is None


def test_same_task_and_endpoints_move_it(store):
    v1 = _version("prognosis", "gse1992:rfs,gse4335:os")
    d = decide_alias(NAME, "prognosis", "gse4335:os,metabric:rfs")
    assert d.move and d.previous_version == v1 and "same task" in d.reason


@pytest.mark.parametrize(("task", "endpoint"), [("prognosis", "gse4335:os"),
                                                ("response", "gse1992:rfs"),
                                                ("prognosis", "gse1992:rfs,gse4335:os")])
def test_another_task_or_endpoint_keeps_it(store, task, endpoint):
    v1 = _version("prognosis", "gse1992:rfs")
    d = decide_alias(NAME, task, endpoint)
    assert not d.move and d.previous_version == v1
    assert "not moved" in d.reason and "--set-champion" in d.reason
    assert "prognosis on rfs" in d.reason
    version, uri = register_without_model(d)
    client = mlflow.MlflowClient()
    assert str(client.get_model_version_by_alias(NAME, "champion").version) == v1
    assert uri == f"models:/{NAME}/{version}" and version != v1


def test_set_champion_moves_it_anyway(store):
    v1 = _version("prognosis", "gse1992:rfs")
    d = decide_alias(NAME, "response", "ispy2:pcr", set_champion=True)
    assert d.move and d.previous_version == v1 and "--set-champion" in d.reason


def register_without_model(decision):
    """``register`` on a run without a logged model (the registry only needs a source)."""
    with mlflow.start_run() as run:
        pass
    return register(run.info.artifact_uri, NAME, decision)
