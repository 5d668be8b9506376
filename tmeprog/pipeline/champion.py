"""Choosing and wrapping the champion of a training run.

The results table and the champion chosen from it, the calibration reading, the served
:class:`~tmeprog.serving.scorer.Scorer` (with its subtype caller, risk cut-points and, for
``tmeprog profile``, its feature and risk-group references), and the per-cohort scaling of
the design a model with ``per_cohort_standardise`` learns on.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from tmeprog.cohorts.vocabulary import CLINICAL_DTYPES
from tmeprog.errors import InputError
from tmeprog.features.subtypes import SubtypeCaller
from tmeprog.models.batch import standardise_by_cohort
from tmeprog.models.calibration_check import calibration_flags, champion_calibration
from tmeprog.models.feature_sets import (
    FEATURE_SETS,
    is_clinical_design,
    is_interaction,
    refresh_interactions,
)
from tmeprog.pipeline.assemble import TrainingSet
from tmeprog.pipeline.config import PipelineConfig
from tmeprog.serving.reference import FeatureReference, RiskGroupCurves
from tmeprog.serving.scorer import Scorer, tertile_cutpoints

SPEC_METRICS = ("harrell_c", "uno_c", "td_auc_3y", "td_auc_5y", "ibs", "auroc", "auprc",
                "brier")


LOWER_IS_BETTER = ("ibs", "brier")


SPEC_SETS = FEATURE_SETS  # the prognosis feature sets that compete for champion


def _attach_subtyper(sc: Scorer, cfg: PipelineConfig, ts: TrainingSet) -> str:
    """Give the served model a frozen subtype caller when it can use one; say what was done."""
    if not sc.clinical_columns:
        return "not needed by the served model (it uses no clinical covariate)"
    if sc.extractor is None:
        return ("not computed by the served model (it reads no expression): inputs must carry "
                "pam50 / er themselves")
    sc.subtyper = serving_subtyper(cfg, ts)
    if sc.subtyper is None:
        return ("not computed by the served model (training cohorts from several platforms): "
                "inputs must carry pam50 / er themselves")
    return "missing pam50 / er / subtype filled from expression, reference frozen at training"


def serving_subtyper(cfg: PipelineConfig, ts: TrainingSet):
    """The subtype caller of the served model, frozen on the training expression.

    Only when the training cohorts share one platform: a per-gene reference pooled over
    platforms would mix their scales and give wrong calls. Otherwise ``None`` (inputs then
    bring their own ``pam50`` / ``er`` columns).
    """
    if not cfg.data.subtype_calls or ts.expression is None:
        return None
    if len({c.meta.platform for c in ts.cohorts}) > 1:
        return None

    er = ts.clinical["er"] if "er" in ts.clinical.columns else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SubtypeCaller().fit(ts.expression, er=er)


def results_table(cfg: PipelineConfig, comp) -> pd.DataFrame:
    """The comparison's long table, with its key columns first."""
    t = comp.table.copy()
    if "validation" not in t.columns:
        t["validation"] = "cv"
    keep = ["model", "feature_set", "validation", "metric", "value", "ci_low", "ci_high"]
    extra = [c for c in t.columns if c not in keep]
    return t[keep + extra].reset_index(drop=True)


def select_champion(results: pd.DataFrame, metric: str, validation: str) -> dict:
    """The best (model, feature set) by ``metric`` under ``validation`` (ties: first name)."""
    cand = results[(results["metric"] == metric) & (results["validation"] == validation)
                   & results["feature_set"].isin(SPEC_SETS) & results["value"].notna()]
    if cand.empty:
        raise InputError(f"no result for metric {metric!r} under {validation!r} to choose a "
                         "champion; check [selection] in the config")
    asc = metric in LOWER_IS_BETTER
    best = cand.sort_values(["value", "model", "feature_set"],
                            ascending=[asc, True, True], kind="stable").iloc[0]
    return {"model": best["model"], "feature_set": best["feature_set"],
            "metric": metric, "validation": validation, "value": float(best["value"]),
            "ci_low": float(best["ci_low"]), "ci_high": float(best["ci_high"])}


def read_calibration(cfg: PipelineConfig, results: pd.DataFrame, champion: dict, scorer: Scorer,
                 caught: list[str]) -> pd.DataFrame | None:
    """Calibration slopes read against [0.5, 2]; the champion's reading goes into the served
    model (``scorer.info["calibration"]``) and, when flagged, into the run's warnings."""
    if cfg.task.kind != "prognosis":
        return None

    flags = calibration_flags(results)
    cal = champion_calibration(flags, champion)
    scorer.info["calibration"] = cal
    if cal["message"]:
        caught.append(f"champion {champion['model']} on {champion['feature_set']}: "
                      f"{cal['message']}")
    return flags


