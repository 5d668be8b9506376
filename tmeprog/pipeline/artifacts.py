"""What a training run logs: provenance, aggregate tables, figures and SHAP summaries.

Every table here is an aggregate (no row per patient) so that patient data stay on the machine
that trained the model; per-patient SHAP tables are written only by ``tmeprog explain``.
"""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import mlflow
import numpy as np
import pandas as pd
from sklearn.base import clone

from tmeprog.explain import (
    compartment_importance,
    explain,
    group_importance,
    mean_abs_shap,
    ranking_stability,
    stability_summary,
)
from tmeprog.explain.plots import beeswarm, compartment_bar, dependence
from tmeprog.models.decision_curve import plot_decision_curve
from tmeprog.models.feature_sets import AGE_PREFIX, FEATURE_SETS
from tmeprog.models.metrics import calibration_table
from tmeprog.models.plots import calibration_plot, forest_plot, km_by_risk_group
from tmeprog.models.screen import subtype_interaction_screen, univariate_screen
from tmeprog.models.subgroups import subgroup_metrics
from tmeprog.pipeline.assemble import TrainingSet
from tmeprog.pipeline.champion import held_out_predictions
from tmeprog.signatures import load_catalogue
from tmeprog.tracking.provenance import frame_fingerprint, git_commit, package_versions
from tmeprog.tracking.runlog import flatten, log_figure, log_json, log_results_metrics, log_table


def shap_summaries(scorer, X: pd.DataFrame, ts: TrainingSet, caught: list[str]) -> dict:
    """SHAP of the champion on its training design: importance per feature, compartment,
    cohort and receptor subtype, and summary figures (computed here, logged later)."""
    comps = {}
    if scorer.extractor is not None:
        comps.update(scorer.extractor.compartments_)
    comps.update({c: "clinical" for c in scorer.clinical_columns})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expl = explain(scorer.model, X, compartments=comps, n_jobs=1)
    except Exception as exc:  # SHAP is a summary: a failure must not lose the trained run
        caught.append(f"SHAP not computed: {exc}")
        return {}
    out = {"feature_importance": mean_abs_shap(expl).reset_index(),
           "compartments": compartment_importance(expl).reset_index(),
           "scale": expl.output, "method": expl.method,
           "additivity_error": expl.additivity_error}
    groups = pd.Series(ts.groups, index=X.index, name="cohort")
    out["by_cohort"] = group_importance(expl, groups, by="compartment").reset_index()
    if "subtype" in ts.clinical.columns and ts.clinical["subtype"].notna().any():
        sub = ts.clinical["subtype"].astype(object).fillna("unknown").rename("subtype")
        out["by_subtype"] = group_importance(expl, sub, by="compartment").reset_index()
    elif "er" in ts.clinical.columns and ts.clinical["er"].notna().any():
        er = ts.clinical["er"].map({1: "ER+", 0: "ER-"}).astype(object).fillna("ER unknown")
        out["by_er"] = group_importance(expl, er.rename("er"), by="compartment").reset_index()
    if "pam50" in ts.clinical.columns and ts.clinical["pam50"].notna().any():
        pam = ts.clinical["pam50"].astype(object).fillna("unknown").rename("pam50")
        out["by_pam50"] = group_importance(expl, pam, by="compartment").reset_index()
    figs = {"shap/shap_01_beeswarm.png": beeswarm(expl),
            "shap/shap_02_compartments.png": compartment_bar(expl)}
    for i, f in enumerate(out["feature_importance"]["feature"].head(3), start=1):
        figs[f"shap/shap_03_dependence_{i}_{f}.png"] = dependence(expl, f)
    out["figures"] = figs
    return out


def shap_stability(comp, champion: dict, model, X: pd.DataFrame, y, comps: dict,
                   caught: list[str]) -> dict:
    """Rank stability of SHAP feature importance across the CV folds of the first repeat.

    The champion (with its tuned parameters) is refitted on each fold's training rows and
    explained on its held-out rows; the Spearman correlation of mean |SHAP| between folds says
    how reproducible the feature ranking is.
    """

    res = comp.results.get((champion["model"], champion["feature_set"], "cv"))
    if res is None:
        return {}
    first = res.folds[0].unit
    # a fold evaluated within strata has one part per stratum: one model per fold
    folds: dict[str, tuple] = {}
    for f in res.folds:
        if f.unit == first:
            lab = f.label.split("|", 1)[0]
            tr, te = folds.get(lab, (f.train_index, np.empty(0, dtype=int)))
            folds[lab] = (tr, np.concatenate([te, f.test_index]))
    expls = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for lab, (tr, te) in folds.items():
                m = clone(model).fit(X.iloc[tr], y[tr])
                expls[lab] = explain(m, X.iloc[np.sort(te)], compartments=comps)
        matrix = ranking_stability(expls, method="spearman")
    except Exception as exc:  # a summary must not lose the trained run
        caught.append(f"SHAP ranking stability not computed: {exc}")
        return {}
    return {"matrix": matrix, "summary": stability_summary(matrix)}


