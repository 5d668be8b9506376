"""External validation of a served prognosis model on a cohort with outcomes.

The model (champion) and the reference models stored with it at training (clinical-only
elastic-net Cox, age-alone Cox; :mod:`tmeprog.pipeline.reference`) score the cohort; each is
evaluated with the metric code of leave-one-cohort-out validation
(:func:`tmeprog.models.evaluation.evaluate`, the cohort being one held-out fold, censoring
weights from the cohort itself):

* Harrell's C (``sksurv concordance_index_censored``) and Uno's C (``concordance_index_ipcw``,
  truncated at 60 months), time-dependent AUC (``cumulative_dynamic_auc``) and the Brier
  score (``brier_score``) at the model's horizons, the integrated Brier score;
* calibration at the last horizon: slope (Cox regression on log(-log S(h))) and
  calibration-in-the-large (observed 1 - KM(h) minus mean predicted 1 - S(h); 0 is ideal),
  with a risk-group calibration table;
* Kaplan-Meier by the model's risk groups (cut points frozen at training);
* all of it per ER status (recorded IHC status, else the expression call) for the champion
  and the references; paired bootstrap differences champion - reference.

CIs: 95% percentile bootstrap over the cohort's samples (seeded; the same draws for every
model, so differences are paired). Nothing here writes anything: :mod:`.validate_run` logs.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from sksurv.metrics import brier_score
from sksurv.nonparametric import kaplan_meier_estimator

from tmeprog.errors import InputError
from tmeprog.features.subtypes import annotate_cohort
from tmeprog.models.bootstrap import percentile_ci
from tmeprog.models.evaluation import evaluate, paired_difference
from tmeprog.models.metrics import calibration_table, horizon_key, ibs_grid
from tmeprog.models.validation import FoldPrediction, ValidationResult
from tmeprog.pipeline.assemble import pick_endpoint
from tmeprog.scoring.coverage import CoverageModel
from tmeprog.serving.scorer import RISK_GROUPS, Scorer

TAU_MONTHS = 60.0  # truncation of Uno's C, as in the training run's validation
MIN_STRATUM_EVENTS = 5  # fewer events in an ER stratum: no per-subtype figures there


@dataclass
class Predictions:
    """What one model predicts for the cohort (risk, S(t) on the evaluation times)."""

    name: str
    risk: np.ndarray
    survival: pd.DataFrame
    ibs_times: np.ndarray
    groups: np.ndarray | None = None  # model risk group codes 0..2 (champion)
    notes: list[str] = field(default_factory=list)


@dataclass
class ValidationReport:
    """Figures of one external validation (aggregates only: no row per patient)."""

    model_uri: str
    model_version: str
    cohort: str
    endpoint: str
    n: int
    events: int
    horizons: list[float]
    metrics: pd.DataFrame  # model, subgroup, metric, value, ci_low, ci_high, n, events, estimator
    differences: pd.DataFrame  # reference, subgroup, metric, value, ci_low, ci_high, p_value
    calibration: dict[str, pd.DataFrame]
    risk_groups: pd.DataFrame  # model risk group: n, events
    notes: list[str]
    fingerprint: dict
    er_source: str
    model_id: str | None = None  # MLflow logged-model id (to link the metrics)
    predictions: dict[str, Predictions] = field(default_factory=dict, repr=False)
    y: np.ndarray | None = field(default=None, repr=False)

    def value(self, model: str, metric: str, subgroup: str = "all") -> tuple[float, float, float]:
        """``(value, ci_low, ci_high)`` of one metric (NaN when absent)."""
        m = self.metrics
        r = m[(m["model"] == model) & (m["metric"] == metric) & (m["subgroup"] == subgroup)]
        if r.empty:
            return (float("nan"),) * 3
        return tuple(float(r.iloc[0][k]) for k in ("value", "ci_low", "ci_high"))

    def _block(self, model: str, subgroup: str = "all") -> dict:
        m = self.metrics
        rows = m[(m["model"] == model) & (m["subgroup"] == subgroup)]
        out: dict = {}
        for r in rows.itertuples(index=False):
            out[r.metric] = _num(r.value)
            out[f"{r.metric}_ci"] = [_num(r.ci_low), _num(r.ci_high)]
        if len(rows):
            out["n"], out["events"] = int(rows.iloc[0]["n"]), int(rows.iloc[0]["events"])
        return out

    def to_json(self) -> dict:
        """The ``--json`` document of ``tmeprog validate``."""
        models = list(dict.fromkeys(self.metrics["model"]))
        refs = [m for m in models if m != "model"]
        subgroups = [s for s in dict.fromkeys(self.metrics["subgroup"]) if s != "all"]
        doc = {"model_uri": self.model_uri, "model_version": self.model_version,
               "cohort": self.cohort, "endpoint": self.endpoint, "n": self.n,
               "events": self.events, "horizons_months": self.horizons,
               **{k: v for k, v in self._block("model").items() if k not in ("n", "events")},
               "reference": {r: self._block(r) for r in refs},
               "difference_vs_reference": {
                   r: {d.metric: {"value": _num(d.value), "ci": [_num(d.ci_low),
                                                                _num(d.ci_high)],
                                  "p_value": _num(d.p_value)}
                       for d in self.differences[(self.differences["reference"] == r)
                                                 & (self.differences["subgroup"] == "all")]
                       .itertuples(index=False)} for r in refs},
               "by_subgroup": {s: {m: self._block(m, s) for m in models} for s in subgroups},
               "er_source": self.er_source,
               "risk_groups": self.risk_groups.to_dict(orient="records"),
               "calibration_table": {k: v.to_dict(orient="records")
                                     for k, v in self.calibration.items()},
               "estimators": dict(zip(self.metrics["metric"], self.metrics["estimator"],
                                      strict=True)),
               "notes": self.notes, "cohort_fingerprint": self.fingerprint}
        return doc


def _num(v) -> float | None:
    v = float(v)
    return None if not np.isfinite(v) else v


# -- inputs --------------------------------------------------------------------------------
def check_prognosis(scorer: Scorer, uri: str) -> None:
    """Raise unless the served model is a prognosis (survival) model."""
    if scorer.task != "prognosis":
        raise InputError(f"model {uri!r} is a {scorer.task} model (pCR probability); "
                         "`tmeprog validate` validates prognosis models against survival "
                         "outcomes: pass a model trained with [task] kind = \"prognosis\"")


def choose_endpoint(cohort, requested: str | None, scorer: Scorer) -> str:
    """The survival endpoint to validate on: ``requested``, else one the model was trained on
    that the cohort records, else the cohort's own (OS preferred)."""
    surv = [k for k, v in cohort.endpoint_info.items() if v.kind == "survival"]
    if not surv:
        raise InputError(f"cohort {cohort.name!r} records no survival outcome (it has "
                         f"{sorted(cohort.endpoint_info) or 'no endpoint'}); validation needs "
                         "time and event columns, e.g. os_time and os_event in --clinical")
    if requested:
        if requested not in surv:
            raise InputError(f"cohort {cohort.name!r} has no survival endpoint {requested!r}; "
                             f"it records {surv}: pass one of them as --endpoint")
        return requested
    trained = list(dict.fromkeys((scorer.info.get("endpoints") or {}).values()))
    for ep in trained:
        if ep in surv:
            return ep
    return pick_endpoint(cohort, "auto", "prognosis")