def profile_references(scorer: Scorer, F: pd.DataFrame | None, ts: TrainingSet, comp,
                        champion: dict, caught: list[str]) -> None:
    """Aggregates for ``tmeprog profile`` (:mod:`tmeprog.serving.reference`; no patient rows):
    feature percentiles of the training samples, and the observed survival of the training
    patients by risk tertile of their held-out predictions (the validation scheme the champion
    was chosen under; ranks within each fold, as the report's Kaplan-Meier figure). A training
    set too small for them leaves them out with a warning."""
    eps = sorted(set(ts.endpoints.values()))
    label = eps[0] if len(eps) == 1 else f"pooled endpoints ({', '.join(eps)})"
    try:
        if F is not None:
            ref = F
            if scorer.cohort_scaled:  # percentiles on the scale the model serves
                ref = cohort_standardised(F, ts.groups,
                                          [c for c in scorer.cohort_scaled if c in F.columns])
            scorer.feature_reference = FeatureReference.fit(ref, F.attrs.get("compartments"))
        held = held_out_predictions(comp, champion)
        if held is None:
            raise InputError("no held-out predictions of the champion")
        _, pct, y = held
        scorer.risk_curves = RiskGroupCurves.fit(pct, y, (1 / 3, 2 / 3), endpoint=label)
    except InputError as exc:
        scorer.feature_reference = scorer.risk_curves = None
        caught.append(f"no patient-profile reference in this model ({exc}); `tmeprog "
                      "profile` will refuse it")


def held_out_predictions(comp, champion: dict):
    """The champion's held-out predictions under its validation scheme, or None.

    Returns ``(oof, pct, y)``: the out-of-fold table (leave-one-cohort-out: every held-out
    cohort; cross-validation: the first repeat), each risk as a rank within its fold (the fold
    models' risks are on different scales) and the structured outcome.
    """
    res = comp.results.get((champion["model"], champion["feature_set"], champion["validation"]))
    if res is None:
        return None
    units = list(dict.fromkeys(f.unit for f in res.folds))
    oof = (pd.concat([res.out_of_fold(u) for u in units]) if res.scheme == "loco"
           else res.out_of_fold(units[0]))
    pct = oof.groupby("fold")["risk"].rank(pct=True).to_numpy()
    y = np.empty(len(oof), dtype=[("event", bool), ("time", float)])
    y["event"], y["time"] = oof["event"].astype(bool), oof["time"].astype(float)
    return oof, pct, y


def cohort_scaled_columns(X: pd.DataFrame) -> list[str]:
    """Design columns standardised per cohort: TME features (not clinical covariates, not
    the TME x subtype products, which are recomputed from the standardised features)."""
    return [c for c in X.columns if not is_clinical_design(c) and not is_interaction(c)]


def cohort_standardised(X: pd.DataFrame, groups, columns: list[str]) -> pd.DataFrame:
    """``X`` with ``columns`` z-scored within each cohort and the products recomputed."""
    return refresh_interactions(standardise_by_cohort(X, groups, columns=columns)[0])


def training_strata(ts: TrainingSet) -> np.ndarray | None:
    """Cohort x endpoint of each sample when endpoints are pooled (else no strata)."""
    return ts.strata if ts.mixed_endpoints and ts.y.dtype.names else None


def champion_scorer(cfg: PipelineConfig, champion: dict, model, X: pd.DataFrame, ext,
                    ts: TrainingSet) -> Scorer:
    """The served model: the refitted champion, its design columns and feature extractor,
    risk tertile cut-points and, when it uses covariates, a frozen subtype caller."""
    if cfg.task.kind == "prognosis":
        clin_cols = [c for c in X.columns if is_clinical_design(c)]
    else:
        clin_cols = [c for c in X.columns if c in CLINICAL_DTYPES]
    uses_tme = champion["feature_set"] != "clinical"
    sc = Scorer(task=cfg.task.kind, model=model, design_columns=list(X.columns),
                clinical_columns=clin_cols, extractor=ext if uses_tme else None,
                horizons_months=list(cfg.validation.horizons_months)
                if cfg.task.kind == "prognosis" else [],
                info={"champion": champion, "endpoints": ts.endpoints},
                endpoint=serving_endpoint(ts) if cfg.task.kind == "prognosis" else "")
    if cfg.data.subtype_calls:
        sc.info["subtype_calls"] = _attach_subtyper(sc, cfg, ts)
    if cfg.task.kind == "prognosis":
        sc.cutpoints = tertile_cutpoints(model.predict(X))
    return sc


def serving_endpoint(ts: TrainingSet) -> str:
    """The endpoint the served risk's age term refers to when endpoints are pooled: overall
    survival when a training cohort has it, else the endpoint with most samples."""
    if not ts.mixed_endpoints:
        return ""
    eps = ts.sample_endpoints
    if "os" in set(eps):
        return "os"
    names, counts = np.unique(eps, return_counts=True)
    return str(names[np.argmax(counts)])

