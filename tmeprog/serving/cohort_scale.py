"""TME features put on the scale of the scored cohort (per-cohort standardisation at serving).

A model trained with ``[validation] per_cohort_standardise = true`` learned every TME feature
z-scored within its own cohort (mean 0, SD 1 per cohort), which removes the platform's offset
and spread (arrays against RNA-seq, 20,000 genes against a 770-gene panel). Serving it must do
the same to the cohort being scored: the features of the scored samples are z-scored with the
mean and SD of that cohort. Those statistics are estimated from the scored cohort itself
(batch scoring: a first pass over the input, see :mod:`tmeprog.scoring.batch`), never from its
outcomes, and need at least :data:`MIN_SAMPLES` samples: a patient alone cannot be placed on
its cohort's scale and is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from tmeprog.errors import InputError
from tmeprog.models.batch import cohort_moments, zscore

#: Fewest samples whose features give a cohort's mean and SD.
MIN_SAMPLES = 20


@dataclass(frozen=True)
class CohortScale:
    """Mean and SD (ddof=0, missing values ignored) of features over one scored cohort.

    Parameters
    ----------
    mean, sd : pandas.Series
        Per feature; an SD of 0 (a feature constant in the cohort) maps it to 0.
    n_samples : int
        Samples the statistics were computed from.
    """

    mean: pd.Series
    sd: pd.Series
    n_samples: int

    @classmethod
    def fit(cls, features: pd.DataFrame, where: str = "the input") -> CohortScale:
        """Statistics of ``features`` (samples x features).

        Raises
        ------
        InputError
            Fewer than :data:`MIN_SAMPLES` samples.
        """
        n = len(features)
        if n < MIN_SAMPLES:
            raise InputError(
                f"this model puts TME features on the scale of the scored cohort (it was "
                f"trained with per-cohort standardisation), which needs at least {MIN_SAMPLES} "
                f"samples of one cohort; {where} has {n}; score the sample together with its "
                "cohort (the whole expression file), or use a model trained with "
                "[validation] per_cohort_standardise = false")
        mean, sd = cohort_moments(features)  # as training standardised each cohort
        return cls(mean=mean, sd=sd, n_samples=n)

    def apply(self, features: pd.DataFrame) -> pd.DataFrame:
        """``features`` z-scored with these statistics (columns not covered are left as is)."""
        cols = [c for c in features.columns if c in self.mean.index]
        out = features.copy()
        out[cols] = zscore(features[cols], self.mean[cols], self.sd[cols])
        return out

    def to_json(self) -> dict:
        """Plain numbers, for a run manifest (no patient rows: one mean and SD per feature)."""
        return {"n_samples": self.n_samples,
                "mean": {k: float(v) for k, v in self.mean.items()},
                "sd": {k: float(v) for k, v in self.sd.items()}}
