"""Validation of therapy-response classifiers: repeated stratified K-fold with nested tuning,
metrics with bootstrap CIs, per-arm discrimination and decision curves.

Splits
    Outer folds are stratified on outcome x arm when every combination has at least
    ``n_splits`` patients, else on outcome alone (``settings["stratified_on"]``). Inside each
    training part, a grid (``param_grid``) is tuned by an inner stratified ``inner_splits``-fold
    search scored by AUROC (unweighted); the best setting is refitted on the whole training part
    and predicts the test part. Imputation, scaling and coding are fitted inside every ``fit``.

Metrics (:func:`evaluate_response`)
    Every repeat gives one out-of-fold probability per patient (pooled over its K folds;
    probabilities share one scale). Each metric is computed on the pooled predictions of each
    repeat and averaged over repeats:

    * ``auroc`` - area under the ROC curve (Mann-Whitney form, ties count one half);
    * ``auprc`` - average precision (as ``sklearn.metrics.average_precision_score``: step
      interpolation, no trapezoids);
    * ``brier`` - mean squared error of the probability;
    * ``calibration_slope`` - slope ``b`` of the logistic recalibration
      ``logit P(y=1) = a + b logit(p)`` (1 = ideal, < 1 = predictions too extreme);
    * ``calibration_intercept`` - calibration-in-the-large: ``a`` of
      ``logit P(y=1) = a + logit(p)`` with the slope fixed at 1 (0 = ideal, > 0 = risks
      underestimated on average). The intercept of the joint fit is not reported: it depends on
      the slope and is hard to read alone.

    With ``sample_weight`` (e.g. IPCW for a landmark outcome) every metric is weighted.

Confidence intervals
    95% percentile bootstrap, seeded, ``n_boot`` resamples (default 200) of patients drawn with
    replacement within outcome x arm strata (within outcome strata without arms). Each replicate
    recomputes every metric on the resampled rows of every repeat and averages over repeats. The
    CI reflects test-sample variability given the fitted fold models (the models are not
    refitted).

Per arm
    ``auroc`` within each arm: result rows with ``validation = "cv:arm=<arm>"`` (overall rows have
    ``validation = "cv"``). Arms with fewer than ``min_arm_size`` (10) patients or a single
    outcome class are **pooled** into one stratum ``"other"`` with a :class:`SmallArmWarning`;
    when the pooled stratum itself has fewer than ``min_arm_size`` patients or a single class it
    is **dropped** with a warning.

Result rows: ``model, feature_set, validation, metric, value, ci_low, ci_high, n, positives``.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, RepeatedStratifiedKFold, StratifiedKFold

from tmeprog.errors import InputError
from tmeprog.models.bootstrap import percentile_ci
from tmeprog.models.feature_sets import BASE_SETS, _assemble_sets
from tmeprog.models.inputs import BootstrapWarning  # noqa: F401 (re-exported)
from tmeprog.models.response import (
    MIN_ARM_SIZE,
    OTHER_ARM,
    PenalisedLogistic,
    SmallArmWarning,
    XGBResponseClassifier,
    as_table,
    check_aligned,
    check_binary_target,
    check_sample_weight,
    stratified_resample,
)

METRICS = ("auroc", "auprc", "brier", "calibration_slope", "calibration_intercept")
RESULT_COLUMNS = ["model", "feature_set", "validation", "metric", "value", "ci_low", "ci_high",
                  "n", "positives"]
_EPS = 1e-6


# --------------------------------------------------------------------------- metrics


def _score_groups(y, p, sample_weight):
    """Weighted positives and negatives per distinct score, scores ascending."""
    y = np.asarray(y, float)
    w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
    _, inv = np.unique(np.asarray(p, float), return_inverse=True)
    pos = np.bincount(inv, weights=w * (y == 1))
    neg = np.bincount(inv, weights=w * (y == 0))
    return pos, neg


def auroc(y, p, sample_weight=None) -> float:
    """Area under the ROC curve (ties count one half); NaN without both classes.

    The probability that a random positive scores above a random negative (weighted when
    ``sample_weight`` is given), the Mann-Whitney statistic over ``n1 n0``.
    """
    pos, neg = _score_groups(y, p, sample_weight)
    tp, tn = pos.sum(), neg.sum()
    if tp <= 0 or tn <= 0:
        return float("nan")
    below = np.cumsum(neg) - neg
    return float((pos * (below + 0.5 * neg)).sum() / (tp * tn))


def auprc(y, p, sample_weight=None) -> float:
    """Average precision: sum over thresholds of precision x recall increment (step-wise, as
    ``sklearn.metrics.average_precision_score``); NaN without positives."""
    pos, neg = _score_groups(y, p, sample_weight)
    if pos.sum() <= 0:
        return float("nan")
    tp, fp = np.cumsum(pos[::-1]), np.cumsum(neg[::-1])
    keep = (tp + fp) > 0
    precision = np.where(keep, tp / np.where(keep, tp + fp, 1.0), 1.0)
    recall = tp / tp[-1]
    return float(np.sum(np.diff(recall, prepend=0.0) * precision))


def brier(y, p, sample_weight=None) -> float:
    """Brier score: (weighted) mean of ``(p - y)^2``."""
    return float(np.average((np.asarray(p, float) - np.asarray(y, float)) ** 2,
                            weights=sample_weight))


def _logit(p) -> np.ndarray:
    p = np.clip(np.asarray(p, float), _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def _newton_logistic(X: np.ndarray, y: np.ndarray, w: np.ndarray, offset: np.ndarray,
                     max_iter: int = 50, tol: float = 1e-10) -> np.ndarray | None:
    """Unpenalised logistic regression by Newton-Raphson; None on separation or divergence."""
    beta = np.zeros(X.shape[1])
    for _ in range(max_iter):
        eta = X @ beta + offset
        mu = special.expit(eta)
        grad = X.T @ (w * (y - mu))
        hess = X.T @ (X * (w * mu * (1 - mu))[:, None])
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            return None
        beta = beta + step
        if not np.isfinite(beta).all() or np.abs(beta).max() > 50:
            return None
        if np.abs(step).max() < tol:
            return beta
    return None


def calibration(y, p, sample_weight=None) -> tuple[float, float]:
    """Calibration slope and calibration-in-the-large of predicted probabilities.

    Returns
    -------
    slope, intercept : float
        ``b`` of ``logit P(y=1) = a + b logit(p)``, and ``a`` of ``logit P(y=1) = a +
        logit(p)`` (slope fixed at 1); NaN when undefined (single class, constant predictions,
        separation). Probabilities are clipped to ``[1e-6, 1 - 1e-6]``.
    """
    y = np.asarray(y, float)
    w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
    nan = float("nan")
    if len(np.unique(y)) < 2:
        return nan, nan
    lp = _logit(p)
    slope = nan
    if np.ptp(lp) > 1e-10:
        b = _newton_logistic(np.column_stack([np.ones(len(y)), lp]), y, w, np.zeros(len(y)))
        slope = nan if b is None else float(b[1])
    a = _newton_logistic(np.ones((len(y), 1)), y, w, lp)
    return slope, nan if a is None else float(a[0])


def _metric_values(y, p, w) -> np.ndarray:
    slope, inter = calibration(y, p, w)
    return np.array([auroc(y, p, w), auprc(y, p, w), brier(y, p, w), slope, inter])


# --------------------------------------------------------------------------- decision curve


def decision_curve(y, p, thresholds: Sequence[float] | None = None,
                   sample_weight=None) -> pd.DataFrame:
    """Net benefit of treating by predicted probability, against treat-all and treat-none.

    ``net benefit(t) = TP/n - FP/n * t / (1 - t)`` for treating patients with ``p >= t``
    (Vickers & Elkin 2006); treat-all uses the prevalence, treat-none is 0.

    Parameters
    ----------
    y : array-like of 0/1
    p : array-like of shape (n,) or (n_repeats, n)
        Predicted probabilities; several rows (cross-validation repeats) are averaged.
    thresholds : sequence of float, optional
        Threshold probabilities in (0, 1); default 0.01 to 0.99 by 0.01.
    sample_weight : array-like, optional

    Returns
    -------
    pandas.DataFrame
        Columns ``threshold``, ``model``, ``treat_all``, ``treat_none``.
    """
    yy = np.asarray(y, float)
    P = np.atleast_2d(np.asarray(p, float))
    if P.shape[1] != len(yy):
        raise InputError(f"decision curve: {P.shape[1]} predictions for {len(yy)} outcomes")
    t = (np.round(np.arange(0.01, 1.0, 0.01), 2) if thresholds is None
         else np.asarray(thresholds, float))
    if t.size == 0 or (t <= 0).any() or (t >= 1).any():
        raise InputError("decision curve: thresholds must lie strictly between 0 and 1")
    w = np.ones(len(yy)) if sample_weight is None else np.asarray(sample_weight, float)
    n = w.sum()
    odds = t / (1 - t)
    nb = np.zeros(len(t))
    for row in P:
        treat = row[None, :] >= t[:, None]
        tp = (treat * (w * yy)[None, :]).sum(axis=1) / n
        fp = (treat * (w * (1 - yy))[None, :]).sum(axis=1) / n
        nb += tp - fp * odds
    prev = (w * yy).sum() / n
    return pd.DataFrame({"threshold": t, "model": nb / len(P),
                         "treat_all": prev - (1 - prev) * odds, "treat_none": 0.0})


def plot_decision_curve(curves: pd.DataFrame | Mapping[str, pd.DataFrame], ax=None,
                        title: str = "Decision curve"):
    """Plot net benefit against threshold probability.

    Parameters
    ----------
    curves : DataFrame or mapping of label -> DataFrame
        Output(s) of :func:`decision_curve`; treat-all / treat-none come from the first.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    if isinstance(curves, pd.DataFrame):
        curves = {"model": curves}
    if not curves:
        raise InputError("plot_decision_curve: no curve to plot")
    if ax is None:
        fig = Figure(figsize=(6, 4.5))
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    first = next(iter(curves.values()))
    for label, c in curves.items():
        ax.plot(c["threshold"], c["model"], label=str(label))
    ax.plot(first["threshold"], first["treat_all"], color="grey", ls="--", label="treat all")
    ax.axhline(0.0, color="black", lw=0.8, label="treat none")
    top = max(max(float(c["model"].max()) for c in curves.values()),
              float(first["treat_all"].max()), 0.05)
    ax.set_ylim(-0.05, top * 1.1)
    ax.set_xlim(0, 1)
    ax.set_xlabel("threshold probability")
    ax.set_ylabel("net benefit")
    ax.set_title(title)
    ax.legend(frameon=False, fontsize="small")
    return fig


