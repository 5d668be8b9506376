"""``tmeprog validate``: load the model and the cohort, compute, then log one MLflow run.

Every check (model kind, outcomes, endpoint, coverage) runs before anything is logged; the
run (tag ``validation``) holds aggregates and figures only, is linked to the model version
(tags on both sides) and carries the cohort's fingerprint.
"""

from __future__ import annotations

import warnings

import mlflow
import numpy as np
import pandas as pd

from tmeprog.cohorts.sanity import ALLOW_FLAG
from tmeprog.errors import InputError
from tmeprog.models.calibration_check import slope_message
from tmeprog.models.metrics import horizon_key
from tmeprog.models.plots import calibration_plot, km_by_risk_group
from tmeprog.scoring.chunk import imputed_covariates
from tmeprog.scoring.inputs import _load_whole
from tmeprog.scoring.model import _ALIAS, _VERSION, load_served_model
from tmeprog.scoring.validate import (
    MIN_STRATUM_EVENTS,
    ValidationReport,
    as_held_out,
    calibration_tables,
    check_prognosis,
    choose_endpoint,
    er_status,
    evaluate_subgroup,
    model_frames,
    predict,
    risk_group_table,
    with_absent_covariates,
)
from tmeprog.tracking.provenance import frame_fingerprint
from tmeprog.tracking.runlog import log_figure, log_json, log_table, metric_key
from tmeprog.tracking.store import ensure_experiment, use_store


def _fingerprint(cohort, endpoint: str) -> dict:
    cols = [c for c in cohort.endpoints.columns if c.startswith(f"{endpoint}_")]
    return {"cohort": cohort.name, "n_samples": int(cohort.n_samples),
            "expression_sha256": frame_fingerprint(cohort.expression),
            "clinical_sha256": frame_fingerprint(cohort.clinical),
            "outcome_sha256": frame_fingerprint(cohort.endpoints[cols])}


def validate(model_uri: str, source: str, *, clinical: str | None = None,
             endpoint: str | None = None, scale: str | None = None,
             orientation: str = "auto", n_boot: int = 200, seed: int = 0,
             tracking_uri: str | None = None,
             allow_missing_covariates: bool = False,
             duplicates: str = "error") -> ValidationReport:
    """Validate a served prognosis model (and its reference models) on a cohort.

    Parameters
    ----------
    model_uri : str
        ``models:/name@alias``, ``models:/name/<version>`` or ``runs:/<id>/model``.
    source : str
        Registered cohort name, cohort folder or expression file (with ``clinical``).
    clinical, scale, orientation
        As for ``tmeprog score`` (files only).
    endpoint : str, optional
        Survival endpoint (default: one the model was trained on, else the cohort's own).
    n_boot, seed : int
        Bootstrap replicates and seed of the CIs.
    allow_missing_covariates : bool
        Accept samples without a clinical row (and unreadable cells), their covariates imputed
        and counted in the notes; otherwise every sample needs a readable row.
    duplicates : {"error", "mean", "max-variance"}
        Rule for genes present more than once with different values (expression files).

    Returns
    -------
    ValidationReport

    Raises
    ------
    InputError
        A response model, a cohort without survival outcome, an endpoint the cohort lacks,
        too few genes for the model's features, no event.
    """
    served = load_served_model(model_uri, tracking_uri)
    check_prognosis(served.scorer, model_uri)
    scorer = as_held_out(served.scorer)
    cohort = _load_whole(scorer, source, clinical, scale, orientation,
                         allow_missing_covariates, duplicates)
    ep = choose_endpoint(cohort, endpoint, scorer)
    cohort = cohort.with_endpoint(ep)
    y = cohort.survival(ep)
    if len(y) < 10 or int(y["event"].sum()) < 2:
        raise InputError(f"cohort {cohort.name!r}: {len(y)} samples with {ep} recorded and "
                         f"{int(y['event'].sum())} events; validation needs at least 10 "
                         "samples and 2 events")
    values, clin, notes = model_frames(scorer, cohort)
    notes += [line for line in cohort.report if ALLOW_FLAG in line]
    if scorer.clinical_columns:
        n_imp = int((imputed_covariates(scorer, clin) != "").sum())
        if n_imp:
            notes.append(f"{n_imp} of {len(clin)} samples had clinical covariates imputed "
                         "(no value recorded)")
    horizons = [float(h) for h in scorer.horizons_months]
    preds = {"model": predict("model", scorer, values, clin, y, horizons)}
    refs = getattr(scorer, "references", None) or {}
    if not refs:
        notes.append("the model holds no reference models (trained before they were "
                     "stored); only the model is evaluated")
    for name, ref in refs.items():
        rc, absent = with_absent_covariates(ref, cohort.clinical.copy())
        if name == "age" and absent:
            notes.append("age reference not evaluated: the cohort records no age")
            continue
        if absent:
            notes.append(f"{name} reference: {', '.join(absent)} not recorded, imputed by the "
                         "training median")
        preds[name] = predict(name, ref, values, rc, y, horizons)
    for p in preds.values():
        notes += p.notes
    all_rows = np.arange(len(y))
    metrics, diffs = evaluate_subgroup(preds, y, all_rows, "all", horizons, n_boot, seed)
    er, er_how = er_status(cohort, values)
    for label, val in (("ER+", 1.0), ("ER-", 0.0)):
        rows = np.flatnonzero(er.to_numpy(dtype=float) == val)
        if len(rows) < 10 or int(y["event"][rows].sum()) < MIN_STRATUM_EVENTS:
            notes.append(f"{label}: {len(rows)} samples, {int(y['event'][rows].sum())} events; "
                         f"too few for per-subtype figures (at least 10 samples and "
                         f"{MIN_STRATUM_EVENTS} events)")
            continue
        m, d = evaluate_subgroup(preds, y, rows, label, horizons, n_boot, seed)
        metrics = _cat(metrics, m)
        diffs = _cat(diffs, d)
    if scorer.info.get("endpoints") and ep not in set(scorer.info["endpoints"].values()):
        notes.append(f"validated on {ep}; the model was trained on "
                     f"{sorted(set(scorer.info['endpoints'].values()))}")


    hk = horizon_key(max(horizons))
    slope = metrics[(metrics["model"] == "model") & (metrics["subgroup"] == "all")
                    & (metrics["metric"] == f"calibration_slope_{hk}")]["value"]
    if len(slope) and (msg := slope_message(float(slope.iloc[0]), f"on {cohort.name} at {hk}")):
        notes.append(msg)
    return ValidationReport(
        model_uri=model_uri, model_version=served.version, cohort=cohort.name, endpoint=ep,
        n=int(len(y)), events=int(y["event"].sum()), horizons=horizons,
        metrics=metrics.reset_index(drop=True), differences=diffs.reset_index(drop=True)
        if len(diffs) else pd.DataFrame(columns=["reference", "subgroup", "metric", "value",
                                                 "ci_low", "ci_high", "p_value"]),
        calibration=calibration_tables(preds, y, max(horizons)),
        risk_groups=risk_group_table(preds["model"], y), notes=list(dict.fromkeys(notes)),
        fingerprint=_fingerprint(cohort, ep), er_source=er_how,
        model_id=getattr(served.pyfunc.metadata, "model_id", None), predictions=preds, y=y)


