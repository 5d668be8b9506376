"""What a served model remembers of its training cohorts for a patient's profile: aggregates
only, never patient rows.

* :class:`FeatureReference` - per TME feature, the 2nd, 4th, ..., 98th percentiles of the
  training samples, fitted only on at least 100 values: the levels are too sparse to solve back
  the sorted training values, and the extremes are not kept;
* :class:`RiskGroupCurves` - Kaplan-Meier survival with its 95% confidence band of the
  training patients in each risk group, on a monthly grid rounded to 3 decimals, cut where fewer
  than 20 remain at risk, with the numbers at risk at yearly marks only (as under a published
  Kaplan-Meier plot).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tmeprog.errors import InputError

PROBS = np.arange(2, 100, 2) / 100.0
MIN_REFERENCE_SAMPLES = 100


@dataclass
class FeatureReference:
    """Percentiles of each feature over the training samples (no patient rows).

    Attributes
    ----------
    quantiles : pandas.DataFrame
        Rows ``PROBS`` (0.02, 0.04 ... 0.98), one column per feature.
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
            min_samples: int = MIN_REFERENCE_SAMPLES) -> FeatureReference:
        """Percentiles of every feature with at least ``min_samples`` values (fewer would let
        the stored levels pin single patients' values)."""
        keep = [c for c in features.columns if features[c].notna().sum() >= min_samples]
        if not keep:
            raise InputError(f"no feature has {min_samples} training values for a reference")
        vals = features[keep].to_numpy(dtype=float)
        q = np.nanquantile(vals, PROBS, axis=0)
        return cls(quantiles=pd.DataFrame(q, index=PROBS, columns=keep),
                   n={c: int(features[c].notna().sum()) for c in keep},
                   compartments={c: (compartments or {}).get(c, "other") for c in keep})

    def percentile(self, values: pd.Series) -> pd.Series:
        """Percentile (0-100) of each value against the training samples, interpolated
        between the stored levels; a value below the lowest or above the highest level gets
        1 / 99 (beyond the reference's range); within a flat stretch (tied levels) the middle
        of its levels; NaN where the value or the feature is missing."""
        out = pd.Series(np.nan, index=values.index, dtype=float)
        pct = PROBS * 100.0
        for f, v in values.items():
            if f not in self.quantiles.columns or not np.isfinite(v):
                continue
            q = self.quantiles[f].to_numpy()
            if v < q[0]:
                out[f] = pct[0] / 2.0
            elif v > q[-1]:
                out[f] = 100.0 - pct[0] / 2.0
            else:
                lo = np.searchsorted(q, v, side="left")
                hi = np.searchsorted(q, v, side="right")
                if hi - lo > 1:  # tied levels
                    out[f] = float((pct[lo] + pct[hi - 1]) / 2.0)
                else:
                    out[f] = float(np.interp(v, q, pct))
        return out


@dataclass
class RiskGroupCurves:
    """Kaplan-Meier survival (log-log 95% band) of the training patients per risk group.

    Attributes
    ----------
    curves : pandas.DataFrame
        ``group, month, survival, ci_low, ci_high`` on a monthly grid (3 decimals), cut where
        fewer than ``min_at_risk`` patients remain.
    at_risk : pandas.DataFrame
        ``group, month, at_risk`` at yearly marks.
    endpoint : str
        What the curves' events are (one endpoint, or the pooled endpoints).
    """

    curves: pd.DataFrame
    at_risk: pd.DataFrame = field(default_factory=pd.DataFrame)
    endpoint: str = ""

    @classmethod
    def fit(cls, risk: np.ndarray, y: np.ndarray, cutpoints: tuple[float, float],
            groups=("low", "intermediate", "high"), endpoint: str = "",
            max_month: int = 180, min_at_risk: int = 20) -> RiskGroupCurves:
        """Curves of each tertile group of ``risk`` (``y``: structured event / time)."""
        # deferred: scikit-survival takes ~0.9 s to load; only fitting the curves needs it
        from sksurv.nonparametric import kaplan_meier_estimator

        lab = np.where(risk <= cutpoints[0], 0, np.where(risk <= cutpoints[1], 1, 2))
        event = np.asarray(y["event"], dtype=bool)
        time = np.asarray(y["time"], dtype=float)
        rows, counts = [], []
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
            rows.append(pd.DataFrame({"group": g, "month": grid[keep],
                                      "survival": np.round(surv[keep], 3),
                                      "ci_low": np.round(low[keep], 3),
                                      "ci_high": np.round(high[keep], 3)}))
            yearly = keep & (grid % 12 == 0)
            counts.append(pd.DataFrame({"group": g, "month": grid[yearly],
                                        "at_risk": at_risk[yearly]}))
        if not rows:
            raise InputError("no risk group holds enough training patients for a curve")
        return cls(curves=pd.concat(rows, ignore_index=True),
                   at_risk=pd.concat(counts, ignore_index=True), endpoint=endpoint)

    def group(self, name: str) -> pd.DataFrame:
        """The curve of one risk group (empty when it had too few patients)."""
        return self.curves[self.curves["group"] == name]
