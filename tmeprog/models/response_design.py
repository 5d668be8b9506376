"""Design matrix of the response classifiers: how raw columns become model terms.

:func:`fit_design` learns, on training rows only, which numeric columns are continuous
(median-imputed, z-scored) or binary (median-imputed, kept 0/1), the levels of categorical columns
(one-hot against the most frequent level; missing is the level ``NA``), the pooling of small arms
into ``"other"`` and the arm x feature interaction terms; :func:`transform_design` applies it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tmeprog.errors import InputError

OTHER_ARM = "other"
MISSING_LEVEL = "NA"


class SmallArmWarning(UserWarning):
    """An arm has too few patients (or a single outcome class); it is pooled or dropped."""


class ColumnDroppedWarning(UserWarning):
    """A column was dropped before fitting (all missing, constant, or a single level)."""


class UnseenLevelWarning(UserWarning):
    """A categorical level at prediction was not seen in ``fit``; it is coded as the reference."""


def _numeric(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Float copy of numeric columns (nullable integers and booleans: NA -> NaN)."""
    try:
        return df[cols].astype(float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"columns {cols[:5]} ...: expected numbers ({exc}); pass the numeric "
                         "columns the model was fitted on") from exc


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)


@dataclass
class Design:
    """How raw columns become model terms (fitted on training rows only).

    Attributes
    ----------
    columns_in : list of str
        Raw columns seen in ``fit``.
    continuous, binary : list of str
        Numeric columns kept, by kind (continuous ones are z-scored).
    categorical : dict
        ``column -> (levels, reference)`` with levels after pooling small arms.
    arm_column : str or None
        The arm column when present.
    arm_map : dict
        Raw arm -> arm level (small arms -> ``"other"``).
    arm_counts : dict
        Training patients per arm level.
    interaction : list of str
        Features interacted with arm.
    terms : pandas.DataFrame
        One row per design column: ``kind``, ``feature``, ``level``, ``scale``.
    """

    columns_in: list
    continuous: list
    binary: list
    categorical: dict
    arm_column: str | None
    arm_map: dict
    arm_counts: dict
    interaction: list
    medians: pd.Series
    means: pd.Series
    scales: pd.Series
    terms: pd.DataFrame

    @property
    def columns(self) -> list[str]:
        return list(self.terms.index)

    @property
    def arm_levels(self) -> list[str]:
        return self.categorical[self.arm_column][0] if self.arm_column else []


def _levels(s: pd.Series) -> pd.Series:
    return s.astype(object).where(s.notna(), MISSING_LEVEL).astype(str)