def _cat(a, b):
    return pd.concat([a, b], ignore_index=True) if len(b) else a


def figures(report: ValidationReport) -> dict:
    """KM by the model's risk groups and the model's calibration plot."""
    p = report.predictions["model"]
    figs = {"validation/km_model_risk_groups.png": km_by_risk_group(
        report.y, p.risk, groups=p.groups + 1,
        title=f"{report.cohort} ({report.endpoint}): model risk groups\n"
              "(cut points from training)")}
    h = max(report.horizons)
    for name, tab in report.calibration.items():
        if tab["observed"].notna().any():
            figs[f"validation/calibration_{name}.png"] = calibration_plot(
                tab, horizon=h, title=f"{name}: calibration on {report.cohort}")
    return figs


def _experiment_and_link(model_uri: str, version: str):
    """(experiment id, registered name, version, training run id) of the model."""

    client = mlflow.MlflowClient()
    m = _ALIAS.match(model_uri) or _VERSION.match(model_uri)
    if m and version:
        mv = client.get_model_version(m["name"], version)
        if mv.run_id:
            return client.get_run(mv.run_id).info.experiment_id, m["name"], version, mv.run_id
        return None, m["name"], version, ""
    if model_uri.startswith("runs:/"):
        run_id = model_uri[len("runs:/"):].split("/", 1)[0]
        return client.get_run(run_id).info.experiment_id, "", "", run_id
    return None, "", "", ""


def log_validation(report: ValidationReport, tracking_uri: str | None = None) -> str:
    """Log the report as one MLflow run (tag ``validation``); returns its run id.

    A failure while logging deletes the run, so no half-written run is left.
    """

    use_store(tracking_uri)
    exp_id, name, version, train_run = _experiment_and_link(report.model_uri,
                                                            report.model_version)
    if exp_id is None:
        exp_id = ensure_experiment("tmeprog-validation", tracking_uri)
    fp = report.fingerprint
    tags = {"validation": "external", "tmeprog.run_type": "validation",
            "model_uri": report.model_uri, "model_name": name, "model_version": version,
            "model_run_id": train_run, "cohort": report.cohort, "endpoint": report.endpoint,
            **{f"fingerprint.{k}": str(v)[:16] for k, v in fp.items() if k.endswith("sha256")}}
    doc = report.to_json()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        figs = figures(report)
    run = mlflow.start_run(experiment_id=exp_id, tags=tags,
                           run_name=f"validate {report.cohort}")
    try:
        mlflow.log_params({"cohort": report.cohort, "endpoint": report.endpoint,
                           "n": report.n, "events": report.events,
                           "horizons_months": str(report.horizons),
                           "er_source": report.er_source})
        batch = {}
        for r in report.metrics.itertuples(index=False):
            base = metric_key(r.model, r.subgroup, r.metric)
            for suffix, v in (("", r.value), (".ci_low", r.ci_low), (".ci_high", r.ci_high)):
                if np.isfinite(v):
                    batch[base + suffix] = float(v)
        mlflow.log_metrics(batch)
        if report.model_id:
            try:  # the model's own page shows its external metrics too
                main = {k: v for k, v in batch.items() if k.startswith("model.all.")}
                mlflow.log_metrics(main, model_id=report.model_id)
            except Exception:  # a store without logged models: the run still holds them
                pass
        log_table(report.metrics, "validation", "metrics.csv")
        log_table(report.differences, "validation", "differences.csv")
        log_table(report.risk_groups, "validation", "risk_groups.csv")
        for k, t in report.calibration.items():
            log_table(t, "validation", f"calibration_{k}.csv")
        log_json(doc, "validation/validation.json")
        log_json(fp, "validation/cohort_fingerprint.json")
        for path, fig in figs.items():
            log_figure(fig, path)
        if name and version:
            mlflow.MlflowClient().set_model_version_tag(
                name, version, f"validation.{report.cohort}.run_id", run.info.run_id)
    except BaseException:
        mlflow.end_run(status="FAILED")
        mlflow.MlflowClient().delete_run(run.info.run_id)
        raise
    mlflow.end_run()
    return run.info.run_id
