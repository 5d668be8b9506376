"""The default tracking store does not depend on the sub-folder; lookups create no store."""

from __future__ import annotations

import pytest

from tmeprog.errors import InputError
from tmeprog.tracking.store import check_store_exists, project_dir, tracking_uri


def test_default_store_is_the_project_folder_whatever_the_subfolder(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    proj = tmp_path / "proj"
    (proj / "analysis" / "deep").mkdir(parents=True)
    (proj / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    monkeypatch.chdir(proj / "analysis" / "deep")
    assert project_dir() == proj.resolve()
    assert tracking_uri() == f"sqlite:///{proj.resolve() / 'mlflow.db'}"
    # an existing store below the project top wins (the layout has it there)
    (proj / "analysis" / "mlflow.db").write_bytes(b"")
    assert project_dir() == (proj / "analysis").resolve()
    assert tracking_uri("sqlite:///elsewhere.db") == "sqlite:///elsewhere.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    assert tracking_uri() == "http://127.0.0.1:5000"


def test_outside_a_project_the_per_user_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    bare = tmp_path / "bare"
    bare.mkdir()
    monkeypatch.chdir(bare)
    if any((d / ".git").exists() or (d / "pyproject.toml").is_file()
           for d in [bare.resolve(), *bare.resolve().parents]):
        pytest.skip("the temporary folder lies inside a project")
    assert project_dir() == tmp_path / "data" / "tmeprog"


def test_a_lookup_in_a_missing_store_is_an_error_and_creates_nothing(tmp_path):
    db = tmp_path / "nowhere" / "mlflow.db"
    with pytest.raises(InputError, match="no tracking store"):
        check_store_exists(f"sqlite:///{db}")
    assert not db.exists() and not db.parent.exists()


def test_score_from_another_folder_leaves_no_empty_store(tmp_path, monkeypatch):
    from tmeprog.scoring import load_served_model

    monkeypatch.chdir(tmp_path)
    db = tmp_path / "mlflow.db"
    with pytest.raises(InputError, match="no tracking store"):
        load_served_model("models:/nothing@champion", f"sqlite:///{db}")
    assert not db.exists()
