"""Shared fixtures: paths to the shared real-data folder and small synthetic inputs."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def shared_data_dir() -> Path | None:
    """The shared real-data folder beside the checkout, if present."""
    env = os.environ.get("TMEPROG_SHARED_DATA")
    cands = [Path(env)] if env else []
    cands += [ROOT.parent / "shared" / "data", ROOT / "shared" / "data"]
    for c in cands:
        if (c / "README.md").exists():
            return c
    return None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared real-data folder; tests needing it skip when it is absent."""
    d = shared_data_dir()
    if d is None:
        pytest.skip("shared real-data folder not present")
    return d


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path, monkeypatch):
    """Every test gets its own empty download cache: no test touches ./data or the network."""
    monkeypatch.setenv("TMEPROG_DATA_DIR", str(tmp_path / "tmeprog-data"))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")


QUICK_PROGNOSIS = FIXTURES / "pipelines" / "quick_prognosis.toml"


@pytest.fixture(scope="session")
def store(tmp_path_factory) -> str:
    """A fresh sqlite tracking store holding the quick champion."""
    from tmeprog.pipeline.config import load_config
    from tmeprog.pipeline.train import train

    d = tmp_path_factory.mktemp("scoring-store")
    uri = f"sqlite:///{d / 'mlflow.db'}"
    cwd = os.getcwd()
    os.chdir(d)
    try:
        train(load_config(QUICK_PROGNOSIS), tracking_uri=uri, progress=False, quick=True)
    finally:
        os.chdir(cwd)
    return uri


@pytest.fixture()
def unwritable(tmp_path):
    """A folder this process cannot create files in (a read-only tree for root)."""
    if os.geteuid() != 0:
        d = tmp_path / "ro"
        d.mkdir()
        d.chmod(0o500)
        yield d
        d.chmod(0o700)
        return
    for cand in (Path("/sys"), Path("/proc/1")):
        try:
            tempfile.mkstemp(dir=cand)
        except OSError:
            yield cand / "tmeprog-out"
            return
    pytest.skip("no unwritable folder available to root here")
