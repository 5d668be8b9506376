"""``train``: cohorts -> TME features -> validated models -> champion -> tracked MLflow run.

Steps (each shown with a progress bar on stderr):

1. load the cohorts and pick each one's endpoint;
2. extract TME features (per-sample scores: computing them once for all samples equals
   computing them inside every training fold, since no score uses another sample; with
   ``method="zscore"`` the reference sees the expression, never the outcomes, of all samples);
3. validate every model family on every feature set (nested CV, leave-one-cohort-out);
4. choose the champion by the configured metric and scheme, refit it (with the same inner
   tuning) on all samples, wrap it with the feature extractor into one scorer;
5. log config, provenance, fingerprints, results with CIs, figures, SHAP summaries and the
   pyfunc model to MLflow; register the model and point the ``champion`` alias at it when the
   current champion was trained on the same task and endpoints (or on request, see
   :mod:`tmeprog.tracking.champion`). A failure here ends the run as FAILED, removes what it
   logged and leaves the alias where it was (:mod:`tmeprog.tracking.failed_run`).
"""

from __future__ import annotations

import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from tmeprog.cohorts import load_cohort
from tmeprog.errors import InputError
from tmeprog.features.deconvolution import cohort_options
from tmeprog.features.extractor import TMEFeatureExtractor
from tmeprog.features.subtypes import annotate_cohort
from tmeprog.models.compare import compare
from tmeprog.models.families import build_models
from tmeprog.models.feature_sets import (
    design_matrices,
    family_design,
)
from tmeprog.models.response_compare import (
    compare_response,
    default_response_models,
    response_feature_sets,
)
from tmeprog.pipeline import artifacts
from tmeprog.pipeline.assemble import TrainingSet, assemble
from tmeprog.pipeline.champion import (
    SPEC_METRICS,
    SPEC_SETS,
    champion_scorer,
    cohort_scaled_columns,
    cohort_standardised,
    profile_references,
    read_calibration,
    results_table,
    select_champion,
    training_strata,
)
from tmeprog.pipeline.config import PipelineConfig
from tmeprog.pipeline.gene_universe import read_gene_universe, restrict_expression
from tmeprog.pipeline.missing import (
    imputed_features,
    log_coverage_plan,
    missing_by_cohort,
    missing_warnings,
)
from tmeprog.pipeline.reference import fit_references
from tmeprog.pipeline.refit import refit
from tmeprog.report.html import report_run
from tmeprog.signatures import read_gmt
from tmeprog.tables.tableio import check_output
from tmeprog.tracking.champion import decide_alias, register
from tmeprog.tracking.failed_run import discard_failed_run
from tmeprog.tracking.pyfunc import log_scorer
from tmeprog.tracking.reachable import check_reachable
from tmeprog.tracking.review import log_review, run_description
from tmeprog.tracking.store import ensure_experiment, sqlite_path
from tmeprog.tracking.store import tracking_uri as uri_in_force

PAIRED = (("clinical+tme", "clinical"), ("tme", "clinical"),
          ("clinical+tme+subtype", "clinical"), ("tme+subtype", "tme"),
          ("clinical+tme+subtype", "clinical+tme"))


@dataclass
class TrainOutcome:
    """What a training run produced."""

    run_id: str
    experiment: str
    model_uri: str
    results: pd.DataFrame
    champion: dict
    runtime_seconds: float
    warnings: list[str] = field(default_factory=list)
    alias_moved: bool = True
    alias_reason: str = ""

    def to_json(self) -> dict:
        """The ``--json`` document of ``tmeprog train``."""
        cols = ["model", "feature_set", "validation", "metric", "value", "ci_low", "ci_high"]
        spec = self.results[self.results["metric"].isin(SPEC_METRICS)
                            & self.results["feature_set"].isin(SPEC_SETS)]
        other = self.results.drop(spec.index)

        def rows(df):
            return [{k: (None if isinstance(v, float) and np.isnan(v) else v)
                     for k, v in r.items()} for r in df[cols].to_dict(orient="records")]

        return {"run_id": self.run_id, "experiment": self.experiment,
                "model_uri": self.model_uri, "champion": self.champion,
                "runtime_seconds": round(self.runtime_seconds, 1),
                "champion_alias": {"moved": self.alias_moved, "reason": self.alias_reason},
                "results": rows(spec), "other_results": rows(other)}


class _Steps:
    """A rich progress bar over the pipeline's steps (silent when disabled)."""

    def __init__(self, total: int, enabled: bool):
        self.progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                                 TextColumn("{task.completed}/{task.total}"),
                                 TimeElapsedColumn(), console=Console(stderr=True),
                                 disable=not enabled, transient=False)
        self.task = self.progress.add_task("training", total=total)

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        self.progress.__exit__(*exc)

    def step(self, what: str) -> None:
        self.progress.update(self.task, description=what)

    def done(self) -> None:
        self.progress.advance(self.task)