# --------------------------------------------------------------------------- cross-validation


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
        from joblib import Parallel, delayed

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


# --------------------------------------------------------------------------- evaluation


def arm_strata(arm: np.ndarray, y: np.ndarray, min_arm_size: int = MIN_ARM_SIZE
               ) -> dict[str, np.ndarray]:
    """Rows of each arm stratum for per-arm metrics, pooling or dropping small arms.

    Arms with fewer than ``min_arm_size`` patients or one outcome class are pooled into
    ``"other"`` (:class:`SmallArmWarning`); the pooled stratum is dropped (warning) when it
    is itself too small or has one class.
    """
    out: dict[str, np.ndarray] = {}
    small = []
    for a in sorted(pd.unique(arm)):
        rows = np.flatnonzero(arm == a)
        if len(rows) < min_arm_size or len(np.unique(y[rows])) < 2:
            small.append(a)
        else:
            out[str(a)] = rows
    if small:
        rows = np.flatnonzero(np.isin(arm, small))
        desc = ", ".join(f"{a} (n={int((arm == a).sum())}, {int(y[arm == a].sum())} positive)"
                         for a in small)
        if len(rows) >= min_arm_size and len(np.unique(y[rows])) == 2:
            warnings.warn(f"per-arm AUROC: arms with < {min_arm_size} patients or one outcome "
                          f"class pooled into {OTHER_ARM!r}: {desc}", SmallArmWarning,
                          stacklevel=3)
            key = OTHER_ARM if OTHER_ARM not in out else f"{OTHER_ARM}(pooled)"
            out[key] = rows
        else:
            warnings.warn(f"per-arm AUROC: arms {desc} are too small or single-class even when "
                          "pooled; dropped", SmallArmWarning, stacklevel=3)
    return out


