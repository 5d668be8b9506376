"""``compare``: every model family x feature set x validation scheme in one results table."""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from tmeprog.errors import InputError
from tmeprog.models.evaluation import Evaluation, evaluate, paired_difference
from tmeprog.models.families import build_models
from tmeprog.models.feature_sets import family_design
from tmeprog.models.validation import ValidationResult, cross_validate, leave_one_cohort_out

TABLE_COLUMNS = ["model", "feature_set", "validation", "metric", "value", "ci_low", "ci_high",
                 "p_value", "n", "events", "estimator"]


def default_models(random_state: int = 0, quick: bool = False) -> dict[str, tuple]:
    """The four model families with their tuning grids: ``name -> (estimator, grid)``
    (:data:`tmeprog.models.families.FAMILIES`; ``quick`` shrinks forests, rounds and grids)."""
    return build_models(random_state, quick)


@dataclass
class Comparison:
    """Output of :func:`compare`.

    Attributes
    ----------
    table : pandas.DataFrame
        Columns ``model, feature_set, validation, metric, value, ci_low, ci_high, p_value, n,
        events, estimator``. ``validation`` is ``cv``, ``loco`` or ``loco:<cohort>``. Paired
        differences have ``feature_set`` like ``clinical+tme - clinical`` and a ``p_value``.
    results : dict
        ``(model, feature_set, scheme) -> ValidationResult`` (held-out predictions).
    evaluations : dict
        ``(model, feature_set, scheme) -> Evaluation``.
    runtime_seconds : float
    settings : dict
    """

    table: pd.DataFrame
    results: dict = field(repr=False)
    evaluations: dict = field(repr=False)
    runtime_seconds: float = 0.0
    settings: dict = field(default_factory=dict)


def _job(name, est, grid, fs, X, y, groups, scheme, kw, ev_kw, std_cols, strata=None,
         within=False):
    X = family_design(name, X)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        std = std_cols if std_cols else False
        if scheme == "cv":
            res = cross_validate(est, X, y, groups=groups, param_grid=grid,
                                 cohort_standardise=std, strata=strata, within_strata=within,
                                 **kw["cv"])
        else:
            res = leave_one_cohort_out(est, X, y, groups, param_grid=grid,
                                       cohort_standardise=std, strata=strata, **kw["loco"])
        ev = evaluate(res, **ev_kw)
    msgs = sorted({f"{name}/{fs}/{scheme}: {w.message}" for w in caught
                   if issubclass(w.category, UserWarning)})
    return (name, fs, scheme), res, ev, msgs


