"""The first pass of batch scoring for a model that scales TME features within the cohort.

Such a model (trained with per-cohort standardisation, see
:mod:`tmeprog.serving.cohort_scale`) needs the scored cohort's mean and SD of its features
before any sample can be scored. This pass reads the input once and computes the features of
every sample, or of every k-th sample when there are more than :data:`MAX_SAMPLES` (the
statistics of 5,000 evenly spaced samples differ from those of all by well under 2% of an
SD); samples that cannot be scored are left out of it as they are left out of the scores.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from tmeprog.scoring.chunk import take_rows
from tmeprog.scoring.inputs import ScoringInput
from tmeprog.scoring.slices import ParquetSlice
from tmeprog.serving.scorer import Scorer

#: Most samples whose features give the cohort's statistics.
MAX_SAMPLES = 5000


def _features(scorer: Scorer, inp: ScoringInput, ids: pd.Index, payload) -> list[pd.DataFrame]:
    """Features of a chunk's samples; a chunk that fails is retried sample by sample and
    the samples that still fail are left out."""
    try:
        expr, _ = inp.preparer.parts(ids, payload)
        return [scorer.tme_features(expr)]
    except Exception:  # a bad sample: the scoring pass reports it, here it is left out
        if len(ids) == 1:
            return []
        out = []
        for i in range(len(ids)):
            out += _features(scorer, inp, ids[i:i + 1], take_rows(payload, np.array([i])))
        return out


def with_input_scale(scorer: Scorer, inp: ScoringInput, chunk_size: int) -> Scorer:
    """``scorer`` holding the statistics of its scaled features over the input ``inp``
    (``scorer`` itself when it scales none).

    Raises
    ------
    InputError
        Fewer than the minimum of samples could be featurised.
    """
    if not getattr(scorer, "cohort_scaled", None):
        return scorer
    total = inp.n_samples
    step = max(1, math.ceil(total / MAX_SAMPLES)) if total else 1
    parts: list[pd.DataFrame] = []
    offset = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # coverage warnings come once, from the scoring pass
        for _, ids, payload in inp.chunks(chunk_size):
            if isinstance(payload, ParquetSlice):
                payload = payload.read()
            ids = pd.Index(ids)
            pos = np.arange(len(ids))
            pos = pos[(offset + pos) % step == 0]
            offset += len(ids)
            if len(pos):
                parts += _features(scorer, inp, ids[pos], take_rows(payload, pos))
    feats = pd.concat(parts) if parts else pd.DataFrame(columns=scorer.cohort_scaled)
    return scorer.with_cohort_scale(feats, inp.description)
