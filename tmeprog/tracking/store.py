"""Where runs are tracked: ``sqlite:///mlflow.db`` with artifacts under ``./mlruns`` by default.

``MLFLOW_TRACKING_URI`` (or an explicit ``uri``) selects another store, such as a running
``mlflow server``.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB = "mlflow.db"
DEFAULT_ARTIFACTS = "mlruns"


def tracking_uri(uri: str | None = None) -> str:
    """The tracking URI in force: ``uri``, else ``MLFLOW_TRACKING_URI``, else the local sqlite."""
    if uri:
        return uri
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if env:
        return env
    return f"sqlite:///{Path(DEFAULT_DB).resolve()}"


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
    import mlflow

    u = tracking_uri(uri)
    mlflow.set_tracking_uri(u)
    mlflow.set_registry_uri(u)
    return u


def ensure_experiment(name: str, uri: str | None = None) -> str:
    """The id of experiment ``name``, created (with the project's artifact root) if needed."""
    import mlflow

    u = use_store(uri)
    exp = mlflow.get_experiment_by_name(name)
    if exp is not None:
        return exp.experiment_id
    return mlflow.create_experiment(name, artifact_location=artifact_root(u))
