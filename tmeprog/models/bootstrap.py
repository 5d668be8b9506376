"""Bootstrap pieces shared by survival and response evaluation: percentile CIs, stratified
resamples."""

from __future__ import annotations

import warnings

import numpy as np

from tmeprog.models.inputs import BootstrapWarning

MAX_FAILED_SHARE = 0.2
"""A CI is NaN when more than this share of bootstrap replicates is undefined."""


def percentile_ci(rep: np.ndarray, point: float, what: str) -> tuple[float, float]:
    """2.5-97.5 percentile interval of the finite bootstrap replicates ``rep``.

    Parameters
    ----------
    rep : numpy.ndarray
        Replicate values of one metric; NaN marks an undefined replicate.
    point : float
        Point estimate; the interval is NaN when it is not finite.
    what : str
        Name of the metric in the warning.

    Returns
    -------
    tuple of float
        ``(low, high)``; NaN (with a :class:`BootstrapWarning`) when more than
        :data:`MAX_FAILED_SHARE` of the replicates are undefined.
    """
    if not np.isfinite(point) or rep.size == 0:
        return float("nan"), float("nan")
    ok = np.isfinite(rep)
    if ok.mean() < 1 - MAX_FAILED_SHARE:
        warnings.warn(f"{what}: {int((~ok).sum())} of {rep.size} bootstrap replicates undefined; "
                      "CI set to NaN", BootstrapWarning, stacklevel=3)
        return float("nan"), float("nan")
    lo, hi = np.percentile(rep[ok], [2.5, 97.5])
    return float(lo), float(hi)


def stratified_resample(rng: np.random.Generator, strata: np.ndarray) -> np.ndarray:
    """Row positions of one bootstrap resample drawn with replacement within each stratum."""
    parts = []
    for s in np.unique(strata):
        idx = np.flatnonzero(strata == s)
        parts.append(rng.choice(idx, size=len(idx), replace=True))
    return np.sort(np.concatenate(parts))
