"""Per-cohort standardisation of features, a simple guard against batch effects between cohorts.

Each cohort's features are z-scored with that cohort's own mean and standard deviation
(ddof=0, NaN ignored). Statistics come from training rows of the cohort; a cohort that has no
training rows (the held-out cohort of leave-one-cohort-out) is standardised with its own data.
That uses the held-out features but never their outcomes, the same as a laboratory normalising a
new batch before scoring, and it is what makes platforms with different scales comparable.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from tmeprog.errors import InputError


def cohort_moments(features: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Mean and SD (ddof=0, NaN ignored) of each column of one cohort's rows."""
    return features.mean(), features.std(ddof=0)


def zscore(features: pd.DataFrame, mean: pd.Series, sd: pd.Series) -> pd.DataFrame:
    """``features`` centred by ``mean`` and scaled by ``sd``; a column of SD 0 (constant in the
    cohort) becomes 0."""
    return (features - mean) / sd.replace(0.0, np.inf)


def standardise_by_cohort(
    X_train: pd.DataFrame, groups_train: Sequence, X_test: pd.DataFrame | None = None,
    groups_test: Sequence | None = None, columns: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Z-score ``columns`` within each cohort, with statistics of that cohort's training rows.

    Parameters
    ----------
    X_train, X_test : pandas.DataFrame
        Feature tables (``X_test`` optional).
    groups_train, groups_test : sequence
        Cohort label per row.
    columns : sequence of str, optional
        Columns to standardise (default: all). Clinical covariates on a common scale are
        usually left out.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame or None)
        Transformed copies. A column constant within a cohort becomes 0 there.
    """
    cols = list(X_train.columns if columns is None else columns)
    missing = [c for c in cols if c not in X_train.columns]
    if missing:
        raise InputError(f"per-cohort standardisation: columns {missing[:5]} not in X")
    g_tr = np.asarray(groups_train, dtype=object)
    if len(g_tr) != len(X_train):
        raise InputError("per-cohort standardisation: one cohort label per training row needed")
    out_tr = X_train.copy()
    out_te = None if X_test is None else X_test.copy()
    g_te = None if X_test is None else np.asarray(groups_test, dtype=object)
    if X_test is not None and (g_te is None or len(g_te) != len(X_test)):
        raise InputError("per-cohort standardisation: one cohort label per test row needed")
    cohorts = set(g_tr) | (set(g_te) if g_te is not None else set())
    for c in cohorts:
        m_tr = g_tr == c
        m_te = (g_te == c) if g_te is not None else np.zeros(0, bool)
        ref = X_train.loc[m_tr, cols] if m_tr.any() else X_test.loc[m_te, cols]
        mu, sd = cohort_moments(ref)
        if m_tr.any():
            out_tr.loc[m_tr, cols] = zscore(X_train.loc[m_tr, cols], mu, sd).to_numpy()
        if m_te.any():
            out_te.loc[m_te, cols] = zscore(X_test.loc[m_te, cols], mu, sd).to_numpy()
    return out_tr, out_te
