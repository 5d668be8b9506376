"""Survival metrics on held-out predictions (scikit-survival implementations).

=====================  ===============================================  ====================
key                    estimator                                         needs
=====================  ===============================================  ====================
``harrell_c``          ``sksurv.metrics.concordance_index_censored``     risk
``uno_c``              ``sksurv.metrics.concordance_index_ipcw``         risk, training y
``td_auc_3y``/``5y``   ``sksurv.metrics.cumulative_dynamic_auc``         risk, training y
``ibs``                ``sksurv.metrics.integrated_brier_score``         S(t) on a grid
``calibration_slope``  Cox regression of outcome on log(-log S(h))       S(h)
=====================  ===============================================  ====================

Inverse-probability-of-censoring weights come from the Kaplan-Meier of censoring in a
*censoring sample* (``y_train`` argument, as scikit-survival names it): the training split in
cross-validation, the held-out cohort itself in leave-one-cohort-out (see
:func:`tmeprog.models.evaluation.evaluate`). For the time-dependent AUC and the Brier score,
follow-up of both samples is truncated just after the last time evaluated; this leaves the
estimates unchanged (weights are only needed up to that time) and avoids scikit-survival's
error when the censoring curve reaches zero later on.

A horizon is *inside the test follow-up* when it lies before the last test and training time,
at least one test event occurs by then, and at least ``min_at_risk`` (default 5) test samples
are still followed beyond it. Outside, time-dependent metrics are NaN with a
:class:`~tmeprog.models.inputs.HorizonWarning` - never a silent number.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from tmeprog.errors import InputError
from tmeprog.models.inputs import HorizonWarning

MIN_AT_RISK = 5


def horizon_key(months: float) -> str:
    """Metric suffix for a horizon: ``3y`` for 36 months, ``18m`` for 18."""
    m = float(months)
    return f"{m / 12:g}y" if m % 12 == 0 else f"{m:g}m"


def harrell_c(y: np.ndarray, risk: np.ndarray) -> float:
    """Harrell's C (``concordance_index_censored``); ties in risk count one half.

    Parameters
    ----------
    y : structured array
        ``(event, time)`` of the evaluation samples.
    risk : ndarray
        Higher = worse prognosis.
    """
    # deferred: keeps `import tmeprog.models` (and `tmeprog models`) free of scikit-survival
    from sksurv.metrics import concordance_index_censored

    if not y["event"].any():
        raise InputError("Harrell's C: every evaluation sample is censored; no comparable pair")
    try:
        return float(concordance_index_censored(y["event"], y["time"], np.asarray(risk))[0])
    except ValueError as exc:
        raise InputError(f"Harrell's C: {exc}") from exc


def uno_c(y_train: np.ndarray, y_test: np.ndarray, risk: np.ndarray, tau: float) -> float:
    """Uno's C (``concordance_index_ipcw``) truncated at ``tau`` months.

    ``tau`` is lowered to just below the last time of the censoring sample ``y_train`` when it
    exceeds it (the censoring distribution is unknown beyond).
    """
    # deferred: keeps `import tmeprog.models` (and `tmeprog models`) free of scikit-survival
    from sksurv.metrics import concordance_index_ipcw

    tau_eff = min(float(tau), float(np.nextafter(y_train["time"].max(), 0)))
    if not (y_test["event"] & (y_test["time"] < tau_eff)).any():
        raise InputError(f"Uno's C: no test event before tau={tau_eff:g} months")
    try:
        return float(concordance_index_ipcw(y_train, y_test, np.asarray(risk), tau=tau_eff)[0])
    except ValueError as exc:
        raise InputError(f"Uno's C: {exc}") from exc


def horizon_support(y_test: np.ndarray, horizon: float, y_train: np.ndarray | None = None,
                    min_at_risk: int = MIN_AT_RISK) -> str | None:
    """Why ``horizon`` is outside the test follow-up, or None when it is inside."""
    t, e = y_test["time"], y_test["event"]
    if horizon >= t.max():
        return f"{horizon:g} months is at or beyond the last test time ({t.max():g})"
    if y_train is not None and horizon >= y_train["time"].max():
        return f"{horizon:g} months is at or beyond the last training time"
    if not (e & (t <= horizon)).any():
        return f"no test event by {horizon:g} months"
    n_risk = int((t > horizon).sum())
    if n_risk < min_at_risk:
        return f"only {n_risk} test samples followed beyond {horizon:g} months (< {min_at_risk})"
    return None


def _truncate(y: np.ndarray, cut: float) -> np.ndarray:
    out = y.copy()
    out["event"] = y["event"] & (y["time"] <= cut)
    out["time"] = np.minimum(y["time"], cut)
    return out


def td_auc(y_train: np.ndarray, y_test: np.ndarray, risk: np.ndarray, horizon: float,
           min_at_risk: int = MIN_AT_RISK, warn: bool = True) -> float:
    """Cumulative/dynamic AUC at ``horizon`` months (``cumulative_dynamic_auc``), or NaN."""
    return float(td_aucs(y_train, y_test, risk, [horizon], min_at_risk, warn)[0])


def td_aucs(y_train: np.ndarray, y_test: np.ndarray, risk: np.ndarray, horizons,
            min_at_risk: int = MIN_AT_RISK, warn: bool = True,
            reasons: list | None = None) -> np.ndarray:
    """:func:`td_auc` at several horizons in one scikit-survival call; NaN where outside the
    follow-up (reasons appended to ``reasons`` when given)."""
    # deferred: keeps `import tmeprog.models` (and `tmeprog models`) free of scikit-survival
    from sksurv.metrics import cumulative_dynamic_auc

    horizons = [float(h) for h in horizons]
    out = np.full(len(horizons), np.nan)
    ok = []
    for j, h in enumerate(horizons):
        why = horizon_support(y_test, h, y_train, min_at_risk)
        if why is None:
            ok.append(j)
            continue
        if warn:
            warnings.warn(f"td AUC at {h:g} months: {why}; NaN", HorizonWarning, stacklevel=2)
        if reasons is not None:
            reasons.append((j, why))
    if not ok:
        return out
    hs = [horizons[j] for j in ok]
    cut = float(np.nextafter(max(hs), np.inf))
    try:
        auc, _ = cumulative_dynamic_auc(_truncate(y_train, cut), _truncate(y_test, cut),
                                        np.asarray(risk), hs)
    except ValueError as exc:
        if warn:
            warnings.warn(f"td AUC at {hs} months: {exc}; NaN", HorizonWarning, stacklevel=2)
        if reasons is not None:
            reasons.extend((j, str(exc)) for j in ok)
        return out
    out[ok] = auc
    return out


def ibs_grid(y_train: np.ndarray, y_test: np.ndarray, n_points: int = 20,
             quantiles: tuple[float, float] = (0.2, 0.8)) -> np.ndarray:
    """Integration grid of the integrated Brier score: ``n_points`` evenly spaced between two
    quantiles of the observed test times, capped below the last training time."""
    lo, hi = np.quantile(y_test["time"], quantiles)
    hi = min(hi, float(np.nextafter(y_train["time"].max(), 0)))
    if not hi > lo:
        raise InputError(f"integrated Brier score: empty time window [{lo:g}, {hi:g}] months")
    return np.linspace(lo, hi, int(n_points))


def integrated_brier(y_train: np.ndarray, y_test: np.ndarray, surv: np.ndarray,
                     times: np.ndarray) -> float:
    """Integrated Brier score (``integrated_brier_score``) of S(t) predicted on ``times``."""
    # deferred: keeps `import tmeprog.models` (and `tmeprog models`) free of scikit-survival
    from sksurv.metrics import integrated_brier_score

    cut = float(np.nextafter(float(np.max(times)), np.inf))
    try:
        return float(integrated_brier_score(_truncate(y_train, cut), _truncate(y_test, cut),
                                            np.asarray(surv), times))
    except ValueError as exc:
        raise InputError(f"integrated Brier score: {exc}") from exc


def _cll(surv_h: np.ndarray) -> np.ndarray:
    s = np.clip(np.asarray(surv_h, float), 1e-12, 1 - 1e-12)
    return np.log(-np.log(s))


def cox_slope(x: np.ndarray, time: np.ndarray, event: np.ndarray, max_iter: int = 50,
              tol: float = 1e-9) -> float:
    """Coefficient of a one-covariate Cox model (Efron ties; Newton-Raphson); NaN if it
    does not converge."""
    x = np.asarray(x, float)
    x = x - x.mean()
    time = np.asarray(time, float)
    event = np.asarray(event, bool)
    ev_t, d = np.unique(time[event], return_counts=True)
    if ev_t.size == 0:
        return float("nan")
    # risk set of event time k: time >= ev_t[k]; deaths: time == ev_t[k] & event
    order = np.argsort(time, kind="mergesort")
    ts, xs = time[order], x[order]
    start = np.searchsorted(ts, ev_t, side="left")  # first index at risk, sorted ascending
    pos_d = np.searchsorted(ev_t, time[event])  # event time index of each death
    x_d = x[event]
    rep = np.repeat(np.arange(ev_t.size), d)  # Efron: d_k terms per event time
    frac = np.concatenate([np.arange(k) / k for k in d])
    sum_xd = x_d.sum()
    beta = 0.0
    for _ in range(max_iter):
        w = np.exp(beta * xs)
        tail = lambda v: np.cumsum(v[::-1])[::-1]  # noqa: E731 - sums over t >= ev_t
        s0r, s1r, s2r = (tail(w)[start], tail(w * xs)[start], tail(w * xs * xs)[start])
        wd = np.exp(beta * x_d)
        s0d = np.bincount(pos_d, wd, ev_t.size)
        s1d = np.bincount(pos_d, wd * x_d, ev_t.size)
        s2d = np.bincount(pos_d, wd * x_d * x_d, ev_t.size)
        a = s0r[rep] - frac * s0d[rep]
        b = s1r[rep] - frac * s1d[rep]
        c = s2r[rep] - frac * s2d[rep]
        grad = sum_xd - np.sum(b / a)
        hess = -np.sum(c / a - (b / a) ** 2)
        if not np.isfinite(hess) or hess >= 0:
            return float("nan")
        step = grad / hess
        beta -= step
        if not np.isfinite(beta) or abs(beta) > 50:
            return float("nan")
        if abs(step) < tol:
            return float(beta)
    return float("nan")


def calibration_slope(y: np.ndarray, surv_h: np.ndarray, horizon: float,
                      min_at_risk: int = MIN_AT_RISK, warn: bool = True) -> float:
    """Calibration slope at ``horizon``: Cox regression, with follow-up censored at the horizon,
    of the outcome on log(-log S(horizon)) (1 = ideal, < 1 = predictions too extreme)."""
    why = horizon_support(y, horizon, None, min_at_risk)
    if why is None and np.ptp(_cll(surv_h)) < 1e-10:
        why = "predictions are identical for every sample"
    if why is not None:
        if warn:
            warnings.warn(f"calibration slope at {horizon:g} months: {why}; NaN", HorizonWarning,
                          stacklevel=2)
        return float("nan")
    t = np.minimum(y["time"], horizon)
    e = y["event"] & (y["time"] <= horizon)
    return cox_slope(_cll(surv_h), t, e)


def calibration_table(y: np.ndarray, surv_h: np.ndarray, horizon: float,
                      n_groups: int = 3) -> pd.DataFrame:
    """Observed vs predicted event probability at ``horizon`` by predicted-risk group.

    Groups are equal-sized by rank of predicted risk (tertiles for ``n_groups=3``; group 1 =
    lowest risk). Observed = 1 - Kaplan-Meier at the horizon with a log-log 95% CI
    (``sksurv.nonparametric.kaplan_meier_estimator``); NaN where the group's follow-up ends
    before the horizon.
    """
    # deferred: keeps `import tmeprog.models` (and `tmeprog models`) free of scikit-survival
    from sksurv.nonparametric import kaplan_meier_estimator

    pred = 1 - np.asarray(surv_h, float)
    rank = pd.Series(pred).rank(method="first").to_numpy()
    group = np.ceil(rank * n_groups / len(pred)).astype(int)
    rows = []
    for g in range(1, n_groups + 1):
        m = group == g
        yt, ye = y["time"][m], y["event"][m]
        obs = lo = hi = np.nan
        if m.sum() > 1 and ye.any() and yt.max() >= horizon:
            times, prob, ci = kaplan_meier_estimator(ye, yt, conf_type="log-log")
            i = np.searchsorted(times, horizon, side="right") - 1
            s, slo, shi = (1.0, 1.0, 1.0) if i < 0 else (prob[i], ci[0][i], ci[1][i])
            obs, lo, hi = 1 - s, 1 - shi, 1 - slo
        rows.append({"group": g, "n": int(m.sum()), "events": int((ye & (yt <= horizon)).sum()),
                     "predicted": float(pred[m].mean()), "observed": float(obs),
                     "observed_low": float(lo), "observed_high": float(hi)})
    out = pd.DataFrame(rows)
    out.attrs["horizon"] = float(horizon)
    return out