def as_held_out(scorer: Scorer) -> Scorer:
    """The scorer treating the cohort as a held-out cohort of leave-one-cohort-out: a TME
    feature below the coverage threshold is imputed by the training median (as the
    validation fold did) instead of refused."""
    ext = scorer.extractor
    sources = [] if ext is None else [*ext.signatures_, *ext.block_gene_sets()]
    return replace(scorer, imputable=list(dict.fromkeys([*scorer.feature_columns, *sources])))


def model_frames(scorer: Scorer, cohort) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """``(values, clinical, notes)`` to score: expression on the model's genes (audited for
    coverage) and clinical columns, absent covariates as NaN (the model imputes them).

    ``scorer`` should come from :func:`as_held_out`; features it imputes are named in a note.
    """
    notes: list[str] = []
    cov = CoverageModel.of(scorer)
    where = f"cohort {cohort.name!r}"
    values = pd.DataFrame(index=cohort.samples)
    if cov is not None:
        expr, audit = cov.model_genes(cohort, where)
        genes = expr.columns
        notes += audit
        low = cov.table(genes)
        low = [f for f in low.index[~low["ok"]] if f in scorer.feature_columns]
        if low:
            notes.append(f"{len(low)} of the model's {len(scorer.feature_columns)} TME features "
                         f"cannot be computed on {where} ({', '.join(low)}): imputed by the "
                         "training median, as in leave-one-cohort-out validation; to use "
                         "them, train with `--gene-universe` on this cohort's genes")
        values = expr
    elif scorer.feature_columns:
        raise InputError("the model reads a published feature table, not expression; "
                         "`tmeprog validate` needs a model that extracts its own features")
    clin = cohort.clinical.copy()
    clin, absent = with_absent_covariates(scorer, clin)
    if absent:
        notes.append(f"covariates not recorded in {where}: {', '.join(absent)}; imputed by "
                     "the training median (as for a held-out cohort in leave-one-cohort-out)")
    return values, clin, notes


