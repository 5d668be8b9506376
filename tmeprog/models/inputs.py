"""Input checks shared by the survival models: feature tables, survival targets, warnings.

Models take plain :class:`pandas.DataFrame` feature tables (samples x features, numeric, NaN
allowed) and scikit-survival structured arrays ``(event, time)`` with time in months.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tmeprog.errors import InputError

MIN_EVENTS = 10
"""Fewest events a model may be fitted on."""


class FeatureDroppedWarning(UserWarning):
    """A feature was dropped before fitting (all missing, or constant)."""


class UndefinedMetricWarning(UserWarning):
    """A metric cannot be computed on some evaluation data (e.g. no event); the value is NaN."""


class HorizonWarning(UndefinedMetricWarning):
    """A time horizon lies beyond what the data can support; the value is NaN."""


class BootstrapWarning(UserWarning):
    """Too many bootstrap resamples failed; the interval is NaN."""


def frame_2d(X, where: str = "X") -> pd.DataFrame:
    """``X`` itself when it is a DataFrame, else a 2-D array-like with columns ``x0, x1, ...``.

    Raises :class:`~tmeprog.errors.InputError` naming ``where`` when the array is not 2-D.
    """
    if isinstance(X, pd.DataFrame):
        return X
    arr = np.asarray(X)
    if arr.ndim != 2:
        raise InputError(f"{where}: expected a 2-D samples x features table, got {arr.ndim}-D")
    return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])


def duplicated_names(columns: pd.Index) -> list:
    """Up to five distinct names that occur more than once in ``columns``."""
    return columns[columns.duplicated()].unique()[:5].tolist()


def as_frame(X, where: str = "X") -> pd.DataFrame:
    """Return ``X`` as a float DataFrame with string column names.

    Parameters
    ----------
    X : pandas.DataFrame or array-like of shape (n_samples, n_features)
        Feature table; arrays get columns ``x0, x1, ...``.
    where : str
        Name used in error messages.

    Returns
    -------
    pandas.DataFrame
        Float copy; NaN kept, infinities rejected.
    """
    df = frame_2d(X, where)
    if df.shape[1] == 0 or df.shape[0] == 0:
        raise InputError(f"{where}: empty feature table {df.shape}; pass at least one feature")
    if df.columns.has_duplicates:
        raise InputError(f"{where}: duplicated feature names {duplicated_names(df.columns)}; "
                         "rename them")
    bad = [c for c, dt in df.dtypes.items()
           if not (pd.api.types.is_numeric_dtype(dt) or pd.api.types.is_bool_dtype(dt))]
    if bad:
        raise InputError(
            f"{where}: non-numeric columns {bad[:5]}; code categorical covariates numerically"
        )
    out = df.astype(float)
    out.columns = [str(c) for c in out.columns]
    vals = out.to_numpy()
    if np.isinf(vals).any():
        cols = out.columns[np.isinf(vals).any(axis=0)].tolist()
        raise InputError(f"{where}: infinite values in {cols[:5]}; replace them by NaN or finite")
    return out


def check_survival_y(y, n_samples: int | None = None, where: str = "y",
                     min_events: int | None = MIN_EVENTS) -> np.ndarray:
    """Validate a survival target and return it as ``[("event", bool), ("time", float)]``.

    Parameters
    ----------
    y : structured array
        Two fields: event indicator (bool) then time (months), as made by
        ``sksurv.util.Surv.from_arrays(event, time)``.
    n_samples : int, optional
        Expected length.
    where : str
        Name used in error messages.
    min_events : int or None
        Raise when fewer events are present (None: no minimum).

    Returns
    -------
    numpy.ndarray
        Structured copy with fields ``event`` and ``time``.
    """
    arr = np.asarray(y)
    names = arr.dtype.names
    if names is None or len(names) != 2:
        raise InputError(
            f"{where}: expected a structured array (event, time); build it with "
            "sksurv.util.Surv.from_arrays(event, time)"
        )
    event = np.asarray(arr[names[0]])
    time = np.asarray(arr[names[1]], dtype=float)
    if event.dtype != bool:
        raise InputError(f"{where}: the first field ({names[0]!r}) must be boolean events")
    if n_samples is not None and len(arr) != n_samples:
        raise InputError(f"{where}: {len(arr)} survival records for {n_samples} samples")
    if not np.isfinite(time).all() or (time <= 0).any():
        raise InputError(f"{where}: survival times must be finite and > 0 (months)")
    if min_events is not None and event.sum() < min_events:
        raise InputError(
            f"{where}: only {int(event.sum())} events among {len(arr)} samples; at least "
            f"{min_events} are needed to fit a survival model (pool cohorts or use a longer "
            "endpoint)"
        )
    out = np.empty(len(arr), dtype=[("event", bool), ("time", float)])
    out["event"] = event
    out["time"] = time
    return out


def check_horizons(horizons, where: str = "horizons") -> np.ndarray:
    """Sorted unique positive finite horizons (months) as a float array."""
    h = np.atleast_1d(np.asarray(horizons, dtype=float))
    if h.size == 0 or not np.isfinite(h).all() or (h < 0).any():
        raise InputError(f"{where}: need one or more finite, non-negative times in months")
    return np.unique(h)
