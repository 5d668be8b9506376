"""Metrics of predicted response probabilities, each optionally weighted (e.g. IPCW).

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
"""

from __future__ import annotations

import numpy as np
from scipy import special

METRICS = ("auroc", "auprc", "brier", "calibration_slope", "calibration_intercept")
_EPS = 1e-6


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


def metric_values(y, p, w) -> np.ndarray:
    """Every metric of :data:`METRICS`, in that order."""
    slope, inter = calibration(y, p, w)
    return np.array([auroc(y, p, w), auprc(y, p, w), brier(y, p, w), slope, inter])
