"""Evaluation of cross-validated therapy-response classifiers: metrics with bootstrap CIs, per arm.

Metrics (:func:`evaluate_response`)
    Every repeat of :func:`~tmeprog.models.response_cv.cross_validate_response` gives one
    out-of-fold probability per patient (pooled over its K folds; probabilities share one
    scale). Each metric of :mod:`tmeprog.models.response_metrics` (AUROC, AUPRC, Brier,
    calibration slope and intercept) is computed on the pooled predictions of each repeat and
    averaged over repeats. With ``sample_weight`` (e.g. IPCW for a landmark outcome) every
    metric is weighted.

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

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from tmeprog.errors import InputError
from tmeprog.models.bootstrap import percentile_ci, stratified_resample
from tmeprog.models.decision_curve import decision_curve
from tmeprog.models.response import MIN_ARM_SIZE
from tmeprog.models.response_cv import ResponseCV
from tmeprog.models.response_design import OTHER_ARM, SmallArmWarning
from tmeprog.models.response_metrics import METRICS, auroc, metric_values

RESULT_COLUMNS = ["model", "feature_set", "validation", "metric", "value", "ci_low", "ci_high",
                  "n", "positives"]


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
                vals.append(metric_values(y[rows], p[rows], ww))
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
