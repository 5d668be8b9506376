"""What a served model remembers of its training cohorts for a patient's profile: aggregates
only, never patient rows.

* :class:`FeatureReference` - per TME feature, the 1st to 99th percentiles of the training
  samples (the extremes, single patients' values, are not kept), so a new patient's value
  can be placed as a percentile;
* :class:`RiskGroupCurves` - Kaplan-Meier survival with its 95% confidence band of the
  training patients in each risk group (tertiles of the training risk), on a monthly grid.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tmeprog.errors import InputError

PROBS = np.arange(1, 100) / 100.0


@dataclass
class FeatureReference:
    """Percentiles of each feature over the training samples (no patient rows).

    Attributes
    ----------
    quantiles : pandas.DataFrame
        Rows ``PROBS`` (0.01 ... 0.99), one column per feature.
    n : dict
        Training samples with a value, per feature.
    compartments : dict
        Feature -> TME compartment.
    """

    quantiles: pd.DataFrame
    n: dict = field(default_factory=dict)
    compartments: dict = field(default_factory=dict)

    @classmethod
    def fit(cls, features: pd.DataFrame, compartments: dict | None = None,
            min_samples: int = 20) -> FeatureReference:
        """Percentiles of every feature with at least ``min_samples`` values."""
        keep = [c for c in features.columns if features[c].notna().sum() >= min_samples]
        if not keep:
            raise InputError(f"no feature has {min_samples} training values for a reference")
        vals = features[keep].to_numpy(dtype=float)
        q = np.nanquantile(vals, PROBS, axis=0)
        return cls(quantiles=pd.DataFrame(q, index=PROBS, columns=keep),
                   n={c: int(features[c].notna().sum()) for c in keep},
                   compartments={c: (compartments or {}).get(c, "other") for c in keep})

    def percentile(self, values: pd.Series) -> pd.Series:
        """Percentile (0-100) of each value against the training samples; values below the 1st
        or above the 99th percentile get 0.5 / 99.5 (beyond the reference's range); NaN where
        the value or the feature is missing."""
        out = pd.Series(np.nan, index=values.index, dtype=float)
        for f, v in values.items():
            if f not in self.quantiles.columns or not np.isfinite(v):
                continue
            q = self.quantiles[f].to_numpy()
            if v < q[0]:
                out[f] = 0.5
            elif v > q[-1]:
                out[f] = 99.5
            else:  # ties (flat stretches) get the middle of their percentiles
                lo = np.searchsorted(q, v, side="left")
                hi = np.searchsorted(q, v, side="right")
                mid = (lo + hi) / 2.0
                out[f] = float(np.interp(mid, np.arange(len(q) + 1),
                                         np.r_[PROBS * 100.0, 100.0]))
        return out


@dataclass
class RiskGroupCurves:
    """Kaplan-Meier survival (log-log 95% band) of the training patients per risk group.

    Attributes
    ----------
    curves : pandas.DataFrame
        ``group, month, survival, ci_low, ci_high, at_risk`` on a monthly grid, cut where
        fewer than ``min_at_risk`` patients remain.
    endpoint : str
        What the curves' events are (one endpoint, or the pooled endpoints).
    """

    curves: pd.DataFrame
    endpoint: str = ""

    @classmethod
    def fit(cls, risk: np.ndarray, y: np.ndarray, cutpoints: tuple[float, float],
            groups=("low", "intermediate", "high"), endpoint: str = "",
            max_month: int = 180, min_at_risk: int = 10) -> RiskGroupCurves:
        """Curves of each tertile group of ``risk`` (``y``: structured event / time)."""
        from sksurv.nonparametric import kaplan_meier_estimator

        lab = np.where(risk <= cutpoints[0], 0, np.where(risk <= cutpoints[1], 1, 2))
        event = np.asarray(y["event"], dtype=bool)
        time = np.asarray(y["time"], dtype=float)
        rows = []
        grid = np.arange(0, max_month + 1, dtype=float)
        for i, g in enumerate(groups):
            m = lab == i
            if m.sum() < min_at_risk:
                continue
            t, s, (lo, hi) = kaplan_meier_estimator(event[m], time[m], conf_type="log-log")
            idx = np.searchsorted(t, grid, side="right") - 1
            surv = np.where(idx >= 0, s[np.clip(idx, 0, None)], 1.0)
            low = np.where(idx >= 0, lo[np.clip(idx, 0, None)], 1.0)
            high = np.where(idx >= 0, hi[np.clip(idx, 0, None)], 1.0)
            at_risk = (time[m][None, :] >= grid[:, None]).sum(axis=1)
            keep = at_risk >= min_at_risk
            rows.append(pd.DataFrame({"group": g, "month": grid[keep], "survival": surv[keep],
                                      "ci_low": low[keep], "ci_high": high[keep],
                                      "at_risk": at_risk[keep]}))
        if not rows:
            raise InputError("no risk group holds enough training patients for a curve")
        return cls(curves=pd.concat(rows, ignore_index=True), endpoint=endpoint)

    def group(self, name: str) -> pd.DataFrame:
        """The curve of one risk group (empty when it had too few patients)."""
        return self.curves[self.curves["group"] == name]