def endpoint_record(ts: TrainingSet, sets: dict | None = None) -> dict:
    """Which endpoint each cohort's numbers are on, and how endpoints and age are handled."""
    age_cols = sorted({c for X in (sets or {}).values() for c in X.columns
                       if c == "age" or c.startswith(AGE_PREFIX)})
    if not ts.mixed_endpoints:
        age = "one age column (one endpoint)" if age_cols else "age not used (not recorded)"
        how = "one endpoint: no stratification needed"
    else:
        age = (f"age per endpoint: {', '.join(age_cols)} (each is age on the samples of its "
               "endpoint and missing, imputed to the training median, elsewhere); a held-out "
               "cohort whose endpoint has no recorded age in training gets no age term"
               if age_cols else "age not used (not recorded)")
        how = ("endpoints pooled ([data] pool_endpoints = true): coxnet fitted with a baseline "
               "hazard per cohort x endpoint (stratified partial likelihood); forests and "
               "boosting have no strata and learn from the pooled outcomes; cross-validated "
               "metrics are computed within cohort x endpoint, leave-one-cohort-out metrics "
               "within each held-out cohort")
    cohorts = {}
    for c in ts.cohorts:
        ep = ts.endpoints[c.name]
        info = c.endpoint_info.get(ep)
        cohorts[c.name] = {"endpoint": ep, "definition": info.definition if info else "",
                           "n": int(c.n_samples),
                           "events": int(c.survival(ep)["event"].sum())}
    return {"cohorts": cohorts, "pooled": ts.mixed_endpoints, "stratification": how,
            "age": age}


def _subtype_tables(comp, ts: TrainingSet, F, n_boot: int, seed: int) -> dict:
    """Subtype-stratified TME screen with interaction tests, and LOCO/CV C by ER status."""
    if "er" not in ts.clinical.columns or ts.clinical["er"].notna().sum() == 0:
        return {}
    er = pd.to_numeric(ts.clinical["er"], errors="coerce").to_numpy(dtype=float)
    out = {}
    if F is not None and F.shape[1]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out["subtype_screen"] = subtype_interaction_screen(F, ts.y, er, cohorts=ts.groups)
    out["subtype_c"] = subgroup_metrics(comp.results, {"ER-": er == 0, "ER+": er == 1},
                                        metrics=("harrell_c",), n_boot=n_boot, seed=seed)
    return out


def _prognosis_figures(comp, champion, ts: TrainingSet, F, horizons) -> dict:
    figs, tables = {}, {}
    held = held_out_predictions(comp, champion)
    if held is not None:
        oof, pct, y = held
        where = "leave-one-cohort-out" if champion["validation"] == "loco" else "cross-validated"
        figs["figures/01_km_risk_tertiles.png"] = km_by_risk_group(
            y, pct, title=f"{champion['model']} ({champion['feature_set']}): {where}\n"
                          "risk tertiles within each held-out fold")
        h = max(horizons)
        col = f"S({h:g})"
        if col in oof.columns and oof[col].notna().sum() > 20:
            ok = oof[col].notna().to_numpy()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # five groups when each holds >= 20 patients on average, else tertiles
                cal = calibration_table(y[ok], oof[col].to_numpy()[ok], h,
                                        n_groups=5 if ok.sum() >= 100 else 3)
            tables["calibration"] = cal
            figs["figures/03_calibration.png"] = calibration_plot(cal, horizon=h)
    if F is not None and F.shape[1]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            screen = univariate_screen(F, ts.y, ts.clinical, cohorts=ts.groups)
        tables["screen"] = screen
        for tag, stratum in (("02a_all", "all"), ("02b_er_negative", "ER-"),
                             ("02c_er_positive", "ER+")):
            if stratum in set(screen["stratum"]):
                label = "all samples" if stratum == "all" else stratum
                figs[f"figures/{tag}_forest_tme_screen.png"] = forest_plot(
                    screen, stratum=stratum, adjusted=False,
                    title=f"TME features, {label}: Cox HR per within-cohort SD\n"
                          "(Cox model stratified by cohort)")
    return figs, tables


