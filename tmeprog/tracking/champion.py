"""When the ``@champion`` alias moves onto a newly registered model version.

The alias is what scoring uses by default, so it must not silently change meaning: it moves
only onto a model trained on the same task and the same endpoint(s) as the current champion
(read from the tags of the current champion's run), when there is no champion yet, or when the
user asks for it (``tmeprog train --set-champion``). Otherwise the new version is registered
without the alias and the reason is returned, for the run's description and for stderr.
"""

from __future__ import annotations

from dataclasses import dataclass

CHAMPION = "champion"


@dataclass
class AliasDecision:
    """Whether the alias moves, why, and the version it pointed at before (if any)."""

    move: bool
    reason: str
    previous_version: str | None = None


def endpoints_of(tag: str | None) -> frozenset[str]:
    """The endpoints of a run's ``endpoint`` tag (``"gse1992:rfs,gse4335:os"`` -> rfs, os)."""
    if not tag:
        return frozenset()
    return frozenset(part.rsplit(":", 1)[-1].strip() for part in tag.split(",") if part.strip())


def _describe(task: str | None, endpoints: frozenset[str]) -> str:
    eps = ", ".join(sorted(endpoints)) or "unknown endpoint"
    return f"{task or 'unknown task'} on {eps}"


def decide_alias(registered_name: str, task: str, endpoint_tag: str, *,
                 set_champion: bool = False, alias: str = CHAMPION) -> AliasDecision:
    """Decide whether ``alias`` of ``registered_name`` moves onto a model of this run.

    Parameters
    ----------
    registered_name : str
        The registered model.
    task : str
        The new run's task (``prognosis`` or ``response``).
    endpoint_tag : str
        The new run's ``endpoint`` tag (``cohort:endpoint`` pairs, comma-separated).
    set_champion : bool
        Move the alias whatever the current champion was trained on.
    alias : str
        The alias name.

    Returns
    -------
    AliasDecision
    """
    import mlflow  # deferred: mlflow takes over a second to load; the alias rule itself needs none
    from mlflow.exceptions import MlflowException  # deferred: part of mlflow, as above

    client = mlflow.MlflowClient()
    try:
        current = client.get_model_version_by_alias(registered_name, alias)
    except MlflowException:
        return AliasDecision(True, f"first {registered_name} model: @{alias} set")
    new = (task, endpoints_of(endpoint_tag))
    try:
        tags = client.get_run(current.run_id).data.tags if current.run_id else {}
    except MlflowException:
        tags = {}
    old_endpoints = endpoints_of(tags.get("endpoint") or current.tags.get("endpoint"))
    old = (tags.get("task"), old_endpoints)
    if set_champion:
        return AliasDecision(True, f"@{alias} moved from version {current.version} "
                                   f"({_describe(*old)}) as --set-champion asked",
                             str(current.version))
    if old == new:
        return AliasDecision(True, f"@{alias} moved from version {current.version} (same task "
                                   f"and endpoints: {_describe(*new)})", str(current.version))
    return AliasDecision(False, f"@{alias} not moved: the current champion (version "
                                f"{current.version}) was trained for {_describe(*old)}, this "
                                f"model for {_describe(*new)}; the new version is registered "
                                f"without the alias (score it by its version, or train with "
                                f"--set-champion to make it the champion)",
                         str(current.version))


def register(model_uri: str, registered_name: str, decision: AliasDecision,
             alias: str = CHAMPION) -> tuple[str, str]:
    """Register ``model_uri`` and move ``alias`` when ``decision`` says so.

    Returns
    -------
    tuple of (str, str)
        The new version and the URI to use it by (``models:/name@alias`` when the alias
        moved, else ``models:/name/version``).
    """
    import mlflow  # deferred: mlflow takes over a second to load

    mv = mlflow.register_model(model_uri, registered_name)
    if decision.move:
        client = mlflow.MlflowClient()
        try:
            client.set_registered_model_alias(registered_name, alias, mv.version)
        except BaseException:  # no version left behind without the alias it was meant for
            try:
                client.delete_model_version(registered_name, mv.version)
            except Exception:  # noqa: BLE001 - the first error is the one to report
                pass
            raise
        return str(mv.version), f"models:/{registered_name}@{alias}"
    return str(mv.version), f"models:/{registered_name}/{mv.version}"
