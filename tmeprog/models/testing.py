"""Shared invariant checks for survival predictions (used by tests of every model)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def assert_valid_survival(surv: pd.DataFrame, n_samples: int | None = None) -> None:
    """Raise AssertionError unless ``surv`` is a valid table of survival probabilities.

    Checks: finite, within [0, 1], columns (times) increasing, and non-increasing along each
    row; optionally the number of rows.
    """
    s = np.asarray(surv, dtype=float)
    assert s.ndim == 2, f"expected a samples x times table, got shape {s.shape}"
    if n_samples is not None:
        assert s.shape[0] == n_samples, f"{s.shape[0]} rows for {n_samples} samples"
    assert np.isfinite(s).all(), "survival probabilities must be finite"
    assert ((s >= 0) & (s <= 1)).all(), "survival probabilities must lie in [0, 1]"
    t = np.asarray(surv.columns, dtype=float)
    assert (np.diff(t) > 0).all(), "time columns must be increasing"
    assert (np.diff(s, axis=1) <= 1e-12).all(), "survival must not increase over time"
