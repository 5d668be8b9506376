"""What a training run that fails leaves behind: a FAILED (or KILLED) run, no artifacts, and
the ``@champion`` alias where it was.

Cleaning up is best effort (the disk may be full, the server gone): each step is tried, and
what could not be cleaned is returned so it can be said; the original error is never hidden.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse


def local_path(uri: str | None) -> Path | None:
    """The folder of a ``file:`` artifact URI (or a plain path), else None."""
    if not uri:
        return None
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme == "" and uri.startswith("/"):
        return Path(uri)
    return None


def _remove(path: Path | None) -> None:
    if path is not None and path.exists():
        shutil.rmtree(path)


def discard_failed_run(run_id: str, error: BaseException, registered_name: str,
                       new_version: str | None = None, previous_version: str | None = None,
                       alias: str = "champion") -> list[str]:
    """End the active run ``run_id`` as FAILED (KILLED when interrupted) and remove what it
    wrote: its model versions, logged models and local artifacts; put ``alias`` back.

    Parameters
    ----------
    run_id : str
        The active run.
    error : BaseException
        Why it failed (stated in the run's description).
    registered_name : str
        The registered model the run may have added a version to.
    new_version : str, optional
        The version the run registered, if it got that far.
    previous_version : str, optional
        The version ``alias`` pointed at before the run (None: no alias before).
    alias : str
        The champion alias.

    Returns
    -------
    list of str
        What could not be cleaned up (empty when everything was).
    """
    import mlflow  # deferred: mlflow takes over a second to load; local_path needs none

    client = mlflow.MlflowClient()
    left: list[str] = []
    status = "FAILED" if isinstance(error, Exception) else "KILLED"

    def attempt(what: str, fn, *args) -> None:
        try:
            fn(*args)
        except Exception as exc:  # noqa: BLE001 - best effort, the cause is re-raised
            left.append(f"{what} ({exc})")

    if new_version is not None:
        def put_alias_back():
            if previous_version is None:
                current = client.get_registered_model(registered_name).aliases.get(alias)
                if current is not None and str(current) == str(new_version):
                    client.delete_registered_model_alias(registered_name, alias)
            else:
                client.set_registered_model_alias(registered_name, alias, previous_version)

        attempt(f"put @{alias} back on version {previous_version}", put_alias_back)
        attempt(f"delete model version {new_version}", client.delete_model_version,
                registered_name, new_version)
    try:
        run = client.get_run(run_id)
        exp_id = run.info.experiment_id
        artifacts = run.info.artifact_uri
    except Exception as exc:  # noqa: BLE001
        left.append(f"read run {run_id} ({exc})")
        exp_id, artifacts = None, None
    if exp_id is not None:
        try:
            models = client.search_logged_models(
                [exp_id], filter_string=f"source_run_id = '{run_id}'")
        except Exception as exc:  # noqa: BLE001
            left.append(f"list the run's logged models ({exc})")
            models = []
        for m in models:
            where = local_path(m.artifact_location)
            if where is not None and where.name == "artifacts" and where.parent.name == m.model_id:
                where = where.parent  # the logged model's own folder
            attempt(f"remove the files of logged model {m.model_id}", _remove, where)
            attempt(f"delete logged model {m.model_id}", client.delete_logged_model,
                    m.model_id)
    run_dir = local_path(artifacts)
    if run_dir is None and artifacts:
        left.append(f"remove the run's artifacts at {artifacts} (a remote artifact store: "
                    "delete them there)")
    else:
        attempt(f"remove the run's artifacts at {run_dir}", _remove, run_dir)
    reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    cleaned = ("Partial artifacts were removed" if not left else
               "Clean-up left: " + "; ".join(left))
    attempt("describe the failure", client.set_tag, run_id, "mlflow.note.content",
            f"**Training {status.lower()}:** {reason}\n\n{cleaned}; the champion alias was "
            "not changed.")
    attempt(f"mark the run {status}", mlflow.end_run, status)
    if mlflow.active_run() is not None:  # end_run failed: leave no active run behind
        attempt(f"mark the run {status}", client.set_terminated, run_id, status)
    return left