def fit_design(df: pd.DataFrame, *, arm_column: str | None, min_arm_size: int,
               interaction: bool, interaction_features=None, where: str = "X") -> Design:
    """Learn the design (kinds, levels, imputation, scaling, interactions) from training rows."""
    arm_col = arm_column if arm_column is not None and arm_column in df.columns else None
    if interaction and arm_col is None:
        raise InputError(f"{where}: arm_interaction=True needs the arm column {arm_column!r} in X "
                         f"(columns: {list(df.columns)[:8]} ...); add it or turn the option off")
    cats = [c for c in df.columns if c == arm_col or not _is_numeric(df[c])]
    num = [c for c in df.columns if c not in cats]
    continuous, binary = [], []
    if num:
        v = _numeric(df, num).to_numpy()
        seen = ~np.isnan(v)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
            lo, hi = np.nanmin(v, axis=0), np.nanmax(v, axis=0)
        unusable = ~seen.any(axis=0) | (lo == hi)
        if unusable.any():
            bad = [c for c, u in zip(num, unusable, strict=True) if u]
            warnings.warn(f"{where}: dropped {len(bad)} all-missing or constant column(s) before "
                          f"fitting: {bad[:5]}", ColumnDroppedWarning, stacklevel=3)
        is_bin = (np.where(seen, (v == 0) | (v == 1), True)).all(axis=0)
        for c, u, b in zip(num, unusable, is_bin, strict=True):
            if not u:
                (binary if b else continuous).append(c)
    arm_map: dict = {}
    arm_counts: dict = {}
    categorical: dict = {}
    for c in cats:
        lev = _levels(df[c])
        if c == arm_col:
            if interaction and df[c].isna().any():
                raise InputError(f"{where}: {int(df[c].isna().sum())} samples lack an arm "
                                 f"({arm_col!r}) while arm_interaction=True; fill the arm or drop "
                                 "those samples")
            counts = lev.value_counts()
            small = sorted(counts.index[counts < min_arm_size])
            if small:
                warnings.warn(
                    f"{where}: arms {small} have fewer than {min_arm_size} training patients "
                    f"({', '.join(str(int(counts[a])) for a in small)}); pooled into "
                    f"{OTHER_ARM!r}", SmallArmWarning, stacklevel=3)
            arm_map = {a: (OTHER_ARM if a in small else a) for a in counts.index}
            lev = lev.map(arm_map)
            arm_counts = {k: int(v) for k, v in lev.value_counts().items()}
        counts = lev.value_counts()
        levels = sorted(counts.index)
        ref = sorted(counts.index[counts == counts.max()])[0]
        if len(levels) < 2 and c != arm_col:
            warnings.warn(f"{where}: categorical column {c!r} has a single level; dropped",
                          ColumnDroppedWarning, stacklevel=3)
            continue
        categorical[c] = (levels, ref)
    vals = _numeric(df, continuous + binary)
    medians = vals.median()
    imputed = vals[continuous].fillna(medians[continuous])
    means, scales = imputed.mean(), imputed.std(ddof=0)
    scales[scales <= 0] = 1.0  # cannot happen for kept columns; guards round-off
    numeric = continuous + binary
    if interaction:
        inter = numeric if interaction_features is None else [str(f) for f in interaction_features]
        unknown = [f for f in inter if f not in numeric]
        if unknown:
            raise InputError(f"{where}: interaction_features {unknown[:5]} are not numeric "
                             "columns of X; choose among the numeric features")
    else:
        inter = []
    rows = []
    for c in continuous:
        rows.append((c, "continuous", c, "", "per SD"))
    for c in binary:
        rows.append((c, "binary", c, "", "1 vs 0"))
    for c, (levels, ref) in categorical.items():
        for lv in levels:
            if lv != ref:
                rows.append((f"{c}={lv}", "arm" if c == arm_col else "categorical", c, lv,
                             f"vs {ref}"))
    arm_levels = categorical[arm_col][0] if arm_col else []
    for f in inter:
        per = "per SD" if f in continuous else "1 vs 0"
        for a in arm_levels:
            rows.append((f"{f}:arm={a}", "interaction", f, a, f"{per}, deviation in arm {a}"))
    if not rows:
        raise InputError(f"{where}: no usable column left (all constant or missing)")
    terms = pd.DataFrame(rows, columns=["term", "kind", "feature", "level", "scale"])
    terms = terms.set_index("term")
    return Design(list(df.columns), continuous, binary, categorical, arm_col, arm_map,
                  arm_counts, inter, medians, means, scales, terms)


def transform_design(d: Design, df: pd.DataFrame, where: str = "X") -> pd.DataFrame:
    """Design matrix (float DataFrame, columns ``d.columns``) of raw table ``df``."""
    missing = [c for c in d.columns_in if c not in df.columns]
    if missing:
        raise InputError(f"{where}: columns missing at prediction: {missing[:5]} "
                         f"({len(missing)} of {len(d.columns_in)}); pass the columns used in fit")
    parts = {}
    numeric = d.continuous + d.binary
    if numeric:
        v = _numeric(df, numeric).to_numpy()
        v = np.where(np.isnan(v), d.medians[numeric].to_numpy()[None, :], v)
        k = len(d.continuous)
        v[:, :k] = (v[:, :k] - d.means[d.continuous].to_numpy()) / d.scales[d.continuous].to_numpy()
        parts = dict(zip(numeric, v.T, strict=True))
    for c, (levels, ref) in d.categorical.items():
        lev = _levels(df[c])
        if c == d.arm_column:
            lev = lev.map(lambda a: d.arm_map.get(a, a))
        unseen = sorted(set(lev) - set(levels))
        if unseen:
            warnings.warn(f"{where}: levels {unseen[:5]} of {c!r} were not seen in fit; coded "
                          f"as the reference level {ref!r}", UnseenLevelWarning, stacklevel=3)
        for lv in levels:
            if lv != ref:
                parts[f"{c}={lv}"] = (lev == lv).to_numpy(dtype=float)
        if c == d.arm_column:
            arm_lev = lev
    for f in d.interaction:
        for a in d.arm_levels:
            parts[f"{f}:arm={a}"] = parts[f] * (arm_lev == a).to_numpy(dtype=float)
    out = pd.DataFrame(parts, index=df.index)
    return out[d.columns]
