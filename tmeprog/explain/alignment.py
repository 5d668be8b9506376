"""Alignment of input tables to the features a model was fitted on."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from tmeprog.errors import InputError


class ExtraColumnsWarning(UserWarning):
    """Input columns the model does not use were ignored."""


def align_features(X, names: Sequence[str] | None, where: str = "X",
                   n_features: int | None = None) -> pd.DataFrame:
    """Return ``X`` as a float DataFrame whose columns are exactly ``names``, in that order.

    Parameters
    ----------
    X : pandas.DataFrame or array-like
        Samples x features. Frames are matched by column name: missing model features raise
        :class:`~tmeprog.errors.InputError` naming them, extra columns are dropped with an
        :class:`ExtraColumnsWarning`, order is fixed. Arrays are taken positionally and must
        have exactly ``len(names)`` columns.
    names : sequence of str or None
        Features of the model, in fit order; None when the model does not record names.
    where : str
        Name used in messages.
    n_features : int or None
        Expected width when ``names`` is None.

    Returns
    -------
    pandas.DataFrame
    """
    if isinstance(X, pd.DataFrame):
        df = X
    else:
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise InputError(f"{where}: expected a 2-D samples x features table, got {arr.ndim}-D")
        cols = list(names) if names is not None and len(names) == arr.shape[1] else [
            f"x{i}" for i in range(arr.shape[1])]
        if names is not None and len(names) != arr.shape[1]:
            raise InputError(
                f"{where}: array with {arr.shape[1]} columns but the model has {len(names)} "
                f"features ({list(names)[:5]}...); pass a DataFrame with named columns")
        df = pd.DataFrame(arr, columns=cols)
    if df.shape[0] == 0:
        raise InputError(f"{where}: no samples to explain")
    if df.columns.has_duplicates:
        dup = df.columns[df.columns.duplicated()].unique()[:5].tolist()
        raise InputError(f"{where}: duplicated columns {dup}; each feature must appear once")
    if names is not None:
        names = [str(c) for c in names]
        df = df.rename(columns=str)
        missing = [c for c in names if c not in df.columns]
        if missing:
            raise InputError(
                f"{where} lacks {len(missing)} of the {len(names)} features the model was "
                f"fitted on: {missing[:10]}; pass a table with these columns (same names as at "
                "fit)")
        extra = [c for c in df.columns if c not in set(names)]
        if extra:
            warnings.warn(f"{where}: ignoring {len(extra)} column(s) the model does not use: "
                          f"{extra[:5]}", ExtraColumnsWarning, stacklevel=3)
        df = df[names]
    elif n_features is not None and df.shape[1] != n_features:
        raise InputError(f"{where} has {df.shape[1]} columns but the model was fitted on "
                         f"{n_features} features")
    bad = [c for c, dt in df.dtypes.items()
           if not (pd.api.types.is_numeric_dtype(dt) or pd.api.types.is_bool_dtype(dt))]
    if bad:
        raise InputError(f"{where}: non-numeric columns {bad[:5]}; code them numerically")
    return df.astype(float)
