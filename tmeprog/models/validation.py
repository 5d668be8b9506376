"""Honest validation: repeated stratified K-fold with nested tuning, and leave-one-cohort-out.

Everything that learns from data is fitted inside the training part of each split: the
model's imputation and scaling (inside ``fit``), hyper-parameter tuning (an inner stratified
K-fold grid search on the training part only, scored by Harrell's C), and the optional
per-cohort standardisation (statistics from the cohort's training rows; see
:mod:`tmeprog.models.batch`). The test part is used only to predict.

Each split stores its held-out predictions (risk, and S(t) at the requested horizons and on the
integrated-Brier grid); :func:`tmeprog.models.evaluation.evaluate` computes metrics from them.
A fixed ``random_state`` gives identical splits, tuning and predictions on every run.

Strata (``strata=``, the cohort x endpoint of each sample when endpoints are pooled): models
that support it (``supports_strata``) get a baseline hazard per stratum, in tuning and in the
fit; with cross-validation each test fold is then evaluated within strata: its held-out
predictions are split into one part per stratum (labels ``r<repeat>f<fold>|<stratum>``), so a
concordance pair never joins patients of different cohorts or endpoints. Leave-one-cohort-out
test sets are one cohort each, hence one stratum.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from inspect import signature

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, RepeatedStratifiedKFold, StratifiedKFold

from tmeprog.errors import InputError
from tmeprog.models import inputs
from tmeprog.models.batch import standardise_by_cohort
from tmeprog.models.feature_sets import refresh_interactions
from tmeprog.models.inputs import HorizonWarning, as_frame, check_horizons, check_survival_y
from tmeprog.models.metrics import ibs_grid


@dataclass
class FoldPrediction:
    """Held-out predictions of one split.

    Attributes
    ----------
    label : str
        ``r<repeat>f<fold>`` for cross-validation, the cohort name for leave-one-cohort-out.
    unit : str
        Pooling unit: ``r<repeat>`` for cross-validation (its folds cover every sample once),
        the cohort name for leave-one-cohort-out.
    train_index, test_index : ndarray
        Row positions in the input table.
    y_train, y_test : structured array
    risk : ndarray
        Risk score of the test rows.
    survival : pandas.DataFrame
        S(t) of the test rows; columns are times in months (NaN columns for horizons beyond
        the training follow-up).
    ibs_times : ndarray
        Integrated-Brier grid of this split (inside the test follow-up).
    best_params : dict
        Tuned hyper-parameters (empty without tuning).
    messages : list of (str, str)
        Warnings raised while fitting (category name, message).
    """

    label: str
    unit: str
    train_index: np.ndarray
    test_index: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    risk: np.ndarray
    survival: pd.DataFrame
    ibs_times: np.ndarray
    best_params: dict
    messages: list = field(default_factory=list)


@dataclass
class ValidationResult:
    """All splits of one validation run.

    Attributes
    ----------
    scheme : {"cv", "loco"}
    folds : list of FoldPrediction
    samples : pandas.Index
        Row labels of the input table.
    settings : dict
        How the run was made (splits, repeats, seed, tuning grid, standardisation).
    """

    scheme: str
    folds: list[FoldPrediction]
    samples: pd.Index
    settings: dict

    def out_of_fold(self, unit: str | None = None) -> pd.DataFrame:
        """Held-out predictions of one pooling unit (default: the first), one row per sample.

        Columns ``risk``, ``event``, ``time``, ``fold`` and ``S(<t>)`` per stored time.
        """
        unit = self.folds[0].unit if unit is None else unit
        parts = []
        for f in self.folds:
            if f.unit != unit:
                continue
            d = f.survival.copy()
            d.columns = [f"S({c:g})" for c in d.columns]
            d.insert(0, "fold", f.label)
            d.insert(0, "time", f.y_test["time"])
            d.insert(0, "event", f.y_test["event"])
            d.insert(0, "risk", f.risk)
            parts.append(d)
        if not parts:
            raise InputError(f"no split with pooling unit {unit!r}")
        return pd.concat(parts)


def _strat_labels(y: np.ndarray, groups, n_splits: int) -> tuple[np.ndarray, str]:
    ev = y["event"].astype(int).astype(str)
    if groups is None:
        return ev, "event"
    lab = np.char.add(np.char.add(ev, "|"), np.asarray(groups).astype(str))
    _, counts = np.unique(lab, return_counts=True)
    return (lab, "event x cohort") if counts.min() >= n_splits else (ev, "event")


def _eval_times(horizons: np.ndarray, ibs_times: np.ndarray) -> np.ndarray:
    return np.unique(np.concatenate([horizons, ibs_times]))


def accepts_strata(estimator) -> bool:
    """Whether ``estimator.fit`` takes ``strata`` (a baseline hazard per stratum)."""
    return bool(getattr(estimator, "supports_strata", False)) and \
        "strata" in signature(estimator.fit).parameters


def _fit_fold(estimator, X: pd.DataFrame, y: np.ndarray, groups, train: np.ndarray,
              test: np.ndarray, label: str, unit: str, param_grid, inner_splits: int, seed: int,
              cohort_columns, horizons: np.ndarray, ibs_points: int,
              ibs_quantiles: tuple[float, float], strata=None,
              split_test: bool = False) -> list[FoldPrediction]:
    Xtr, Xte = X.iloc[train], X.iloc[test]
    ytr, yte = y[train], y[test]
    fit_kw = {}
    if strata is not None and accepts_strata(estimator):
        fit_kw["strata"] = np.asarray(strata)[train]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if cohort_columns is not None:
            Xtr, Xte = standardise_by_cohort(Xtr, np.asarray(groups)[train], Xte,
                                             np.asarray(groups)[test], cohort_columns)
            Xtr, Xte = refresh_interactions(Xtr), refresh_interactions(Xte)
        try:
            if param_grid:
                inner = StratifiedKFold(inner_splits, shuffle=True, random_state=seed)
                splits = list(inner.split(Xtr, ytr["event"]))
                gs = GridSearchCV(clone(estimator), param_grid, cv=splits, refit=True,
                                  n_jobs=1, error_score="raise")
                gs.fit(Xtr, ytr, **fit_kw)
                model, best = gs.best_estimator_, dict(gs.best_params_)
            else:
                model, best = clone(estimator).fit(Xtr, ytr, **fit_kw), {}
        except InputError as exc:
            raise InputError(f"split {label}: {exc}") from exc
        parts = [(label, np.arange(len(test)))]
        if split_test and strata is not None:
            st = np.asarray(strata)[test].astype(str)
            parts = [(f"{label}|{s}", np.flatnonzero(st == s)) for s in sorted(set(st))]
        out = [_predict_part(model, Xte, yte, ytr, test, train, lab, unit, rows, horizons,
                             ibs_points, ibs_quantiles, best) for lab, rows in parts]
    msgs = [(w.category.__name__, str(w.message)) for w in caught
            if issubclass(w.category, UserWarning)]
    for f in out:
        f.messages = list(msgs)
    return out


def _predict_part(model, Xte, yte, ytr, test, train, label, unit, rows, horizons, ibs_points,
                  ibs_quantiles, best) -> FoldPrediction:
    """Held-out predictions of ``rows`` of a test set (all of it, or one stratum)."""
    Xp, yp = Xte.iloc[rows], yte[rows]
    risk = model.predict(Xp)
    try:
        ibs_t = ibs_grid(ytr, yp, ibs_points, ibs_quantiles)
    except InputError as exc:
        warnings.warn(f"split {label}: {exc}; no integrated Brier score", HorizonWarning,
                      stacklevel=2)
        ibs_t = np.empty(0)
    times = _eval_times(horizons, ibs_t)
    ok = times <= model.max_time_
    surv = pd.DataFrame(np.nan, index=Xp.index, columns=pd.Index(times, name="months"))
    if ok.any():
        surv.loc[:, times[ok]] = model.predict_survival(Xp, times[ok]).to_numpy()
    if not ok.all():
        warnings.warn(
            f"split {label}: S(t) at {times[~ok].tolist()} months is beyond the training "
            f"follow-up ({model.max_time_:g}); NaN", HorizonWarning, stacklevel=2)
    return FoldPrediction(label, unit, train, test[rows], ytr, yp, risk, surv, ibs_t, best)


def _reemit(folds: list[FoldPrediction]) -> None:
    seen = set()
    for f in folds:
        for cat, msg in f.messages:
            key = (cat, msg.split(":")[-1] if msg.startswith("split ") else msg)
            if key in seen:
                continue
            seen.add(key)
            warnings.warn(msg, getattr(inputs, cat, UserWarning), stacklevel=3)


def _prepare(X, y, groups, cohort_standardise):
    Xf = as_frame(X, "X")
    yy = check_survival_y(y, len(Xf), min_events=None)
    g = None if groups is None else np.asarray(groups, dtype=object)
    if g is not None and len(g) != len(Xf):
        raise InputError(f"groups: {len(g)} labels for {len(Xf)} samples")
    cols = None
    if cohort_standardise:
        if g is None:
            raise InputError("per-cohort standardisation needs groups (a cohort per sample)")
        cols = list(Xf.columns) if cohort_standardise is True else list(cohort_standardise)
        cols = [c for c in cols if c in Xf.columns]
    return Xf, yy, g, cols


def _check_strata(strata, n: int) -> np.ndarray | None:
    if strata is None:
        return None
    st = np.asarray(strata).astype(str)
    if len(st) != n:
        raise InputError(f"strata: {len(st)} labels for {n} samples")
    return st


def _run(jobs, n_jobs: int) -> list[FoldPrediction]:
    if n_jobs == 1:
        out = [_fit_fold(*a) for a in jobs]
    else:
        out = Parallel(n_jobs=n_jobs)(delayed(_fit_fold)(*a) for a in jobs)
    return [f for parts in out for f in parts]


def cross_validate(
    estimator, X, y, *, groups: Sequence | None = None, param_grid: Mapping | None = None,
    n_splits: int = 5, n_repeats: int = 2, inner_splits: int = 3, random_state: int = 0,
    cohort_standardise: bool | Sequence[str] = False, horizons: Sequence[float] = (36.0, 60.0),
    ibs_points: int = 20, ibs_quantiles: tuple[float, float] = (0.2, 0.8), n_jobs: int = 1,
    strata: Sequence | None = None, within_strata: bool = False,
) -> ValidationResult:
    """Repeated stratified K-fold cross-validation with nested tuning.

    Parameters
    ----------
    estimator : SurvivalModel
        Unfitted model; cloned per split.
    X : pandas.DataFrame
        Samples x features.
    y : structured array
        ``(event, time)`` in months.
    groups : sequence, optional
        Cohort per sample; folds are stratified on event x cohort when every combination has
        at least ``n_splits`` samples (else on event alone).
    param_grid : mapping, optional
        Grid tuned by an inner stratified ``inner_splits``-fold search on each training part
        (Harrell's C). None: no tuning.
    n_splits, n_repeats : int
        Outer folds and repetitions.
    random_state : int
        Seed of outer and inner splits.
    cohort_standardise : bool or sequence of str
        Per-cohort z-scoring (all or these columns) with training-row statistics.
    horizons : sequence of float
        Months at which S(t) is stored (metrics at 36/60 months need them).
    ibs_points, ibs_quantiles
        Integrated-Brier grid per split (see :func:`tmeprog.models.metrics.ibs_grid`).
    n_jobs : int
        Outer splits run in parallel.
    strata : sequence, optional
        Stratum per sample (cohort x endpoint): a baseline hazard per stratum for models that
        support it.
    within_strata : bool
        Evaluate each test fold within strata (one held-out part per stratum).

    Returns
    -------
    ValidationResult
    """
    Xf, yy, g, cols = _prepare(X, y, groups, cohort_standardise)
    st = _check_strata(strata, len(Xf))
    if within_strata and st is None:
        raise InputError("within_strata needs strata (a stratum per sample)")
    if yy["event"].sum() < n_splits:
        raise InputError(
            f"only {int(yy['event'].sum())} events for {n_splits} folds: some test folds would "
            "be all-censored; use fewer folds or more data"
        )
    h = check_horizons(horizons)
    strat, strat_desc = _strat_labels(yy, g, n_splits)
    rskf = RepeatedStratifiedKFold(n_splits=n_splits, n_repeats=n_repeats,
                                   random_state=random_state)
    jobs = []
    for i, (tr, te) in enumerate(rskf.split(Xf, strat)):
        r, k = divmod(i, n_splits)
        jobs.append((estimator, Xf, yy, g, tr, te, f"r{r}f{k}", f"r{r}", param_grid,
                     inner_splits, random_state + i, cols, h, ibs_points, ibs_quantiles, st,
                     within_strata))
    folds = _run(jobs, n_jobs)
    _reemit(folds)
    settings = dict(n_splits=n_splits, n_repeats=n_repeats, inner_splits=inner_splits,
                    random_state=random_state, param_grid=dict(param_grid or {}),
                    cohort_standardise=cols, horizons=h.tolist(), stratified_on=strat_desc,
                    within_strata=bool(within_strata),
                    baseline_strata=sorted(set(st)) if st is not None
                    and accepts_strata(estimator) else None)
    return ValidationResult("cv", folds, Xf.index, settings)


def leave_one_cohort_out(
    estimator, X, y, groups: Sequence, *, param_grid: Mapping | None = None,
    inner_splits: int = 3, random_state: int = 0,
    cohort_standardise: bool | Sequence[str] = False, horizons: Sequence[float] = (36.0, 60.0),
    ibs_points: int = 20, ibs_quantiles: tuple[float, float] = (0.2, 0.8), n_jobs: int = 1,
    strata: Sequence | None = None,
) -> ValidationResult:
    """Train on all cohorts but one, test on the held-out one, for each cohort.

    Parameters are those of :func:`cross_validate`. With ``cohort_standardise`` the held-out
    cohort is z-scored with its own feature statistics (no outcome used); with ``strata`` the
    models that support it get a baseline hazard per training stratum.
    """
    if groups is None:
        raise InputError("leave-one-cohort-out needs groups (a cohort label per sample)")
    Xf, yy, g, cols = _prepare(X, y, groups, cohort_standardise)
    st = _check_strata(strata, len(Xf))
    cohorts = list(pd.unique(g))
    if len(cohorts) < 2:
        raise InputError(f"leave-one-cohort-out needs at least 2 cohorts, got {cohorts}")
    h = check_horizons(horizons)
    jobs = []
    for i, c in enumerate(cohorts):
        te = np.flatnonzero(g == c)
        tr = np.flatnonzero(g != c)
        jobs.append((estimator, Xf, yy, g, tr, te, str(c), str(c), param_grid, inner_splits,
                     random_state + i, cols, h, ibs_points, ibs_quantiles, st, False))
    folds = _run(jobs, n_jobs)
    _reemit(folds)
    settings = dict(cohorts=[str(c) for c in cohorts], inner_splits=inner_splits,
                    random_state=random_state, param_grid=dict(param_grid or {}),
                    cohort_standardise=cols, horizons=h.tolist(),
                    baseline_strata=sorted(set(st)) if st is not None
                    and accepts_strata(estimator) else None)
    return ValidationResult("loco", folds, Xf.index, settings)
