"""Input checks and shared base class of the therapy-response classifiers (pCR, landmark events).

The classifiers (:class:`~tmeprog.models.response_logistic.PenalisedLogistic`,
:class:`~tmeprog.models.response_xgb.XGBResponseClassifier`) follow scikit-learn conventions
(parameters stored as given, validation in ``fit``, fitted attributes ending in ``_``,
``clone``-able) and share one input handling:

``fit(X, y, sample_weight=None)``
    ``X`` a samples x columns DataFrame. Numeric columns holding only 0/1 are *binary* (median
    imputed, kept 0/1); other numeric columns are *continuous* (training-median imputation, then
    z-scored with training moments, so effects are per SD); non-numeric columns are categorical
    and one-hot coded against their most frequent training level (missing = its own level
    ``NA``). All-missing or constant columns are dropped with a :class:`ColumnDroppedWarning`.
    The column named ``arm_column`` (default ``"arm"``) is the treatment arm: arms with
    fewer than ``min_arm_size`` training patients are pooled into one level ``"other"`` with a
    :class:`SmallArmWarning`. ``y`` holds 0/1 labels only (bool or 0/1 numbers; anything else
    raises :class:`~tmeprog.errors.InputError`, as does a single class). Rows with
    ``sample_weight == 0`` are dropped first, so a landmark outcome (NaN where unknown, weight 0)
    can be passed as is.
``predict_proba(X)``
    ``(n, 2)`` array, columns P(y=0), P(y=1). Categorical levels not seen in ``fit`` get all-zero
    dummies (the reference level) with an :class:`UnseenLevelWarning`.
``summary()``
    A DataFrame; ``summary().attrs["note"]`` says how it was obtained.

The coding itself and its warnings live in :mod:`tmeprog.models.response_design`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from tmeprog.errors import InputError
from tmeprog.models.inputs import duplicated_names, frame_2d
from tmeprog.models.response_design import _is_numeric, _numeric, fit_design, transform_design

MIN_ARM_SIZE = 10
"""Arms with fewer training patients are pooled into ``"other"`` (with a warning)."""


# --------------------------------------------------------------------------- input checks


def as_table(X, where: str = "X") -> pd.DataFrame:
    """``X`` as a DataFrame with string column names; numeric and categorical columns allowed.

    Arrays get columns ``x0, x1, ...``. Empty tables, duplicated names and infinite values raise
    :class:`~tmeprog.errors.InputError`.
    """
    df = frame_2d(X, where).copy()
    if df.shape[0] == 0 or df.shape[1] == 0:
        raise InputError(f"{where}: empty table {df.shape}; pass at least one sample and column")
    df.columns = [str(c) for c in df.columns]
    if df.columns.has_duplicates:
        raise InputError(f"{where}: duplicated column names {duplicated_names(df.columns)}; "
                         "rename them")
    num = [c for c in df.columns if _is_numeric(df[c])]
    if num:
        inf = np.isinf(_numeric(df, num).to_numpy()).any(axis=0)
        if inf.any():
            raise InputError(f"{where}: infinite values in columns "
                             f"{[c for c, b in zip(num, inf, strict=True) if b][:5]}; replace "
                             "them by NaN")
    return df


def check_binary_target(y, n_samples: int | None = None, where: str = "y") -> np.ndarray:
    """Validate 0/1 labels and return them as an int array.

    Accepts bools and numbers equal to 0 or 1 (any numeric dtype). Missing values, other values,
    a wrong length or a single class raise :class:`~tmeprog.errors.InputError`.
    """
    s = y.iloc[:, 0] if isinstance(y, pd.DataFrame) and y.shape[1] == 1 else y
    arr = np.asarray(s.to_numpy() if isinstance(s, pd.Series | pd.DataFrame) else s, dtype=object)
    if arr.ndim != 1:
        raise InputError(f"{where}: expected one label per sample (1-D), got shape {arr.shape}")
    if n_samples is not None and len(arr) != n_samples:
        raise InputError(f"{where}: {len(arr)} labels for {n_samples} samples")
    ok = np.array([isinstance(v, bool | np.bool_) or (isinstance(v, int | float | np.number)
                   and not isinstance(v, complex) and v in (0, 1)) for v in arr], dtype=bool)
    if not ok.all():
        bad = pd.unique(pd.Series(arr[~ok], dtype=object).astype(str))[:5].tolist()
        raise InputError(f"{where}: labels must be 0/1 (or True/False); found {bad} in "
                         f"{int((~ok).sum())} rows; recode the outcome, drop unknown rows, or give "
                         "them sample_weight 0")
    out = arr.astype(float).astype(int)
    if len(np.unique(out)) < 2:
        raise InputError(f"{where}: only class {int(out[0])} among {len(out)} samples; a "
                         "classifier needs both responders (1) and non-responders (0)")
    return out


def check_sample_weight(sample_weight, n_samples: int, where: str = "sample_weight"
                        ) -> np.ndarray | None:
    """None or a finite, non-negative float array of length ``n_samples`` with a positive sum."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=float).ravel()
    if len(w) != n_samples:
        raise InputError(f"{where}: {len(w)} weights for {n_samples} samples")
    if not np.isfinite(w).all() or (w < 0).any():
        raise InputError(f"{where}: weights must be finite and >= 0")
    if w.sum() <= 0:
        raise InputError(f"{where}: every weight is 0; nothing to fit")
    return w


