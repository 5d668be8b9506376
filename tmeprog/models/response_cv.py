"""Repeated stratified K-fold cross-validation of therapy-response classifiers with nested tuning.

Outer folds are stratified on outcome x arm when every combination has at least ``n_splits``
patients, else on outcome alone (``settings["stratified_on"]``). Inside each training part, a
grid (``param_grid``) is tuned by an inner stratified ``inner_splits``-fold search scored by
AUROC (unweighted); the best setting is refitted on the whole training part and predicts the
test part. Imputation, scaling and coding are fitted inside every ``fit``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, RepeatedStratifiedKFold, StratifiedKFold

from tmeprog.errors import InputError
from tmeprog.models.response import (
    as_table,
    check_aligned,
    check_binary_target,
    check_sample_weight,
)


@dataclass
class ResponseCV:
    """Held-out predictions of one repeated K-fold run.

    Attributes
    ----------
    proba : ndarray of shape (n_repeats, n_samples)
        Out-of-fold P(y=1); each repeat predicts every patient once.
    y : ndarray of int
    weight : ndarray or None
    arm : ndarray of str or None
    samples : pandas.Index
        Rows used (zero-weight rows removed).
    folds : list of dict
        Per split: ``label``, ``test_index``, ``best_params``.
    settings : dict
    runtime_s : float
    """

    proba: np.ndarray
    y: np.ndarray
    weight: np.ndarray | None
    arm: np.ndarray | None
    samples: pd.Index
    folds: list
    settings: dict
    runtime_s: float = 0.0
    messages: list = field(default_factory=list)

    def out_of_fold(self) -> pd.DataFrame:
        """One row per sample: ``y``, ``arm``, ``weight`` and ``p_r<k>`` per repeat."""
        out = pd.DataFrame({"y": self.y}, index=self.samples)
        if self.arm is not None:
            out["arm"] = self.arm
        if self.weight is not None:
            out["weight"] = self.weight
        for r, row in enumerate(self.proba):
            out[f"p_r{r}"] = row
        return out


def _strata(y: np.ndarray, arm: np.ndarray | None, n_splits: int) -> tuple[np.ndarray, str]:
    ys = y.astype(str)
    if arm is None:
        return ys, "outcome"
    combo = np.array([f"{a}|{b}" for a, b in zip(ys, arm, strict=True)])
    if np.unique(combo, return_counts=True)[1].min() >= n_splits:
        return combo, "outcome x arm"
    return ys, "outcome"


def _no_ci(est):
    params = est.get_params(deep=False)
    return est.set_params(ci="none") if "ci" in params else est


def _fit_split(estimator, X, y, w, strata, train, test, param_grid, inner_splits, seed):
    Xtr, ytr = X.iloc[train], y[train]
    wtr = None if w is None else w[train]
    fit_kw = {} if wtr is None else {"sample_weight": wtr}
    if param_grid:
        inner_strata, _ = _strata(ytr, None, inner_splits)
        if strata is not None:
            s = strata[train]
            if np.unique(s, return_counts=True)[1].min() >= inner_splits:
                inner_strata = s
        splits = list(StratifiedKFold(inner_splits, shuffle=True, random_state=seed)
                      .split(Xtr, inner_strata))
        gs = GridSearchCV(_no_ci(clone(estimator)), param_grid, cv=splits, scoring="roc_auc",
                          refit=True, n_jobs=1, error_score="raise")
        gs.fit(Xtr, ytr, **fit_kw)
        model, best = gs.best_estimator_, dict(gs.best_params_)
    else:
        model, best = _no_ci(clone(estimator)).fit(Xtr, ytr, **fit_kw), {}
    return model.predict_proba(X.iloc[test])[:, 1], best


def cross_validate_response(
    estimator, X, y, *, arm=None, sample_weight=None, param_grid: Mapping | None = None,
    n_splits: int = 5, n_repeats: int = 2, inner_splits: int = 3, random_state: int = 0,
    n_jobs: int = 1,
) -> ResponseCV:
    """Repeated stratified K-fold cross-validation with nested tuning.

    Parameters
    ----------
    estimator : PenalisedLogistic, XGBResponseClassifier or any classifier with
        ``predict_proba``
        Unfitted; cloned per split (confidence intervals of the fold models are switched off).
    X : pandas.DataFrame
        Samples x columns (may hold the arm column).
    y : array-like
        0/1 outcome; NaN allowed only where ``sample_weight`` is 0.
    arm : array-like or str, optional
        Arm per sample (for stratification and per-arm metrics), or the name of a column of
        ``X``. Default: ``X[estimator.arm_column]`` when present.
    sample_weight : array-like, optional
        Non-negative weights (IPCW); zero-weight rows are dropped; used in fitting and metrics.
    param_grid : mapping, optional
        Grid tuned by the inner search; None: no tuning.
    n_splits, n_repeats, inner_splits : int
    random_state : int
        Seed of outer and inner splits.
    n_jobs : int
        Outer splits run in parallel (joblib).

    Returns
    -------
    ResponseCV
    """
    t0 = time.perf_counter()
    df = as_table(X, "X")
    check_aligned(df, y, "cross-validation")
    w = check_sample_weight(sample_weight, len(df))
    yraw = np.asarray(y.to_numpy() if isinstance(y, pd.Series | pd.DataFrame) else y,
                      dtype=object)
    if yraw.ndim > 1:
        yraw = yraw.reshape(len(yraw), -1)[:, 0]
    if len(yraw) != len(df):
        raise InputError(f"y: {len(yraw)} labels for {len(df)} samples")
    if isinstance(arm, str):
        if arm not in df.columns:
            raise InputError(f"arm: no column {arm!r} in X")
        arm = df[arm]
    elif arm is None:
        col = getattr(estimator, "arm_column", None)
        arm = df[col] if col is not None and col in df.columns else None
    if arm is not None:
        a = pd.Series(np.asarray(arm, dtype=object))
        if len(a) != len(df):
            raise InputError(f"arm: {len(a)} labels for {len(df)} samples")
        arm = a.where(a.notna(), "NA").astype(str).to_numpy()
    keep = np.ones(len(df), bool) if w is None else w > 0
    df, yraw = df.loc[keep], yraw[keep]
    w = None if w is None else w[keep]
    arm = None if arm is None else arm[keep]
    yy = check_binary_target(yraw, len(df), "y")
    n_min = int(np.bincount(yy).min())
    if n_min < n_splits:
        raise InputError(f"only {n_min} patients in the smaller outcome class for {n_splits} "
                         "folds; use fewer folds or more data")
    strata, desc = _strata(yy, arm, n_splits)
    rskf = RepeatedStratifiedKFold(n_splits=n_splits, n_repeats=n_repeats,
                                   random_state=random_state)
    jobs = [(tr, te) for tr, te in rskf.split(df, strata)]
    inner = None if desc == "outcome" else strata
    args = [(estimator, df, yy, w, inner, tr, te, param_grid, inner_splits, random_state + i)
            for i, (tr, te) in enumerate(jobs)]
    if n_jobs == 1:
        res = [_fit_split(*a) for a in args]
    else:
        res = Parallel(n_jobs=n_jobs)(delayed(_fit_split)(*a) for a in args)
    proba = np.full((n_repeats, len(df)), np.nan)
    folds = []
    for i, ((_, te), (p, best)) in enumerate(zip(jobs, res, strict=True)):
        r, k = divmod(i, n_splits)
        proba[r, te] = p
        folds.append({"label": f"r{r}f{k}", "test_index": te, "best_params": best})
    settings = dict(n_splits=n_splits, n_repeats=n_repeats, inner_splits=inner_splits,
                    random_state=random_state, param_grid=dict(param_grid or {}),
                    stratified_on=desc, weighted=w is not None, tuning_score="roc_auc")
    return ResponseCV(proba, yy, w, arm, df.index, folds, settings,
                      runtime_s=time.perf_counter() - t0)
