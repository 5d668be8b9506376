"""Median imputation + standardisation, fitted on training rows only.

Every survival model runs this inside its own ``fit`` so that cross-validation never leaks test
rows into the imputation medians or scaling moments.

Documented behaviour for awkward columns (decided at ``fit``):

* all-missing column -> dropped with a :class:`FeatureDroppedWarning`;
* constant column (one distinct non-missing value) -> dropped with a warning;
* no column left -> :class:`~tmeprog.errors.InputError`.

Missing values are replaced by the training median, then every kept column is centred and
scaled by the training mean and standard deviation (ddof=0) of the imputed column.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from tmeprog.errors import InputError
from tmeprog.models.inputs import FeatureDroppedWarning, as_frame


class MedianStandardScaler(TransformerMixin, BaseEstimator):
    """Impute missing values by the median, then z-score, with moments from ``fit`` only.

    Parameters
    ----------
    drop_constant : bool, default=True
        Drop all-missing and constant columns with a warning; when False such columns raise
        :class:`~tmeprog.errors.InputError`.

    Attributes
    ----------
    feature_names_in_ : ndarray of str
        Columns seen in ``fit``.
    features_out_ : list of str
        Columns kept.
    dropped_ : dict
        ``column -> reason`` for dropped columns.
    medians_, means_, scales_ : pandas.Series
        Per kept column.
    """

    def __init__(self, drop_constant: bool = True):
        self.drop_constant = drop_constant

    def fit(self, X, y=None):
        """Learn medians and moments of the kept columns of ``X``."""
        df = as_frame(X)
        a = df.to_numpy()
        lo, hi = np.fmin.reduce(a, axis=0), np.fmax.reduce(a, axis=0)  # NaN ignored
        empty = np.isnan(hi)
        constant = lo == hi
        keep = ~(empty | constant)
        dropped = {col: "all values missing" if e else "constant"
                   for col, e, k in zip(df.columns, empty, keep, strict=True) if not k}
        if dropped and not self.drop_constant:
            raise InputError(
                f"features {sorted(dropped)[:5]} are all-missing or constant in the training "
                "data; remove them or allow dropping (drop_constant=True)"
            )
        if dropped:
            warnings.warn(
                f"dropped {len(dropped)} feature(s) before fitting: "
                + ", ".join(f"{k} ({v})" for k, v in list(dropped.items())[:5]),
                FeatureDroppedWarning, stacklevel=2,
            )
        kept = list(df.columns[keep])
        if not kept:
            raise InputError(
                "no usable feature left: every column is all-missing or constant in the "
                "training data"
            )
        sub = a[:, keep]
        med = np.nanmedian(sub, axis=0)
        imp = _filled(sub, med)
        mean = imp.mean(axis=0)
        sd = imp.std(axis=0)  # ddof=0
        sd[sd <= 0] = 1.0  # cannot happen for kept columns; guards round-off
        med, mean, sd = (pd.Series(v, index=kept) for v in (med, mean, sd))
        self.feature_names_in_ = np.asarray(df.columns, dtype=object)
        self.n_features_in_ = df.shape[1]
        self.features_out_ = kept
        self.dropped_ = dropped
        self.medians_, self.means_, self.scales_ = med, mean, sd
        return self

    def transform(self, X) -> pd.DataFrame:
        """Impute and standardise ``X`` with the fitted statistics."""
        check_is_fitted(self, "features_out_")
        df = align_columns(as_frame(X), list(self.feature_names_in_))[self.features_out_]
        z = (_filled(df.to_numpy(), self.medians_.to_numpy()) - self.means_.to_numpy()) \
            / self.scales_.to_numpy()
        return pd.DataFrame(z, index=df.index, columns=df.columns)

    def get_feature_names_out(self, input_features=None):
        """Names of the kept columns."""
        check_is_fitted(self, "features_out_")
        return np.asarray(self.features_out_, dtype=object)


def _filled(a: np.ndarray, values: np.ndarray) -> np.ndarray:
    """A copy of ``a`` with each column's NaN replaced by that column's entry of ``values``."""
    out = np.array(a, dtype=float, copy=True)
    rows, cols = np.nonzero(np.isnan(out))
    out[rows, cols] = values[cols]
    return out


def align_columns(df: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Reorder ``df`` to ``names``; raise naming what is missing."""
    missing = [c for c in names if c not in df.columns]
    if missing:
        raise InputError(
            f"features missing at prediction: {missing[:5]} ({len(missing)} of {len(names)}); "
            "pass the same columns the model was fitted on"
        )
    return df[names]
