"""Landmark outcome from survival data: did the event happen within ``horizon`` months?

A patient's landmark outcome is known when the event occurred by the horizon (outcome 1:
``event`` and ``time <= horizon``) or when follow-up reached the horizon event-free (outcome 0:
``time >= horizon`` without an event by then). Patients censored *before* the horizon have an
unknown outcome. Two ways to handle them (``method``):

``"ipcw"`` (default)
    Inverse probability of censoring weighting. Known patients get weight
    ``1 / G(min(T, H)-)`` with ``G`` the Kaplan-Meier estimate of the censoring distribution
    (censoring as the "event", all patients at risk until their own time; ``G(t-)`` its left
    limit) and ``H`` the horizon; patients censored before the horizon get weight 0. Known
    patients then stand in for the censored ones who resembled them in follow-up time, so
    weighted event rates estimate ``1 - S(H)`` without bias when censoring is independent of
    the outcome. The weighted event rate then reproduces 1 - Kaplan-Meier at the horizon
    (exactly when no censoring time equals an event time) and the weights sum to about n.
``"exclude"``
    Drop patients censored before the horizon (weight 0, others weight 1). Simple, but biased
    towards events: patients with short follow-up are kept only when they had the event.

Weights are estimated once on the data passed in (no outcome model is involved; the censoring
distribution is treated as known when the weighted outcome is later cross-validated).
Fit models and compute metrics on the rows with ``weight > 0`` passing ``sample_weight``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tmeprog.errors import InputError

METHODS = ("ipcw", "exclude")


def censoring_km(time: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan-Meier estimate of the censoring survivor function ``G``.

    Parameters
    ----------
    time : ndarray of float
        Follow-up times.
    event : ndarray of bool
        True for an event, False for censoring.

    Returns
    -------
    times, surv : ndarray
        Distinct censoring times and ``G`` just after each (a right-continuous step function,
        1 before the first censoring time).
    """
    time = np.asarray(time, float)
    cens = ~np.asarray(event, bool)
    times = np.unique(time[cens])
    n_risk = len(time) - np.searchsorted(np.sort(time), times, side="left")
    d = np.array([np.count_nonzero(cens & (time == t)) for t in times], dtype=float)
    return times, np.cumprod(1.0 - d / n_risk)


def _left_limit(times: np.ndarray, surv: np.ndarray, at: np.ndarray) -> np.ndarray:
    """``G(t-)``: the step function just before each ``at``."""
    i = np.searchsorted(times, at, side="left") - 1
    return np.where(i < 0, 1.0, surv[np.maximum(i, 0)])


def landmark_outcome(y, horizon: float = 60.0, method: str = "ipcw",
                     index=None) -> pd.DataFrame:
    """Binary outcome "event within ``horizon`` months" with censoring weights.

    Parameters
    ----------
    y : structured array
        ``(event, time)`` with time in months (``Cohort.survival(name)``).
    horizon : float, default=60
        Landmark horizon in months.
    method : {"ipcw", "exclude"}
        How patients censored before the horizon are handled (see the module docstring).
    index : array-like, optional
        Row labels of the result (e.g. ``cohort.samples``).

    Returns
    -------
    pandas.DataFrame
        Columns ``outcome`` (1.0, 0.0, or NaN when unknown), ``weight`` (float, 0 when
        unknown), ``known`` (bool), ``time``, ``event``. ``attrs`` hold ``horizon``, ``method``
        and counts (``n_events``, ``n_event_free``, ``n_censored_before``).
    """
    arr = np.asarray(y)
    names = arr.dtype.names
    if names is None or len(names) != 2:
        raise InputError("landmark outcome: expected a structured array (event, time); build it "
                         "with sksurv.util.Surv.from_arrays(event, time)")
    event = np.asarray(arr[names[0]])
    time = np.asarray(arr[names[1]], dtype=float)
    if event.dtype != bool:
        raise InputError(f"landmark outcome: the first field ({names[0]!r}) must be boolean")
    if not np.isfinite(time).all() or (time < 0).any():
        raise InputError("landmark outcome: survival times must be finite and >= 0 (months)")
    h = float(horizon)
    if not (np.isfinite(h) and h > 0):
        raise InputError(f"landmark outcome: horizon must be a positive number of months, "
                         f"got {horizon!r}")
    if method not in METHODS:
        raise InputError(f"landmark outcome: unknown method {method!r}; choose from "
                         f"{list(METHODS)}")
    is_event = event & (time <= h)
    is_free = time >= h
    is_free &= ~is_event
    known = is_event | is_free
    if not known.any():
        raise InputError(f"landmark outcome: every patient is censored before {h:g} months; "
                         "choose a shorter horizon")
    if not is_event.any() or not is_free.any():
        which = "no event" if not is_event.any() else "no patient followed event-free"
        raise InputError(f"landmark outcome: {which} by {h:g} months, so the outcome has a "
                         "single class; choose another horizon")
    if method == "exclude":
        weight = known.astype(float)
    else:
        g_times, g_surv = censoring_km(time, event)
        g = _left_limit(g_times, g_surv, np.minimum(time, h))
        weight = np.where(known, 1.0 / np.where(g > 0, g, np.nan), 0.0)
        if not np.isfinite(weight).all():  # G(t-) = 0 cannot happen for known rows
            raise InputError("landmark outcome: censoring survivor function is 0 at a known "
                             "patient's time; use method='exclude'")
    outcome = np.where(is_event, 1.0, np.where(is_free, 0.0, np.nan))
    out = pd.DataFrame({"outcome": outcome, "weight": weight, "known": known, "time": time,
                        "event": event}, index=None if index is None else pd.Index(index))
    out.attrs.update(horizon=h, method=method, n_events=int(is_event.sum()),
                     n_event_free=int(is_free.sum()),
                     n_censored_before=int((~known).sum()))
    return out


def landmark_target(cohort, endpoint: str, horizon: float = 60.0,
                    method: str = "ipcw") -> pd.DataFrame:
    """:func:`landmark_outcome` of a cohort's survival endpoint, indexed by sample.

    Samples without the endpoint are left out.

    Parameters
    ----------
    cohort : tmeprog.cohorts.Cohort
    endpoint : str
        Survival endpoint name (``os``, ``rfs`` ...).
    horizon, method
        See :func:`landmark_outcome`.
    """
    sub = cohort.with_endpoint(endpoint)
    out = landmark_outcome(sub.survival(endpoint), horizon, method, index=sub.samples)
    out.attrs["endpoint"] = endpoint
    return out