def _load(cfg: PipelineConfig, cohorts: list[str] | None, caught: list[str]):
    names = list(cohorts) if cohorts else list(cfg.data.cohorts)
    loaded = [load_cohort(n) for n in names]
    if cfg.data.subtype_calls:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            loaded = [_with_subtype_calls(c) for c in loaded]
        caught.extend(sorted({str(x.message) for x in w if issubclass(x.category, UserWarning)}))
    return loaded


def _with_subtype_calls(cohort):
    """The cohort with PAM50 and receptor calls joined to its clinical table (fitted on the
    cohort itself; recorded values kept)."""
    if cohort.expression is None:
        return cohort

    return annotate_cohort(cohort)[0]


def _block_options(cfg: PipelineConfig, loaded) -> dict:
    """Extractor options for cell fractions and pathway activity, one set for all cohorts.

    Log-ratio cohorts cannot be deconvolved: their samples get NaN fractions (named in a
    warning); the models impute them there like any feature a cohort lacks.
    """
    f = cfg.features
    opts = {"deconvolution": f.deconvolution or None, "pathways": f.pathways or None}
    if not f.deconvolution:
        return opts

    found = {}
    for c in loaded:
        if c.expression is None or c.meta.scale == "log2_ratio":
            continue
        found[c.name] = cohort_options(c.meta.scale, c.meta.extra.get("input_scale"),
                                       c.meta.platform, f.arrays, f.tumor, tumour_cohort=True)
    if len({tuple(sorted(o.items())) for o in found.values()}) > 1:
        raise InputError(f"quanTIseq needs one platform setting for all cohorts, but they "
                         f"differ: {found}; train on cohorts of one platform, or state "
                         "[features] arrays = true/false")
    return opts | (next(iter(found.values())) if found else {})


def _restrict_to_universe(ts: TrainingSet, source: str | None) -> dict | None:
    """Restrict ``ts.expression`` to a gene universe in place; its description (or None)."""
    if source is None:
        return None

    if ts.expression is None:
        raise InputError("--gene-universe needs cohorts with gene expression; these cohorts "
                         "bring feature tables only")
    uni = read_gene_universe(source)
    ts.expression = restrict_expression(ts.expression, uni)
    return uni.describe(ts.expression.shape[1])


def _features(cfg: PipelineConfig, ts: TrainingSet, caught: list[str], loaded=()):
    """TME feature table + fitted extractor (or the cohorts' own feature table)."""
    if ts.expression is None:
        if ts.features is None:
            return None, None
        F = ts.features.apply(pd.to_numeric, errors="coerce").astype(float)
        return F, None

    extra = {}
    if cfg.features.signatures:
        for p in cfg.features.signatures:
            extra.update(read_gmt(p))
    ext = TMEFeatureExtractor(method=cfg.features.method,
                              coverage_threshold=cfg.features.coverage_threshold,
                              extra_signatures=extra or None,
                              breast_signatures=cfg.features.breast_signatures,
                              **_block_options(cfg, loaded))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        ext.fit(ts.expression)
        F = ext.transform(ts.expression)
    caught.extend(sorted({str(x.message) for x in w if issubclass(x.category, UserWarning)}))
    # features are computed per cohort on the genes it has; one no training sample has is
    # left out, one a cohort lacks is imputed by the models inside each training fold
    usable = [c for c in F.columns if F[c].notna().any()]
    F = F[usable]
    F.attrs["compartments"] = {k: v for k, v in ext.compartments_.items() if k in usable}
    return F, ext


def _feature_sets(cfg: PipelineConfig, ts: TrainingSet, F: pd.DataFrame | None):
    sets = list(cfg.models.feature_sets)
    if F is None and any(s != "clinical" for s in sets):
        tme = [s for s in sets if s != "clinical"]
        names = ", ".join(c.name for c in ts.cohorts)
        raise InputError(f"[models] feature_sets asks for {', '.join(tme)}, but the training "
                         f"cohorts ({names}) hold no gene expression or TME feature table "
                         "(clinical data only), so no TME feature can be built; train with "
                         "[models] feature_sets = [\"clinical\"], or add cohorts with "
                         "expression")
    if cfg.task.kind == "prognosis":
        return design_matrices(ts.clinical, F, sets,
                               endpoints=ts.sample_endpoints if ts.mixed_endpoints else None)

    return response_feature_sets(ts.clinical, F, sets)


