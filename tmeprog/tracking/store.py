"""Where runs are tracked: ``mlflow.db`` (sqlite) with artifacts in ``mlruns/`` beside it.

The default store does not depend on the sub-folder a command runs in. It lives in the
project folder, found from the working folder upwards: the nearest folder that already holds
``mlflow.db`` or ``mlruns/``, else the nearest holding ``.git`` or ``pyproject.toml``; outside
any project, in the per-user data folder (``$XDG_DATA_HOME/tmeprog``, by default
``~/.local/share/tmeprog``). ``MLFLOW_TRACKING_URI`` or an explicit ``--tracking-uri`` selects
another store, such as a running ``mlflow server``.
"""

from __future__ import annotations

import os
from pathlib import Path

from tmeprog.errors import InputError

DEFAULT_DB = "mlflow.db"
DEFAULT_ARTIFACTS = "mlruns"


def project_dir(start: str | Path | None = None) -> Path:
    """The folder of the default store (see the module notes)."""
    here = Path(start or os.getcwd()).resolve()
    chain = [here, *here.parents]
    for d in chain:
        if (d / DEFAULT_DB).is_file() or (d / DEFAULT_ARTIFACTS).is_dir():
            return d
    for d in chain:
        if (d / ".git").exists() or (d / "pyproject.toml").is_file():
            return d
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "tmeprog"


def tracking_uri(uri: str | None = None) -> str:
    """The tracking URI in force: ``uri``, else ``MLFLOW_TRACKING_URI``, else the project's
    ``mlflow.db`` (:func:`project_dir`)."""
    if uri:
        return uri
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if env:
        return env
    return f"sqlite:///{project_dir() / DEFAULT_DB}"


def sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` URI, else None."""
    return Path(uri[len("sqlite:///"):]) if uri.startswith("sqlite:///") else None


def check_store_exists(uri: str) -> None:
    """Raise :class:`~tmeprog.errors.InputError` when a local sqlite store does not exist,
    so a lookup never creates an empty one."""
    db = sqlite_path(uri)
    if db is not None and not db.is_file():
        raise InputError(f"no tracking store at {db} (nothing has been trained there); train "
                         "a model first, or point --tracking-uri / MLFLOW_TRACKING_URI at the "
                         "store that holds it")


def is_local(uri: str) -> bool:
    """True for a store this process writes directly (sqlite or file), not a server."""
    return uri.startswith("sqlite:") or uri.startswith("file:") or "://" not in uri


def artifact_root(uri: str) -> str | None:
    """Artifact location for new experiments: ``./mlruns`` beside a local sqlite store."""
    if uri.startswith("sqlite:///"):
        db = Path(uri[len("sqlite:///"):])
        return (db.parent / DEFAULT_ARTIFACTS).resolve().as_uri()
    return None  # a server decides


def use_store(uri: str | None = None) -> str:
    """Point MLflow at the store and return its URI."""
    import mlflow  # deferred: keeps `tmeprog --help` (which reads this module) free of mlflow

    u = tracking_uri(uri)
    mlflow.set_tracking_uri(u)
    mlflow.set_registry_uri(u)
    return u


def ensure_experiment(name: str, uri: str | None = None) -> str:
    """The id of experiment ``name``, created (with the project's artifact root) if needed."""
    import mlflow  # deferred: as in use_store

    db = sqlite_path(tracking_uri(uri))
    if db is not None:
        db.parent.mkdir(parents=True, exist_ok=True)
    u = use_store(uri)
    exp = mlflow.get_experiment_by_name(name)
    if exp is not None:
        return exp.experiment_id
    return mlflow.create_experiment(name, artifact_location=artifact_root(u))
