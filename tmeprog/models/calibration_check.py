"""Does a model's risk scale transfer? Calibration slopes read against [0.5, 2].

A calibration slope (Cox regression of the outcome on log(-log S(h)), 1 is ideal) far from 1 on
held-out data means the model still ranks patients but its survival probabilities do not hold
there: below 0.5 the predictions are too extreme, above 2 too timid. Such a model's survival
probabilities must be read as relative, not absolute. The models are not recalibrated here:
a recalibration fitted on the training cohorts would not fix the scale on a new cohort (which
is what a held-out slope outside the range shows); recalibrate on the target cohort instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SLOPE_RANGE = (0.5, 2.0)
READING = ("survival probabilities do not transfer (calibration slope {v:.2f} outside "
           "[{lo:g}, {hi:g}] {where}): read them as relative risk, not absolute; recalibrate "
           "on the target cohort before quoting them")


def calibration_flags(results: pd.DataFrame, slope_range: tuple[float, float] = SLOPE_RANGE
                      ) -> pd.DataFrame:
    """One row per model x feature set x validation scheme with a calibration slope.

    Parameters
    ----------
    results : pandas.DataFrame
        Long results table (``model, feature_set, validation, metric, value, ci_low,
        ci_high``) as the training pipeline writes it.
    slope_range : tuple of float
        Slopes inside this closed range count as calibrated.

    Returns
    -------
    pandas.DataFrame
        ``model, feature_set, validation, horizon, slope, ci_low, ci_high, flagged`` where
        ``flagged`` is True outside the range (NaN slopes are not flagged: not estimable).
    """
    lo, hi = slope_range
    if not lo < 1.0 < hi:
        raise ValueError(f"slope_range {slope_range} must contain 1")
    cal = results[results["metric"].astype(str).str.startswith("calibration_slope_")]
    out = pd.DataFrame({
        "model": cal["model"].to_numpy(), "feature_set": cal["feature_set"].to_numpy(),
        "validation": cal["validation"].to_numpy(),
        "horizon": cal["metric"].str.removeprefix("calibration_slope_").to_numpy(),
        "slope": cal["value"].to_numpy(float), "ci_low": cal["ci_low"].to_numpy(float),
        "ci_high": cal["ci_high"].to_numpy(float)})
    s = out["slope"].to_numpy()
    out["flagged"] = np.isfinite(s) & ((s < lo) | (s > hi))
    return out


def champion_calibration(flags: pd.DataFrame, champion: dict,
                         slope_range: tuple[float, float] = SLOPE_RANGE) -> dict:
    """The champion's held-out slope (leave-one-cohort-out when run, else CV) and its reading.

    Returns ``{"validation", "horizon", "slope", "flagged", "message"}``; ``message`` is empty
    when the slope is inside the range or not estimable.
    """
    mine = flags[(flags["model"] == champion["model"])
                 & (flags["feature_set"] == champion["feature_set"])]
    for scheme in ("loco", "cv"):  # a slope that could not be estimated falls through
        row = mine[(mine["validation"] == scheme) & np.isfinite(mine["slope"])]
        if len(row):
            r = row.iloc[0]
            where = ("leave-one-cohort-out" if scheme == "loco" else "cross-validated") + \
                f" at {r['horizon']}"
            msg = slope_message(float(r["slope"]), where, slope_range)
            return {"validation": scheme, "horizon": str(r["horizon"]),
                    "slope": float(r["slope"]), "flagged": bool(r["flagged"]), "message": msg}
    return {"validation": "", "horizon": "", "slope": float("nan"), "flagged": False,
            "message": ""}


def slope_message(slope: float, where: str,
                  slope_range: tuple[float, float] = SLOPE_RANGE) -> str:
    """The reading of one slope (``""`` inside the range or when not estimable)."""
    lo, hi = slope_range
    if not np.isfinite(slope) or lo <= slope <= hi:
        return ""
    return READING.format(v=slope, lo=lo, hi=hi, where=where)