def evaluate_response(cv: ResponseCV, *, model: str = "", feature_set: str = "",
                      n_boot: int = 200, seed: int = 0, per_arm: bool = True,
                      min_arm_size: int = MIN_ARM_SIZE) -> pd.DataFrame:
    """Metrics of a cross-validation run with bootstrap 95% CIs (see the module docstring).

    Parameters
    ----------
    cv : ResponseCV
    model, feature_set : str
        Labels copied into the rows.
    n_boot : int, default=200
        Bootstrap resamples (seeded by ``seed``).
    per_arm : bool, default=True
        Add per-arm AUROC rows (needs arms in ``cv``).
    min_arm_size : int, default=10
        Smaller arms (or single-class arms) are pooled into ``"other"`` or dropped.

    Returns
    -------
    pandas.DataFrame
        Columns ``model, feature_set, validation, metric, value, ci_low, ci_high, n,
        positives``; ``attrs["note"]`` describes aggregation and CIs.
    """
    if int(n_boot) < 1:
        raise InputError("evaluate_response: n_boot must be >= 1")
    y, P, w = cv.y, cv.proba, cv.weight

    def values(rows: np.ndarray, which: str) -> np.ndarray:
        ww = None if w is None else w[rows]
        vals = []
        for p in P:
            if which == "all":
                vals.append(_metric_values(y[rows], p[rows], ww))
            else:
                vals.append([auroc(y[rows], p[rows], ww)])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(np.asarray(vals, float), axis=0)

    groups = {"cv": (np.arange(len(y)), "all")}
    if per_arm and cv.arm is not None:
        for a, rows in arm_strata(cv.arm, y, min_arm_size).items():
            groups[f"cv:arm={a}"] = (rows, "auroc")
    strata = y.astype(str) if cv.arm is None else np.array(
        [f"{a}|{b}" for a, b in zip(y, cv.arm, strict=True)])
    rng = np.random.default_rng(seed)
    points = {g: values(rows, which) for g, (rows, which) in groups.items()}
    reps = {g: [] for g in groups}
    masks = {}
    for g, (rows, _) in groups.items():
        masks[g] = np.zeros(len(y), bool)
        masks[g][rows] = True
    for _ in range(int(n_boot)):
        idx = stratified_resample(rng, strata)
        for g, (_, which) in groups.items():
            reps[g].append(values(idx[masks[g][idx]], which))
    out = []
    for g, (rows, which) in groups.items():
        names = METRICS if which == "all" else ("auroc",)
        R = np.asarray(reps[g], float)
        for j, m in enumerate(names):
            lo, hi = percentile_ci(R[:, j], points[g][j], f"{model} {feature_set} {g} {m}")
            out.append({"model": model, "feature_set": feature_set, "validation": g,
                        "metric": m, "value": float(points[g][j]), "ci_low": lo, "ci_high": hi,
                        "n": len(rows), "positives": int(y[rows].sum())})
    table = pd.DataFrame(out, columns=RESULT_COLUMNS)
    table.attrs["note"] = (
        f"{cv.settings['n_repeats']}x{cv.settings['n_splits']}-fold CV stratified on "
        f"{cv.settings['stratified_on']}; metrics on pooled out-of-fold probabilities per "
        f"repeat, averaged over repeats; 95% percentile bootstrap CI, {n_boot} resamples within "
        f"outcome{'' if cv.arm is None else ' x arm'} strata, seed {seed}"
        f"{'; IPCW-weighted' if w is not None else ''}"
    )
    return table