def _response_figures(comp, champion) -> dict:

    curves = comp.decision_curves()
    name = f"{champion['model']} / {champion['feature_set']}"
    fig, ax = plt.subplots(figsize=(6, 4.5))
    plot_decision_curve({name: curves[name]}, ax=ax, title=f"Decision curve: {name}")
    return {"figures/01_decision_curve.png": fig}, {}


def log_run(cfg, ts: TrainingSet, F, ext, results: pd.DataFrame, comp, champion: dict,
            shap_out: dict, caught: list[str], sets: dict | None = None) -> None:
    """Log everything but the model into the active MLflow run."""
    mlflow.log_params(flatten(cfg.to_dict()))
    mlflow.log_params({"seed": cfg.task.seed, "champion.model": champion["model"],
                       "champion.feature_set": champion["feature_set"],
                       **{f"champion.param.{k}": v for k, v in champion.get("params",
                                                                             {}).items()}})
    mlflow.log_text(_config_toml(cfg), "config/pipeline.toml")
    fingerprints = {"signature_catalogue": load_catalogue().fingerprint()}
    for c in ts.cohorts:
        fingerprints[f"{c.name}.expression"] = frame_fingerprint(c.expression)
        fingerprints[f"{c.name}.clinical"] = frame_fingerprint(c.clinical)
        fingerprints[f"{c.name}.features"] = frame_fingerprint(c.features)
    commit = git_commit()
    log_json({"git_commit": commit, "packages": package_versions(),
              "data_fingerprints": fingerprints, "endpoints": ts.endpoints}, "provenance.json")
    mlflow.set_tags({"git_commit": commit,
                     **{f"fingerprint.{k}": v[:16] for k, v in fingerprints.items()}})
    log_json([c.summary() for c in ts.cohorts], "cohorts.json")
    log_table(results, "results", "results.csv")

    log_results_metrics(results[results["feature_set"].isin(FEATURE_SETS)])
    log_json(champion, "results/champion.json")
    if ext is not None:
        log_table(ext.coverage_.reset_index(), "features", "coverage.csv")
        log_json(ext.compartments_, "features/compartments.json")
    if caught:
        mlflow.log_text("\n".join(caught) + "\n", "warnings.txt")
    if cfg.task.kind == "prognosis":
        figs, tables = _prognosis_figures(comp, champion, ts, F, cfg.validation.horizons_months)
        tables.update(_subtype_tables(comp, ts, F, cfg.validation.bootstrap, cfg.task.seed))
        log_json(endpoint_record(ts, sets), "results/endpoints.json")
        mlflow.log_params({f"endpoint.{k}": v["endpoint"]
                           for k, v in endpoint_record(ts)["cohorts"].items()})
    else:
        figs, tables = _response_figures(comp, champion)
    for name, t in tables.items():
        log_table(t, "results", f"{name}.csv")
    for path, fig in figs.items():
        log_figure(fig, path)
    for name in ("feature_importance", "compartments", "by_cohort", "by_subtype", "by_er",
                 "by_pam50"):
        if name in shap_out:
            log_table(shap_out[name], "shap", f"{name}.csv")
    for path, fig in shap_out.get("figures", {}).items():
        log_figure(fig, path)
    stab = shap_out.get("stability")
    if stab:
        log_table(stab["matrix"], "shap", "ranking_stability_cv_folds.csv", index=True)
        mlflow.log_metrics({f"shap.ranking_stability.{k}": v for k, v in stab["summary"].items()
                            if isinstance(v, float)})
    if shap_out:
        mlflow.log_params({"shap.scale": shap_out["scale"], "shap.method": shap_out["method"]})


def _config_toml(cfg) -> str:
    lines = [f"# pipeline config as run (source: {cfg.source})"]
    for section, values in cfg.to_dict().items():
        if not isinstance(values, dict):
            continue
        lines.append(f"\n[{section}]")
        for k, v in values.items():
            if isinstance(v, bool):
                val = "true" if v else "false"
            elif isinstance(v, str):
                val = f'"{v}"'
            else:
                val = repr(v).replace("'", '"')
            lines.append(f"{k} = {val}")
    return "\n".join(lines) + "\n"
