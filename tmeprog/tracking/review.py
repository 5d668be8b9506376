"""What a reviewer sees in the MLflow UI: the run's description, searchable tags, the HTML
report as an artifact, and a registered model version that says where it came from.

Everything here goes through MLflow's public client API; nothing logged holds patient rows
(the report shows cohort-level tables and figures only).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

#: Estimator behind each selection metric, as the description names it.
ESTIMATORS = {"harrell_c": "Harrell's C", "uno_c": "Uno's C", "ibs": "integrated Brier score",
              "auc": "ROC AUC", "brier": "Brier score"}


def _best(results: pd.DataFrame, metric: str, validation: str, feature_set: str) -> dict | None:
    r = results[(results["metric"] == metric) & (results["validation"] == validation)
                & (results["feature_set"] == feature_set) & results["value"].notna()]
    if r.empty:
        return None
    asc = metric == "ibs" or metric.startswith("brier")
    row = r.sort_values("value", ascending=asc, kind="stable").iloc[0]
    return {"model": str(row["model"]), "value": float(row["value"]),
            "ci_low": float(row["ci_low"]), "ci_high": float(row["ci_high"])}


def run_description(champion: dict, cohorts: list[str], endpoints: dict[str, str],
                    pooled: bool, results: pd.DataFrame) -> str:
    """Markdown shown on the run page: champion, headline metric with its CI, endpoints,
    cohorts, and the best clinical-only model of the same run for comparison."""
    metric, val = champion["metric"], champion["validation"]
    est = ESTIMATORS.get(metric, metric)
    where = {"loco": "leave-one-cohort-out", "cv": "nested cross-validation"}.get(val, val)
    lines = [f"**Champion:** `{champion['model']}` on `{champion['feature_set']}` features",
             "",
             f"**{est}** ({where}): **{champion['value']:.3f}** "
             f"(95% CI {champion['ci_low']:.3f}-{champion['ci_high']:.3f})"]
    clin = _best(results, metric, val, "clinical")
    if clin is not None and champion["feature_set"] != "clinical":
        lines.append(f"; best clinical-only model (`{clin['model']}`): {clin['value']:.3f} "
                     f"({clin['ci_low']:.3f}-{clin['ci_high']:.3f})")
    eps = ", ".join(f"{c}: {e}" for c, e in endpoints.items())
    lines += ["", f"**Cohorts:** {', '.join(cohorts)}", "",
              f"**Endpoints:** {eps}" + (" (pooled, baseline hazard per cohort x endpoint)"
                                         if pooled else "")]
    return "\n".join(lines)


def log_review(run_id: str, description: str, tags: dict[str, str], registered_name: str,
               alias: str, files: list[tuple[Path, str]] = (),
               version: str | None = None) -> str:
    """Describe and tag the run, log ``files`` (path, artifact folder) such as its HTML report,
    and describe and tag the model version (``version``, else the one ``alias`` points at):
    its run, cohorts, endpoint, feature set, family and the run's data fingerprints.

    Returns the version number.
    """
    import mlflow  # deferred: mlflow takes over a second to load; the run description needs none

    client = mlflow.MlflowClient()
    client.set_tag(run_id, "mlflow.note.content", description)
    for k, v in tags.items():
        client.set_tag(run_id, k, v)
    for path, folder in files:
        client.log_artifact(run_id, str(path), artifact_path=folder)
    mv = (client.get_model_version(registered_name, version) if version is not None
          else client.get_model_version_by_alias(registered_name, alias))
    client.update_model_version(registered_name, mv.version,
                                description=f"Trained in run {run_id}.\n\n{description}")
    client.set_model_version_tag(registered_name, mv.version, "run_id", run_id)
    for k in ("cohorts", "endpoint", "feature_set", "family"):
        if k in tags:
            client.set_model_version_tag(registered_name, mv.version, k, tags[k])
    for k, v in client.get_run(run_id).data.tags.items():
        if k.startswith("fingerprint."):
            client.set_model_version_tag(registered_name, mv.version, k, v)
    return str(mv.version)