def response_decision_curve(cv: ResponseCV, thresholds: Sequence[float] | None = None
                            ) -> pd.DataFrame:
    """:func:`decision_curve` of the out-of-fold predictions, averaged over repeats."""
    return decision_curve(cv.y, cv.proba, thresholds, cv.weight)


# --------------------------------------------------------------------------- feature sets


def response_feature_sets(clinical: pd.DataFrame | None, features: pd.DataFrame | None,
                          sets: Sequence[str] = BASE_SETS,
                          clinical_columns: Sequence[str] = ("hr", "her2"),
                          arm_column: str | None = "arm") -> dict[str, pd.DataFrame]:
    """Tables of the three feature sets compared for response.

    ``clinical`` = ``clinical_columns`` (default HR and HER2 status) + the arm column (kept as
    text; the models one-hot code it); ``tme`` = the feature table (published signature scores
    or extracted TME features); ``clinical+tme`` = both. Clinical columns absent or entirely
    missing are left out.

    Returns
    -------
    dict
        ``set name -> DataFrame`` in the sample order of ``clinical`` (or ``features``).
    """
    def clinical_part(clinical: pd.DataFrame) -> pd.DataFrame:
        cols = [c for c in clinical_columns if c in clinical.columns
                and clinical[c].notna().any()]
        if arm_column is not None and arm_column in clinical.columns:
            cols.append(arm_column)
        if not cols:
            raise InputError(f"no clinical covariate among {list(clinical_columns)} or arm "
                             f"{arm_column!r}; use the tme feature set alone")
        clin = clinical[cols].copy()
        for c in cols:
            if c != arm_column and pd.api.types.is_numeric_dtype(clin[c]):
                clin[c] = pd.to_numeric(clin[c], errors="coerce").astype(float)
        return clin

    bad = [s for s in sets if s not in BASE_SETS]
    if bad:
        raise InputError(f"feature sets {bad} are prognosis sets; response uses {list(BASE_SETS)}")
    return _assemble_sets(clinical, features, sets, clinical_part)


