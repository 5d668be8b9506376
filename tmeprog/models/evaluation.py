"""Metrics of a validation run with percentile bootstrap CIs, and paired comparisons.

Aggregation (stated in every result row):

* discrimination and the integrated Brier score (``harrell_c``, ``uno_c``, ``td_auc_*``,
  ``ibs``) are computed **per test fold and averaged** (over K folds x R repeats, or over
  held-out cohorts). Risk scores of different fold models are not on one scale (a forest's
  risk grows with the number of training event times, a Cox margin has an arbitrary offset), so
  pooling them across folds would mix scales. Folds where a metric is undefined (horizon outside
  the test follow-up) are left out of the mean and counted in the note.
* calibration (``calibration_slope_*``) uses **pooled out-of-fold** S(h) of each repeat (one
  prediction per sample; probabilities share one scale), averaged over repeats.

Bootstrap: each replicate resamples, with replacement, the samples of every test fold
separately (keeping each fold's model and size), recomputes every metric and the aggregate;
the CI is the 2.5-97.5 percentile over replicates (seeded). It reflects test-sample
variability given the fitted models. Two feature sets validated on identical splits share the
same resamples, so their difference gets a paired CI (:func:`paired_difference`).

The replicates are computed from how often each test row was drawn, all replicates of a fold
at once (:mod:`tmeprog.models.fastmetrics`); the numbers equal, to rounding, those of the
scikit-survival functions applied draw by draw.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from tmeprog.errors import InputError
from tmeprog.models.bootstrap import percentile_ci
from tmeprog.models.fastmetrics import ResampledFold, calibration_slopes, multiplicities
from tmeprog.models.inputs import HorizonWarning, UndefinedMetricWarning
from tmeprog.models.metrics import (
    MIN_AT_RISK,
    calibration_slope,
    harrell_c,
    horizon_key,
    horizon_support,
    integrated_brier,
    td_aucs,
    uno_c,
)
from tmeprog.models.validation import FoldPrediction, ValidationResult


@dataclass
class Evaluation:
    """Metrics of one validation run.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per (validation, metric): ``validation, metric, value, ci_low, ci_high, n,
        events, n_units, estimator``.
    replicates : dict
        ``validation label -> ndarray (n_boot, n_metrics)`` of bootstrap aggregates.
    metrics : list of str
    fingerprint : str
        Hash of the splits and bootstrap settings; equal fingerprints allow paired differences.
    """

    table: pd.DataFrame
    replicates: dict
    metrics: list
    fingerprint: str


def metric_names(horizons: Sequence[float], calibration_horizon: float | None) -> list[str]:
    """Metric keys in result order."""
    names = ["harrell_c", "uno_c"] + [f"td_auc_{horizon_key(h)}" for h in horizons] + ["ibs"]
    if calibration_horizon is not None:
        names.append(f"calibration_slope_{horizon_key(calibration_horizon)}")
    return names


def _fold_values(f: FoldPrediction, idx: np.ndarray | None, horizons, tau: float,
                 min_at_risk: int, reasons: dict | None, ipcw: str) -> np.ndarray:
    y = f.y_test if idx is None else f.y_test[idx]
    risk = f.risk if idx is None else f.risk[idx]
    yc = f.y_train if ipcw == "train" else y  # sample that estimates the censoring KM
    out = np.full(3 + len(horizons), np.nan)

    def note(k, msg):
        if reasons is not None:
            reasons.setdefault(k, []).append(f"{f.label}: {msg}")

    try:
        out[0] = harrell_c(y, risk)
    except InputError as exc:
        note("harrell_c", exc)
    try:
        out[1] = uno_c(yc, y, risk, tau)
    except InputError as exc:
        note("uno_c", exc)
    why: list = []
    out[2:2 + len(horizons)] = td_aucs(yc, y, risk, horizons, min_at_risk, warn=False,
                                       reasons=why)
    for j, msg in why:
        note(f"td_auc_{horizon_key(horizons[j])}", msg)
    if len(f.ibs_times):
        s = f.survival.loc[:, f.ibs_times].to_numpy()
        s = s if idx is None else s[idx]
        if np.isfinite(s).all():
            try:
                out[-1] = integrated_brier(yc, y, s, f.ibs_times)
            except InputError as exc:
                note("ibs", exc)
        else:
            note("ibs", "S(t) not available on the grid")
    else:
        note("ibs", "no time window inside the test follow-up")
    return out


def _unit_slope(folds: list[FoldPrediction], idxs: list | None, horizon: float,
                min_at_risk: int, reasons: dict | None, key: str) -> float:
    ys, ss = [], []
    for i, f in enumerate(folds):
        if horizon not in f.survival.columns:
            if reasons is not None:
                reasons.setdefault(key, []).append(f"{f.label}: S({horizon:g}) not stored")
            return float("nan")
        s = f.survival[horizon].to_numpy()
        ix = None if idxs is None else idxs[i]
        ys.append(f.y_test if ix is None else f.y_test[ix])
        ss.append(s if ix is None else s[ix])
    y, s = np.concatenate(ys), np.concatenate(ss)
    if not np.isfinite(s).all():
        return float("nan")
    why = horizon_support(y, horizon, None, min_at_risk)
    if why is not None:
        if reasons is not None:
            reasons.setdefault(key, []).append(f"{folds[0].unit}: {why}")
        return float("nan")
    return calibration_slope(y, s, horizon, min_at_risk, warn=False)


def _all_values(result: ValidationResult, idxs, horizons, tau, cal_h, min_at_risk, reasons,
                ipcw, fast: bool = False):
    if fast and idxs is None:
        fv = np.vstack([_point_values(f, horizons, tau, min_at_risk, reasons, ipcw)
                        for f in result.folds])
    else:
        fv = np.vstack([_fold_values(f, None if idxs is None else idxs[i], horizons, tau,
                                     min_at_risk, reasons, ipcw)
                        for i, f in enumerate(result.folds)])
    units = list(dict.fromkeys(f.unit for f in result.folds))
    uv = np.full(len(units), np.nan)
    if cal_h is not None:
        key = f"calibration_slope_{horizon_key(cal_h)}"
        for u_i, u in enumerate(units):
            members = [i for i, f in enumerate(result.folds) if f.unit == u]
            uv[u_i] = _unit_slope([result.folds[i] for i in members],
                                  None if idxs is None else [idxs[i] for i in members],
                                  cal_h, min_at_risk, reasons, key)
    return fv, uv, units


def _point_values(f: FoldPrediction, horizons, tau: float, min_at_risk: int,
                  reasons: dict | None, ipcw: str) -> np.ndarray:
    """:func:`_fold_values` on the whole fold; the reference functions run only where a metric
    is undefined, to state why."""
    out = _fold_replicates(f, [np.arange(len(f.risk))], horizons, tau, min_at_risk, ipcw)[0]
    if np.isnan(out).any():
        out = _fold_values(f, None, horizons, tau, min_at_risk, reasons, ipcw)
    return out


def _fold_replicates(f: FoldPrediction, draws: list, horizons, tau: float, min_at_risk: int,
                     ipcw: str) -> np.ndarray:
    """:func:`_fold_values` of every bootstrap draw of one fold, shape (n_draws, n_metrics).

    Computed from the draws' row multiplicities (:mod:`tmeprog.models.fastmetrics`); inputs
    outside what that reproduction covers go through :func:`_fold_values` draw by draw.
    """
    yc = f.y_train if ipcw == "train" else None
    ibs_t = np.asarray(f.ibs_times, float)
    cuts = [np.nextafter(h, np.inf) for h in horizons]
    if ibs_t.size:
        cuts.append(np.nextafter(ibs_t.max(), np.inf))
    fast = (ResampledFold.supported(f.y_test, f.risk, yc, cuts)
            and bool(np.all(np.diff(horizons) > 0)) and bool(np.all(np.diff(ibs_t) > 0)))
    if not fast:
        return np.vstack([_fold_values(f, d, horizons, tau, min_at_risk, None, ipcw)
                          for d in draws])
    rf = ResampledFold(f.y_test, f.risk, multiplicities(draws, len(f.risk)), yc)
    out = np.full((len(draws), 3 + len(horizons)), np.nan)
    out[:, 0] = rf.harrell_c()
    out[:, 1] = rf.uno_c(tau)
    if horizons:
        out[:, 2:2 + len(horizons)] = rf.td_aucs(horizons, min_at_risk)
    if ibs_t.size:
        s = f.survival.loc[:, f.ibs_times].to_numpy(dtype=float)
        bad = ~np.isfinite(s).all(axis=1)  # a draw with any of these rows has no IBS
        ibs = rf.integrated_brier(np.where(bad[:, None], 0.0, s), ibs_t)
        out[:, -1] = np.where(rf.present[:, bad].any(axis=1), np.nan, ibs)
    return out


def _replicates(result: ValidationResult, draws: list, horizons, tau, cal_h, min_at_risk,
                ipcw, reference: bool = False):
    """Fold values ``(n_boot, n_folds, n_metrics)`` and unit calibration slopes
    ``(n_boot, n_units)`` of every bootstrap draw (``draws[b][i]``: rows of fold ``i``)."""
    if reference:  # metric by metric and draw by draw, as scikit-survival computes them
        per = [_all_values(result, d, horizons, tau, cal_h, min_at_risk, None, ipcw)
               for d in draws]
        return (np.stack([p[0] for p in per]).reshape(len(draws), len(result.folds), -1),
                np.stack([p[1] for p in per]).reshape(len(draws), -1))
    fv = np.stack([_fold_replicates(f, [d[i] for d in draws], horizons, tau, min_at_risk, ipcw)
                   for i, f in enumerate(result.folds)], axis=1)
    units = list(dict.fromkeys(f.unit for f in result.folds))
    uv = np.full((len(draws), len(units)), np.nan)
    if cal_h is not None:
        for u_i, u in enumerate(units):
            members = [f for f in result.folds if f.unit == u]
            pos = [i for i, f in enumerate(result.folds) if f.unit == u]
            uv[:, u_i] = _unit_replicates(members, [[d[i] for i in pos] for d in draws], cal_h,
                                          min_at_risk)
    return fv, uv


def _unit_replicates(folds: list[FoldPrediction], draws: list, horizon: float,
                     min_at_risk: int) -> np.ndarray:
    """:func:`_unit_slope` of every bootstrap draw (``draws[b][i]``: rows of ``folds[i]``)."""
    if any(horizon not in f.survival.columns for f in folds):
        return np.full(len(draws), np.nan)
    y = np.concatenate([f.y_test for f in folds])
    if (y.dtype.names != ("event", "time") or y["event"].dtype != bool
            or not np.isfinite(y["time"]).all()):
        key = f"calibration_slope_{horizon_key(horizon)}"
        return np.array([_unit_slope(folds, d, horizon, min_at_risk, None, key)
                         for d in draws])
    s = np.concatenate([f.survival[horizon].to_numpy(dtype=float) for f in folds])
    counts = np.hstack([multiplicities([d[i] for d in draws], len(f.risk))
                        for i, f in enumerate(folds)])
    return calibration_slopes(y, s, horizon, counts, min_at_risk)


def _labels(result: ValidationResult) -> list[tuple[str, list[int], list[str]]]:
    """(validation label, fold positions, units) to aggregate."""
    units = list(dict.fromkeys(f.unit for f in result.folds))
    out = [(result.scheme, list(range(len(result.folds))), units)]
    if result.scheme == "loco":
        for i, f in enumerate(result.folds):
            out.append((f"loco:{f.label}", [i], [f.unit]))
    return out


def _aggregate(fv, uv, units, pos, unit_sel, cal: bool) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices -> NaN
        agg = np.nanmean(fv[pos], axis=0)
        if cal:
            u_ix = [units.index(u) for u in unit_sel]
            agg = np.append(agg, np.nanmean(uv[u_ix]))
    return agg


def _fingerprint(result: ValidationResult, n_boot: int, seed: int) -> str:
    h = hashlib.sha1()
    h.update(f"{result.scheme}|{n_boot}|{seed}|{len(result.samples)}".encode())
    for f in result.folds:
        h.update(f.label.encode())
        h.update(np.asarray(f.test_index, np.int64).tobytes())
    return h.hexdigest()


def evaluate(result: ValidationResult, *, horizons: Sequence[float] = (36.0, 60.0),
             tau: float = 60.0, calibration_horizon: float | None = 60.0, n_boot: int = 200,
             seed: int = 0, min_at_risk: int = MIN_AT_RISK, ipcw: str = "auto",
             _reference: bool = False) -> Evaluation:
    """Metrics of a validation run with bootstrap 95% CIs.

    Parameters
    ----------
    result : ValidationResult
        From :func:`~tmeprog.models.validation.cross_validate` or
        :func:`~tmeprog.models.validation.leave_one_cohort_out`.
    horizons : sequence of float
        Months for time-dependent AUC (must be among the stored horizons).
    tau : float
        Truncation time of Uno's C, months (capped below each split's last training time).
    calibration_horizon : float or None
        Months for the calibration slope (None: skip).
    n_boot : int
        Bootstrap replicates (>= 200 recommended; 0 disables CIs).
    seed : int
        Bootstrap seed.
    min_at_risk : int
        Test samples that must be followed beyond a horizon for it to count as inside the
        follow-up.
    ipcw : {"auto", "train", "test"}
        Sample whose Kaplan-Meier of censoring gives the inverse-probability weights of Uno's C,
        td AUC and the Brier score. ``auto``: the training split for cross-validation (same
        population, more data) and the held-out cohort itself for leave-one-cohort-out (its
        follow-up and censoring differ from the training cohorts'; no prediction is involved).

    Returns
    -------
    Evaluation
    """
    horizons = [float(h) for h in horizons]
    stored = set(result.settings.get("horizons", []))
    need = set(horizons) | ({float(calibration_horizon)} if calibration_horizon else set())
    if not need <= stored:
        raise InputError(
            f"horizons {sorted(need - stored)} were not stored by the validation run (it stored "
            f"{sorted(stored)}); pass them as horizons= when validating"
        )
    if ipcw not in ("auto", "train", "test"):
        raise InputError(f"ipcw must be 'auto', 'train' or 'test', got {ipcw!r}")
    ipcw = ("test" if result.scheme == "loco" else "train") if ipcw == "auto" else ipcw
    names = metric_names(horizons, calibration_horizon)
    cal = calibration_horizon is not None
    cal_h = float(calibration_horizon) if cal else None
    reasons: dict = {}
    fv, uv, units = _all_values(result, None, horizons, tau, cal_h, min_at_risk, reasons, ipcw,
                                fast=not _reference)
    for k, why in reasons.items():
        cat = HorizonWarning if k.startswith(("td_auc", "calibration")) else UndefinedMetricWarning
        warnings.warn(f"{k}: undefined in {len(why)} split(s), left out of the mean: "
                      f"{'; '.join(why[:3])}", cat, stacklevel=2)
    labels = _labels(result)
    points = {lab: _aggregate(fv, uv, units, pos, us, cal) for lab, pos, us in labels}
    reps = {lab: np.full((n_boot, len(names)), np.nan) for lab, _, _ in labels}
    rng = np.random.default_rng(seed)
    draws = [[rng.integers(0, len(f.risk), len(f.risk)) for f in result.folds]
             for _ in range(n_boot)]
    if n_boot:
        with threadpool_limits(1, user_api="blas"):  # small products: threads only cost here
            bfv, buv = _replicates(result, draws, horizons, tau, cal_h, min_at_risk, ipcw,
                                   _reference)
    for b in range(n_boot):
        for lab, pos, us in labels:
            reps[lab][b] = _aggregate(bfv[b], buv[b], units, pos, us, cal)
    rows = []
    for lab, pos, us in labels:
        test_rows = np.unique(np.concatenate([result.folds[i].test_index for i in pos]))
        n = len(test_rows)  # distinct samples (repeats evaluate each sample once per repeat)
        ev = int(_events(result, test_rows))
        for j, m in enumerate(names):
            lo, hi = percentile_ci(reps[lab][:, j], points[lab][j], f"{lab} {m}")
            used = (int(np.isfinite(uv[[units.index(u) for u in us]]).sum()) if m.startswith(
                "calibration") else int(np.isfinite(fv[pos, j]).sum()))
            total = len(us) if m.startswith("calibration") else len(pos)
            rows.append({"validation": lab, "metric": m, "value": float(points[lab][j]),
                         "ci_low": lo, "ci_high": hi, "n": n, "events": ev,
                         "n_units": used,
                         "estimator": _note(m, result, lab, used, total, tau, n_boot, seed,
                                            ipcw)})
    table = pd.DataFrame(rows)
    return Evaluation(table, reps, names, _fingerprint(result, n_boot, seed))


def _events(result: ValidationResult, rows: np.ndarray) -> int:
    ev = np.zeros(len(result.samples), bool)
    for f in result.folds:
        ev[f.test_index] = f.y_test["event"]
    return int(ev[rows].sum())


_EST = {
    "harrell_c": "sksurv concordance_index_censored (Harrell)",
    "uno_c": "sksurv concordance_index_ipcw (Uno), tau={tau:g} mo (capped below the last time "
             "of the censoring sample), censoring KM of the {ipcw}",
    "td_auc": "sksurv cumulative_dynamic_auc at {h:g} mo, censoring KM of the {ipcw}",
    "ibs": "sksurv integrated_brier_score on 20 times between the 20th and 80th percentile of "
           "test follow-up, censoring KM of the {ipcw}",
    "calibration_slope": "Cox regression of outcome censored at {h:g} mo on log(-log S({h:g})); "
                         "pooled out-of-fold predictions",
}


def _note(metric: str, result: ValidationResult, label: str, used: int, total: int,
          tau: float, n_boot: int, seed: int, ipcw: str) -> str:
    base = metric.rsplit("_", 1)[0] if metric.startswith(("td_auc", "calibration")) else metric
    h = 0.0
    if base != metric:
        suffix = metric.rsplit("_", 1)[1]
        h = float(suffix[:-1]) * (12 if suffix.endswith("y") else 1)
    src = "training split" if ipcw == "train" else "test samples"
    est = _EST[base].format(tau=tau, h=h, ipcw=src)
    if result.scheme == "cv":
        s = result.settings
        unit = "repeats" if base == "calibration_slope" else "test folds"
        agg = (f"mean over {used} of {total} {unit} ({s['n_splits']}-fold x "
               f"{s['n_repeats']} repeats)")
        if s.get("within_strata") and unit == "test folds":
            agg += ", each test fold split by stratum (cohort x endpoint): metrics within strata"
    elif label == "loco":
        agg = f"mean over {used} of {total} held-out cohorts"
    else:
        agg = f"held-out cohort {label.split(':', 1)[1]}"
    ci = f"95% percentile bootstrap CI, {n_boot} resamples within test folds, seed {seed}"
    return f"{est}; {agg}; {ci}"


def paired_difference(a: Evaluation, b: Evaluation) -> pd.DataFrame:
    """Difference ``a - b`` per (validation, metric) with a paired bootstrap 95% CI and p-value.

    Both evaluations must come from identical splits and bootstrap settings (same samples,
    seeds and ``n_boot``), e.g. two feature sets of one model validated with one
    ``random_state``. The two-sided p-value is twice the smaller share of replicate differences
    on either side of zero (capped at 1).
    """
    if a.fingerprint != b.fingerprint:
        raise InputError(
            "paired difference needs evaluations on identical splits and bootstrap settings "
            "(same samples, random_state, seed and n_boot)"
        )
    rows = []
    ta = a.table.set_index(["validation", "metric"])
    tb = b.table.set_index(["validation", "metric"])
    for lab, ra in a.replicates.items():
        rb = b.replicates[lab]
        for j, m in enumerate(a.metrics):
            d = ta.loc[(lab, m), "value"] - tb.loc[(lab, m), "value"]
            diff = ra[:, j] - rb[:, j]
            lo, hi = percentile_ci(diff, d, f"{lab} delta {m}")
            ok = diff[np.isfinite(diff)]
            p = (min(1.0, 2 * min((ok <= 0).mean(), (ok >= 0).mean()))
                 if np.isfinite(lo) and ok.size else float("nan"))
            rows.append({"validation": lab, "metric": m, "value": float(d), "ci_low": lo,
                         "ci_high": hi, "p_value": p})
    return pd.DataFrame(rows)
