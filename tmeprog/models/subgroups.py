"""Validation metrics within subgroups of the held-out samples (e.g. ER-negative, ER-positive).

The held-out predictions of a validation run are restricted to one subgroup and evaluated as
usual (:func:`tmeprog.models.evaluation.evaluate`): for leave-one-cohort-out, the metric of each
held-out cohort is computed on its subgroup samples and averaged over cohorts; a cohort whose
subgroup has no comparable pair is left out of the mean (counted in ``n_units``). The bootstrap
resamples within each held-out part, as for the whole run.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import replace

import numpy as np
import pandas as pd

from tmeprog.errors import InputError
from tmeprog.models.evaluation import evaluate
from tmeprog.models.validation import ValidationResult


def restrict(result: ValidationResult, mask: np.ndarray) -> ValidationResult | None:
    """The run with every held-out part restricted to the samples of ``mask`` (None when no
    part keeps a sample)."""
    mask = np.asarray(mask, bool)
    if len(mask) != len(result.samples):
        raise InputError(f"subgroup mask has {len(mask)} entries for {len(result.samples)} "
                         "samples")
    folds = []
    for f in result.folds:
        keep = mask[f.test_index]
        if not keep.any():
            continue
        folds.append(replace(f, test_index=f.test_index[keep], y_test=f.y_test[keep],
                             risk=f.risk[keep], survival=f.survival[keep]))
    if not folds:
        return None
    return ValidationResult(result.scheme, folds, result.samples, dict(result.settings))


def subgroup_metrics(results: Mapping[tuple, ValidationResult],
                     groups: Mapping[str, np.ndarray], *, metrics=("harrell_c",),
                     horizons=(36.0, 60.0), n_boot: int = 200, seed: int = 0) -> pd.DataFrame:
    """Metrics of each validation run within each subgroup.

    Parameters
    ----------
    results : mapping
        ``(model, feature_set, scheme) -> ValidationResult`` (``Comparison.results``).
    groups : mapping
        ``subgroup name -> boolean mask`` over the samples of the runs.
    metrics : sequence of str
        Metric names to keep (from :func:`~tmeprog.models.evaluation.metric_names`).
    horizons : sequence of float
        Horizons of the time-dependent metrics (months).
    n_boot, seed : int
        Bootstrap replicates and seed.

    Returns
    -------
    pandas.DataFrame
        ``model, feature_set, validation, subgroup, metric, value, ci_low, ci_high, n, events,
        n_units``; ``validation`` is the scheme (``cv``, ``loco``) or ``loco:<cohort>``.
    """
    rows = []
    for (model, fs, _scheme), res in results.items():
        for name, mask in groups.items():
            sub = restrict(res, mask)
            if sub is None:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ev = evaluate(sub, horizons=horizons, calibration_horizon=None, n_boot=n_boot,
                              seed=seed)
            t = ev.table[ev.table["metric"].isin(metrics)]
            for r in t.itertuples(index=False):
                rows.append({"model": model, "feature_set": fs, "validation": r.validation,
                             "subgroup": name, "metric": r.metric, "value": r.value,
                             "ci_low": r.ci_low, "ci_high": r.ci_high, "n": r.n,
                             "events": r.events, "n_units": r.n_units})
    return pd.DataFrame(rows, columns=["model", "feature_set", "validation", "subgroup",
                                       "metric", "value", "ci_low", "ci_high", "n", "events",
                                       "n_units"])