def compare(
    feature_sets: Mapping[str, pd.DataFrame], y, groups: Sequence | None = None, *,
    models: Mapping[str, tuple] | None = None, validations: Sequence[str] = ("cv", "loco"),
    tune: bool = True, n_splits: int = 5, n_repeats: int = 2, inner_splits: int = 3,
    horizons: Sequence[float] = (36.0, 60.0), tau: float = 60.0,
    calibration_horizon: float | None = 60.0, n_boot: int = 200, random_state: int = 0,
    cohort_standardise: Mapping[str, Sequence[str]] | None = None,
    paired: Sequence[tuple[str, str]] = (("clinical+tme", "clinical"),), n_jobs: int = 1,
    quick: bool = False, strata: Sequence | None = None, within_strata: bool = False,
) -> Comparison:
    """Validate every model on every feature set and tabulate the metrics.

    Parameters
    ----------
    feature_sets : mapping
        ``name -> DataFrame`` (e.g. from :func:`~tmeprog.models.feature_sets.design_matrices`),
        all with the same samples in the same order.
    y : structured array
        ``(event, time)`` in months.
    groups : sequence, optional
        Cohort per sample (needed for ``loco`` and per-cohort standardisation).
    models : mapping, optional
        ``name -> (estimator, param_grid)``; default :func:`default_models`.
    validations : sequence of {"cv", "loco"}
        Schemes to run.
    tune : bool
        Nested grid search (False: fit the estimators as given).
    n_splits, n_repeats, inner_splits : int
        Cross-validation layout.
    horizons, tau, calibration_horizon
        Metric settings (months), see :func:`~tmeprog.models.evaluation.evaluate`.
    n_boot : int
        Bootstrap replicates per CI.
    random_state : int
        Seed of splits, tuning and bootstrap.
    cohort_standardise : mapping, optional
        ``feature set -> columns`` z-scored within each cohort (e.g. the TME columns).
    paired : sequence of (str, str)
        Feature-set pairs whose difference gets a paired bootstrap CI.
    n_jobs : int
        Parallel (model, feature set, scheme) jobs.
    quick : bool
        Small default models (when ``models`` is None).
    strata : sequence, optional
        Stratum per sample (cohort x endpoint): a baseline hazard per stratum for the models
        that support it (coxnet).
    within_strata : bool
        Cross-validated metrics within strata (see
        :func:`~tmeprog.models.validation.cross_validate`).

    Returns
    -------
    Comparison
    """
    t0 = time.perf_counter()
    names = list(feature_sets)
    if not names:
        raise InputError("compare: no feature set given")
    idx0 = feature_sets[names[0]].index
    for k in names[1:]:
        if not feature_sets[k].index.equals(idx0):
            raise InputError(f"compare: feature set {k!r} has other samples than {names[0]!r}")
    bad = [v for v in validations if v not in ("cv", "loco")]
    if bad:
        raise InputError(f"compare: unknown validations {bad}; use 'cv' and/or 'loco'")
    if "loco" in validations and groups is None:
        raise InputError("compare: leave-one-cohort-out needs groups (a cohort per sample)")
    models = default_models(random_state, quick) if models is None else dict(models)
    common = dict(inner_splits=inner_splits, random_state=random_state,
                  horizons=sorted({*map(float, horizons)}
                                  | ({float(calibration_horizon)} if calibration_horizon else
                                     set())))
    kw = {"cv": dict(n_splits=n_splits, n_repeats=n_repeats, **common), "loco": common}
    ev_kw = dict(horizons=horizons, tau=tau, calibration_horizon=calibration_horizon,
                 n_boot=n_boot, seed=random_state)
    std = dict(cohort_standardise or {})
    jobs = [(m, est, grid if tune else None, fs, feature_sets[fs], y, groups, v, kw, ev_kw,
             std.get(fs), strata, within_strata) for m, (est, grid) in models.items()
            for fs in names for v in validations]
    if n_jobs == 1:
        out = [_job(*j) for j in jobs]
    else:
        out = Parallel(n_jobs=n_jobs)(delayed(_job)(*j) for j in jobs)
    results: dict[tuple, ValidationResult] = {}
    evals: dict[tuple, Evaluation] = {}
    seen = set()
    for key, res, ev, msgs in out:
        results[key], evals[key] = res, ev
        for m in msgs:
            if m.split(": ", 1)[1] not in seen:
                seen.add(m.split(": ", 1)[1])
                warnings.warn(m, UserWarning, stacklevel=2)
    parts = []
    for (m, fs, _v), ev in evals.items():
        t = ev.table.copy()
        t.insert(0, "feature_set", fs)
        t.insert(0, "model", m)
        t["p_value"] = np.nan
        parts.append(t)
    for a, b in paired:
        if a not in names or b not in names:
            continue
        for m in models:
            for v in validations:
                ea, eb = evals[(m, a, v)], evals[(m, b, v)]
                d = paired_difference(ea, eb)
                ta = ea.table.set_index(["validation", "metric"])
                d["n"] = [ta.loc[(r.validation, r.metric), "n"] for r in d.itertuples()]
                d["events"] = [ta.loc[(r.validation, r.metric), "events"] for r in d.itertuples()]
                d["estimator"] = (f"paired bootstrap of {a} minus {b} on identical splits and "
                                  f"resamples ({n_boot}, seed {random_state}); two-sided "
                                  "bootstrap p")
                d.insert(0, "feature_set", f"{a} - {b}")
                d.insert(0, "model", m)
                parts.append(d)
    table = pd.concat(parts, ignore_index=True)[TABLE_COLUMNS]
    settings = dict(validations=list(validations), tune=tune, n_splits=n_splits,
                    n_repeats=n_repeats, inner_splits=inner_splits, n_boot=n_boot,
                    random_state=random_state, horizons=list(horizons), tau=tau,
                    calibration_horizon=calibration_horizon, within_strata=within_strata,
                    baseline_strata=sorted({str(s) for s in strata}) if strata is not None
                    else None,
                    grids={m: g for m, (_, g) in models.items()} if tune else {})
    return Comparison(table, results, evals, time.perf_counter() - t0, settings)