def with_absent_covariates(scorer: Scorer, clin: pd.DataFrame) -> tuple[pd.DataFrame, list]:
    """``clin`` with an all-NaN column for each covariate the scorer uses and it lacks."""
    absent = []
    for col, sources in scorer.covariate_sources().items():
        if not set(sources) & set(clin.columns):
            clin[sources[0]] = np.nan
            absent.append(col)
    return clin, absent


# -- predictions and metrics ---------------------------------------------------------------
def predict(name: str, scorer: Scorer, values, clinical, y, horizons) -> Predictions:
    """Risk, S(t) at the horizons and the integrated-Brier grid, and risk groups."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        X = scorer.design_parts(values if scorer.feature_columns else values.iloc[:, :0],
                                clinical)
        risk = np.asarray(scorer.model.predict(X), dtype=float)
    notes = sorted({str(w.message) for w in caught if issubclass(w.category, UserWarning)
                    and "dropped" not in str(w.message)})[:5]
    tmax = float(scorer.model.max_time_)
    proxy = np.array([(False, tmax)], dtype=[("event", bool), ("time", float)])
    try:
        ibs_t = ibs_grid(proxy, y)  # inside the cohort's follow-up and the training one
    except InputError as exc:
        notes.append(f"{name}: {exc}; no integrated Brier score")
        ibs_t = np.empty(0)
    times = np.unique(np.concatenate([np.asarray(horizons, float), ibs_t]))
    ok = times <= tmax
    surv = pd.DataFrame(np.nan, index=X.index, columns=pd.Index(times, name="months"))
    if ok.any():
        surv.loc[:, times[ok]] = scorer.model.predict_survival(X, times[ok]).to_numpy()
    if not ok.all():
        notes.append(f"{name}: S(t) at {times[~ok].tolist()} months lies beyond the training "
                     f"follow-up ({tmax:g}); NaN")
    lo, hi = scorer.cutpoints
    groups = np.where(risk <= lo, 0, np.where(risk <= hi, 1, 2))
    return Predictions(name, risk, surv, ibs_t, groups, notes)


def _result(p: Predictions, y: np.ndarray, rows: np.ndarray, label: str, horizons):
    fold = FoldPrediction(label=label, unit=label, train_index=np.empty(0, int),
                          test_index=np.arange(len(rows)), y_train=y[:0], y_test=y[rows],
                          risk=p.risk[rows], survival=p.survival.iloc[rows],
                          ibs_times=p.ibs_times, best_params={})
    return ValidationResult("loco", [fold], p.survival.index[rows],
                            {"horizons": sorted(set(map(float, horizons))
                                                | set(p.survival.columns.astype(float)))})


def brier_at(y: np.ndarray, surv_h: np.ndarray, horizon: float) -> float:
    """Brier score at ``horizon`` (``sksurv.metrics.brier_score``; censoring KM of ``y``)."""
    if not np.isfinite(surv_h).all() or horizon >= y["time"].max():
        return float("nan")
    try:
        return float(brier_score(y, y, np.asarray(surv_h)[:, None], [horizon])[1][0])
    except ValueError:
        return float("nan")


def calibration_in_the_large(y: np.ndarray, surv_h: np.ndarray, horizon: float) -> float:
    """Observed event probability by ``horizon`` (1 - Kaplan-Meier) minus the mean predicted
    one (1 - S(h)); 0 is ideal, > 0 means the model under-predicts risk."""
    if not np.isfinite(surv_h).all() or horizon >= y["time"].max() or not y["event"].any():
        return float("nan")
    t, s = kaplan_meier_estimator(y["event"], y["time"])
    i = np.searchsorted(t, horizon, side="right") - 1
    km = 1.0 if i < 0 else float(s[i])
    return (1 - km) - float(np.mean(1 - np.asarray(surv_h, float)))


def _boot(fn, y, s, h, draws) -> tuple[float, float, float]:
    point = fn(y, s, h)
    reps = np.array([fn(y[d], s[d], h) for d in draws]) if len(draws) else np.empty(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lo, hi = percentile_ci(reps, point, fn.__name__)
    return point, lo, hi


_EXTRA_EST = {
    "brier": "sksurv brier_score at {h:g} mo, censoring KM of the cohort",
    "calibration_in_the_large": "observed 1 - KM({h:g}) minus mean predicted 1 - S({h:g}); "
                                "0 is ideal",
}


def evaluate_subgroup(preds: dict[str, Predictions], y: np.ndarray, rows: np.ndarray,
                      label: str, horizons, n_boot: int, seed: int):
    """Metrics of every model on ``rows`` and paired differences model - reference."""
    cal_h = float(max(horizons))
    evs, out = {}, []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, p in preds.items():
            ev = evaluate(_result(p, y, rows, label, horizons), horizons=horizons,
                          tau=TAU_MONTHS, calibration_horizon=cal_h, n_boot=n_boot,
                          seed=seed, ipcw="test")
            evs[name] = ev
            t = ev.table[ev.table["validation"] == "loco"].copy()
            t["estimator"] = t["estimator"].str.replace(f"held-out cohort {label}",
                                                        "external cohort", regex=False)
            rng = np.random.default_rng(seed)  # the draws evaluate() made for its one fold
            draws = [rng.integers(0, len(rows), len(rows)) for _ in range(n_boot)]
            yy = y[rows]
            extra = []
            for h in horizons:
                if h in p.survival.columns:
                    s = p.survival[h].to_numpy(dtype=float)[rows]
                    v, lo, hi = _boot(brier_at, yy, s, h, draws)
                    extra.append((f"brier_{horizon_key(h)}", v, lo, hi,
                                  _EXTRA_EST["brier"].format(h=h)))
            if cal_h in p.survival.columns:
                s = p.survival[cal_h].to_numpy(dtype=float)[rows]
                v, lo, hi = _boot(calibration_in_the_large, yy, s, cal_h, draws)
                extra.append((f"calibration_in_the_large_{horizon_key(cal_h)}", v, lo, hi,
                              _EXTRA_EST["calibration_in_the_large"].format(h=cal_h)
                              + f"; 95% percentile bootstrap CI, {n_boot} resamples, "
                                f"seed {seed}"))
            n, e = int(len(rows)), int(y["event"][rows].sum())
            rows_x = [{"validation": "loco", "metric": m, "value": v, "ci_low": lo,
                       "ci_high": hi, "n": n, "events": e, "n_units": 1, "estimator": est}
                      for m, v, lo, hi, est in extra]
            t = pd.concat([t, pd.DataFrame(rows_x)], ignore_index=True) if rows_x else t
            t.insert(0, "subgroup", label)
            t.insert(0, "model", name)
            out.append(t.drop(columns=["validation", "n_units"]))
        diffs = []
        for name in preds:
            if name == "model":
                continue
            d = paired_difference(evs["model"], evs[name])
            d = d[d["validation"] == "loco"].drop(columns=["validation"])
            d.insert(0, "subgroup", label)
            d.insert(0, "reference", name)
            diffs.append(d)
    return pd.concat(out, ignore_index=True), (pd.concat(diffs, ignore_index=True)
                                               if diffs else pd.DataFrame())


def er_status(cohort, values: pd.DataFrame) -> tuple[pd.Series, str]:
    """ER per sample: recorded (IHC) where present, else called from expression."""
    rec = (pd.to_numeric(cohort.clinical["er"], errors="coerce")
           if "er" in cohort.clinical.columns else pd.Series(np.nan, index=cohort.samples))
    if rec.notna().all() or cohort.expression is None:
        return rec, "recorded (IHC)"

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            called = annotate_cohort(cohort)[0].clinical["er"]
    except InputError:
        return rec, "recorded (IHC); no expression call possible"
    called = pd.to_numeric(called, errors="coerce").reindex(rec.index)
    how = ("expression call (PAM50 genes; no ER recorded)" if rec.isna().all()
           else "recorded (IHC), expression call where missing")
    return rec.fillna(called), how


def risk_group_table(p: Predictions, y: np.ndarray) -> pd.DataFrame:
    """Samples and events per model risk group (training cut points)."""
    rows = []
    for i, name in enumerate(RISK_GROUPS):
        m = p.groups == i
        rows.append({"risk_group": name, "n": int(m.sum()), "events": int(y["event"][m].sum())})
    return pd.DataFrame(rows)


def calibration_tables(preds: dict[str, Predictions], y, horizon: float) -> dict:
    """Risk-group calibration table at ``horizon`` per model (when S(h) is available)."""
    out = {}
    for name, p in preds.items():
        if horizon in p.survival.columns and p.survival[horizon].notna().all():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out[name] = calibration_table(y, p.survival[horizon].to_numpy(float), horizon)
    return out