def check_aligned(X: pd.DataFrame, y, where: str) -> None:
    """Raise when pandas labels and table carry different row indexes."""
    if isinstance(y, pd.Series | pd.DataFrame) and isinstance(X, pd.DataFrame):
        if len(y) == len(X) and not y.index.equals(X.index):
            raise InputError(f"{where}: the labels' index differs from the feature table's; "
                             "align them (y.loc[X.index]) or pass plain arrays")


def prepare_fit_inputs(X, y, sample_weight, where: str
                       ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray | None]:
    """Checked table, labels and weights, with zero-weight rows removed."""
    df = as_table(X, "X")
    check_aligned(df, y, where)
    w = check_sample_weight(sample_weight, len(df))
    if w is not None and (w == 0).any():
        keep = w > 0
        df = df.loc[keep]
        y = np.asarray(y.to_numpy() if isinstance(y, pd.Series | pd.DataFrame) else y,
                       dtype=object)[keep]
        w = w[keep]
    yy = check_binary_target(y, len(df), f"{where}: y")
    return df, yy, w


# --------------------------------------------------------------------------- shared base


class ResponseModel(ClassifierMixin, BaseEstimator):
    """Base: subclasses implement ``_fit_design``, ``_margin`` and ``summary``."""

    _interaction = False

    def fit(self, X, y, sample_weight=None):
        """Fit the design (imputation, scaling, coding) and the model on training rows.

        Parameters
        ----------
        X : pandas.DataFrame of shape (n_samples, n_columns)
            Features and clinical covariates (numeric or categorical); NaN allowed.
        y : array-like of shape (n_samples,)
            0/1 outcome (1 = response, e.g. pCR, or event by the landmark).
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights (e.g. IPCW); rows with weight 0 are dropped.

        Returns
        -------
        self
        """
        name = type(self).__name__
        df, yy, w = prepare_fit_inputs(X, y, sample_weight, name)
        if int(self.min_arm_size) < 1:
            raise InputError(f"{name}: min_arm_size must be >= 1")
        design = fit_design(df, arm_column=self.arm_column, min_arm_size=int(self.min_arm_size),
                            interaction=self._interaction,
                            interaction_features=getattr(self, "interaction_features", None),
                            where=name)
        Z = transform_design(design, df, name)
        self.design_ = design
        self.feature_names_in_ = np.asarray(df.columns, dtype=object)
        self.n_features_in_ = df.shape[1]
        self.classes_ = np.array([0, 1])
        self.n_train_ = len(yy)
        self.n_positive_ = int(yy.sum())
        self.weighted_ = w is not None
        self._fit_design(Z, yy, w)
        return self

    def _design(self, X) -> pd.DataFrame:
        check_is_fitted(self, "design_")
        return transform_design(self.design_, as_table(X, "X"), type(self).__name__)

    def decision_function(self, X) -> np.ndarray:
        """Log-odds of response."""
        return self._margin(self._design(X))

    def predict_proba(self, X) -> np.ndarray:
        """``(n, 2)`` array of P(y=0), P(y=1)."""
        p = special.expit(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X) -> np.ndarray:
        """0/1 at probability 0.5."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


#: Names defined here before the response classifiers got modules of their own: models pickled
#: then refer to them by this module, and still load.
_MOVED = {"PenalisedLogistic": "tmeprog.models.response_logistic",
          "wald_refit": "tmeprog.models.response_logistic",
          "XGBResponseClassifier": "tmeprog.models.response_xgb"}


def __getattr__(name: str):
    if name in _MOVED:
        import importlib  # deferred: the modules named in _MOVED import this one

        return getattr(importlib.import_module(_MOVED[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