def _compare(cfg: PipelineConfig, ts: TrainingSet, sets: dict, quick: bool):
    v = cfg.validation
    seed = cfg.task.seed
    if cfg.task.kind == "prognosis":
        models = {k: m for k, m in build_models(seed, quick, cfg.models.params,
                                                cfg.models.grids).items()
                  if k in cfg.models.families}
        schemes = ["cv"] + (["loco"] if v.loco and len(set(ts.groups)) > 1 else [])
        std = None
        if v.per_cohort_standardise:
            std = {fs: cohort_scaled_columns(X) for fs, X in sets.items() if fs != "clinical"}
        paired = [p for p in PAIRED if p[0] in sets and p[1] in sets]
        comp = compare(sets, ts.y, ts.groups, models=models, validations=schemes,
                       n_splits=v.cv_folds, n_repeats=v.cv_repeats,
                       horizons=v.horizons_months, n_boot=v.bootstrap, random_state=seed,
                       cohort_standardise=std, paired=paired, n_jobs=v.n_jobs,
                       strata=training_strata(ts), within_strata=ts.mixed_endpoints)
        return comp, models

    models = {k: m for k, m in default_response_models(seed, quick).items()
              if k in cfg.models.families}
    arm = ts.clinical["arm"].to_numpy() if "arm" in ts.clinical.columns else None
    comp = compare_response(sets, ts.y, models=models, arm=arm, n_splits=v.cv_folds,
                            n_repeats=v.cv_repeats, n_boot=v.bootstrap, random_state=seed,
                            n_jobs=v.n_jobs)
    return comp, models


def _review(run_id: str, cfg: PipelineConfig, ts: TrainingSet, champion: dict,
            results: pd.DataFrame, tags: dict[str, str], version: str,
            alias_reason: str, alias_moved: bool, tracking_uri: str | None = None) -> None:
    """Run description, searchable tags, the HTML report as an artifact, champion version
    described and tagged (see :mod:`tmeprog.tracking.review`)."""

    desc = run_description(champion, [c.name for c in ts.cohorts], dict(ts.endpoints),
                           bool(ts.mixed_endpoints), results)
    desc += f"\n\n**Champion alias:** {alias_reason}"
    review_tags = {"cohorts": tags["cohorts"], "endpoint": tags["endpoint"],
                   "feature_set": champion["feature_set"], "family": champion["model"],
                   "champion": str(alias_moved).lower(), "validation": champion["validation"],
                   f"headline.{champion['metric']}": f"{champion['value']:.3f}"}
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.html"
        report_run(run_id, report, tracking_uri=tracking_uri)
        log_review(run_id, desc, review_tags, cfg.task.registered_model, "champion",
                   files=[(report, "report")], version=version)