def default_response_models(random_state: int = 0, quick: bool = False) -> dict[str, tuple]:
    """``name -> (estimator, param_grid)`` for the compared models (small grids).

    ``quick`` shrinks the grids and the boosting rounds (tests, smoke runs).
    """
    if quick:
        return {
            "logistic": (PenalisedLogistic(random_state=random_state), {"C": [0.05, 0.5]}),
            "xgboost": (XGBResponseClassifier(n_estimators=50, random_state=random_state),
                        None),
        }
    return {
        "logistic": (PenalisedLogistic(random_state=random_state),
                     {"C": [0.01, 0.05, 0.2, 1.0]}),
        "xgboost": (XGBResponseClassifier(random_state=random_state),
                    {"max_depth": [1, 2, 3], "n_estimators": [100, 300]}),
    }


@dataclass
class ResponseComparison:
    """Every model x feature set of one comparison.

    Attributes
    ----------
    table : pandas.DataFrame
        Concatenated :func:`evaluate_response` rows.
    runs : dict
        ``(model, feature_set) -> ResponseCV``.
    runtime_s : dict
        ``(model, feature_set) -> seconds`` of cross-validation.
    """

    table: pd.DataFrame
    runs: dict
    runtime_s: dict

    def decision_curves(self, thresholds: Sequence[float] | None = None
                        ) -> dict[str, pd.DataFrame]:
        """``"<model> / <feature set>" -> decision curve``."""
        return {f"{m} / {f}": response_decision_curve(cv, thresholds)
                for (m, f), cv in self.runs.items()}


def compare_response(feature_sets: Mapping[str, pd.DataFrame], y, *,
                     models: Mapping[str, tuple] | None = None, arm=None, sample_weight=None,
                     n_splits: int = 5, n_repeats: int = 2, inner_splits: int = 3,
                     n_boot: int = 200, random_state: int = 0, per_arm: bool = True,
                     min_arm_size: int = MIN_ARM_SIZE, n_jobs: int = 1) -> ResponseComparison:
    """Cross-validate every model on every feature set with identical splits.

    Parameters
    ----------
    feature_sets : mapping
        ``name -> table`` (e.g. from :func:`response_feature_sets`), same samples and order.
    y : array-like
        0/1 outcome.
    models : mapping, optional
        ``name -> (estimator, param_grid or None)``; default :func:`default_response_models`.
    arm : array-like, optional
        Arm per sample for stratification and per-arm AUROC (so a feature set without the arm
        column still gets per-arm rows and the same splits).
    sample_weight, n_splits, n_repeats, inner_splits, random_state, n_jobs
        See :func:`cross_validate_response`.
    n_boot, per_arm, min_arm_size
        See :func:`evaluate_response`.

    Returns
    -------
    ResponseComparison
    """
    models = default_response_models(random_state) if models is None else models
    if not feature_sets:
        raise InputError("compare_response: no feature set given")
    index = next(iter(feature_sets.values())).index
    for name, X in feature_sets.items():
        if not X.index.equals(index):
            raise InputError(f"feature set {name!r}: samples differ from the first set's; "
                             "build the sets from one cohort")
    rows, runs, runtime = [], {}, {}
    for mname, (est, grid) in models.items():
        for fname, X in feature_sets.items():
            cv = cross_validate_response(est, X, y, arm=arm, sample_weight=sample_weight,
                                         param_grid=grid, n_splits=n_splits,
                                         n_repeats=n_repeats, inner_splits=inner_splits,
                                         random_state=random_state, n_jobs=n_jobs)
            runs[(mname, fname)] = cv
            runtime[(mname, fname)] = cv.runtime_s
            rows.append(evaluate_response(cv, model=mname, feature_set=fname, n_boot=n_boot,
                                          seed=random_state, per_arm=per_arm,
                                          min_arm_size=min_arm_size))
    table = pd.concat(rows, ignore_index=True)
    table.attrs["note"] = rows[0].attrs["note"]
    return ResponseComparison(table, runs, runtime)