def train(cfg: PipelineConfig, cohorts: list[str] | None = None, *,
          tracking_uri: str | None = None, progress: bool = True,
          quick: bool = False, gene_universe: str | None = None,
          set_champion: bool = False) -> TrainOutcome:
    """Run a training pipeline end to end and track it in MLflow.

    Parameters
    ----------
    cfg : PipelineConfig
        From :func:`tmeprog.pipeline.config.load_config`.
    cohorts : list of str, optional
        Cohort names or files replacing the config's ``[data] cohorts``.
    tracking_uri : str, optional
        Tracking store (default: ``MLFLOW_TRACKING_URI`` or ``sqlite:///mlflow.db``).
    progress : bool
        Show progress bars on stderr.
    quick : bool
        Small models and grids (smoke runs and tests).
    gene_universe : str, optional
        Expression file, registered cohort or one-column gene list: every feature is built
        on these genes only (:mod:`tmeprog.pipeline.gene_universe`).
    set_champion : bool
        Move the ``@champion`` alias onto the new model even when the current champion was
        trained on another task or endpoint (:mod:`tmeprog.tracking.champion`).

    Returns
    -------
    TrainOutcome
    """

    uri_now = uri_in_force(tracking_uri)
    check_reachable(uri_now)  # a server that is down: say so before work
    db = sqlite_path(uri_now)
    if db is not None:  # a store that cannot be written: say so before work
        check_output(db, overwrite=True, what="tracking store")
    t0 = time.perf_counter()
    caught: list[str] = []
    with _Steps(7, progress) as steps:
        steps.step("loading cohorts")
        loaded = _load(cfg, cohorts, caught)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            ts = assemble(loaded, cfg.data.endpoint, cfg.task.kind, cfg.data.pool_endpoints)
        for x in w:
            if issubclass(x.category, UserWarning):
                caught.append(str(x.message))
        universe = _restrict_to_universe(ts, gene_universe)
        steps.done()

        steps.step("extracting TME features")
        F, ext = _features(cfg, ts, caught, loaded)
        sets = _feature_sets(cfg, ts, F)
        missing = missing_by_cohort(F, ts.groups) if F is not None else None
        if missing is not None:
            caught.extend(missing_warnings(missing))
        steps.done()

        steps.step("validating models (nested CV, leave-one-cohort-out)")
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            comp, models = _compare(cfg, ts, sets, quick)
        caught.extend(sorted({str(x.message) for x in w
                              if issubclass(x.category, UserWarning)}))
        results = results_table(cfg, comp)
        steps.done()

        steps.step("refitting the champion on all samples")
        sel_val = cfg.selection.validation
        if sel_val == "loco" and len(set(ts.groups)) < 2:
            sel_val = "cv"
        champion = select_champion(results, cfg.selection.metric, sel_val)
        X = sets[champion["feature_set"]]
        if cfg.task.kind == "prognosis":
            X = family_design(champion["model"], X)
        est, grid = models[champion["model"]]
        scaled = cohort_scaled_columns(X) if cfg.validation.per_cohort_standardise else []
        if scaled:
            X = cohort_standardised(X, ts.groups, scaled)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model, best = refit(est, grid, X, ts.y, cfg.task.seed, cfg.task.kind,
                                 strata=training_strata(ts))
        champion["params"] = best
        scorer = champion_scorer(cfg, champion, model, X, ext, ts)
        scorer.cohort_scaled = scaled
        calibration = read_calibration(cfg, results, champion, scorer, caught)
        if cfg.task.kind == "prognosis":
            profile_references(scorer, F, ts, comp, champion, caught)
        if missing is not None:
            scorer.imputable = [f for f in imputed_features(missing)
                                if f in scorer.feature_columns]
        if universe is not None:
            scorer.info["gene_universe"] = universe
        if cfg.task.kind == "prognosis":
            scorer.references = fit_references(ts, cfg, quick, caught)
        steps.done()

        steps.step("explaining the champion (SHAP)")
        shap_out = artifacts.shap_summaries(scorer, X, ts, caught)
        if shap_out and cfg.task.kind == "prognosis":
            shap_out["stability"] = artifacts.shap_stability(
                comp, champion, model, X, ts.y, scorer.extractor.compartments_
                if scorer.extractor is not None else {}, caught)
        steps.done()

        steps.step("logging the run to MLflow")
        exp_id = ensure_experiment(cfg.task.experiment, tracking_uri)
        tags = {"cohorts": ",".join(c.name for c in ts.cohorts),
                "endpoint": ",".join(f"{c}:{e}" for c, e in ts.endpoints.items()),
                "endpoints_pooled": str(ts.mixed_endpoints).lower(),
                "task": cfg.task.kind, "feature_set": champion["feature_set"],
                "champion_model": champion["model"], "tmeprog.config": cfg.source}
        decision = decide_alias(cfg.task.registered_model, cfg.task.kind, tags["endpoint"],
                                set_champion=set_champion)
        run = mlflow.start_run(experiment_id=exp_id, tags=tags)
        version = None
        try:
            artifacts.log_run(cfg, ts, F, ext, results, comp, champion, shap_out, caught,
                              sets)
            log_coverage_plan(missing, universe, ext)
            if calibration is not None:
                mlflow.log_text(calibration.to_csv(index=False),
                                "results/calibration_flags.csv")
                mlflow.set_tag("calibration_flagged",
                               str(scorer.info["calibration"]["flagged"]).lower())
            info = log_scorer(scorer)
            steps.done()
            steps.step("registering the champion")
            version, uri = register(info.model_uri, cfg.task.registered_model, decision)
            mlflow.set_tags({"registered_model_uri": uri, "champion_alias": decision.reason})
            _review(run.info.run_id, cfg, ts, champion, results, tags, version,
                    decision.reason, decision.move, tracking_uri)
            runtime = time.perf_counter() - t0
            mlflow.log_metric("runtime_seconds", runtime)
        except BaseException as exc:
            left = discard_failed_run(run.info.run_id, exc, cfg.task.registered_model,
                                      version, decision.previous_version if version else None)
            for what in left:
                caught.append(f"after the failure, could not {what}")
            if left:
                exc.add_note("not cleaned up: " + "; ".join(left))
            raise
        mlflow.end_run()
        steps.done()
    return TrainOutcome(run_id=run.info.run_id, experiment=cfg.task.experiment,
                        model_uri=uri, results=results, champion=champion,
                        runtime_seconds=runtime, warnings=caught,
                        alias_moved=decision.move, alias_reason=decision.reason)

