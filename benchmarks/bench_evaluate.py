"""Runtime of ``evaluate`` (bootstrap CIs of the survival metrics): fast path vs reference.

Builds the validation run of the default training pipeline for one model: the configured
cohorts (the four bundled expression cohorts), TME features and feature sets as
``tmeprog train`` makes them, elastic-net Cox with its tuning grid, repeated stratified K-fold
(and, with ``--scheme loco``, leave-one-cohort-out). Then times
:func:`tmeprog.models.evaluation.evaluate` on that one ``ValidationResult`` twice - the
multiplicity-based bootstrap and the scikit-survival reference (metric by metric, draw by draw)
- and prints both times, their ratio and the largest difference of any number (table values,
CIs, bootstrap replicates).

Run: ``python benchmarks/bench_evaluate.py`` (about 1 minute on 2 cores; ``--n-boot`` to change
the 200 resamples, ``--scheme loco`` or ``both``).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from tmeprog.models.compare import default_models
from tmeprog.models.evaluation import evaluate
from tmeprog.models.validation import cross_validate, leave_one_cohort_out
from tmeprog.pipeline.assemble import assemble
from tmeprog.pipeline.champion import cohort_scaled_columns, training_strata
from tmeprog.pipeline.config import load_config
from tmeprog.pipeline.train import _feature_sets, _features, _load


def validation_runs(schemes: list[str], feature_set: str, model: str = "coxnet"):
    """``scheme -> ValidationResult`` of the default pipeline's data for one model."""
    cfg = load_config()
    ts = assemble(_load(cfg, None, []), cfg.data.endpoint, cfg.task.kind,
                  cfg.data.pool_endpoints)
    F, _ = _features(cfg, ts, [])
    X = _feature_sets(cfg, ts, F)[feature_set]
    v = cfg.validation
    est, grid = default_models(cfg.task.seed)[model]
    std = (cohort_scaled_columns(X)
           if v.per_cohort_standardise and feature_set != "clinical" else False)
    kw = dict(param_grid=grid, cohort_standardise=std, inner_splits=3,
              random_state=cfg.task.seed, horizons=sorted({*map(float, v.horizons_months), 60.0}),
              strata=training_strata(ts))
    out = {}
    if "cv" in schemes:
        out["cv"] = cross_validate(est, X, ts.y, groups=ts.groups, n_splits=v.cv_folds,
                                   n_repeats=v.cv_repeats, within_strata=ts.mixed_endpoints,
                                   **kw)
    if "loco" in schemes:
        out["loco"] = leave_one_cohort_out(est, X, ts.y, ts.groups, **kw)
    return out, cfg


def _max_diff(a, b) -> float:
    num = ["value", "ci_low", "ci_high"]
    if not a.table.drop(columns=num).equals(b.table.drop(columns=num)):
        return float("inf")
    pairs = [(a.table[num].to_numpy(), b.table[num].to_numpy())]
    pairs += [(a.replicates[k], b.replicates[k]) for k in a.replicates]
    worst = 0.0
    for x, y in pairs:
        if not np.array_equal(np.isnan(x), np.isnan(y)):
            return float("inf")
        ok = ~np.isnan(x)
        worst = max(worst, float(np.abs(x[ok] - y[ok]).max(initial=0.0)))
    return worst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-boot", type=int, default=200)
    ap.add_argument("--scheme", choices=["cv", "loco", "both"], default="cv")
    ap.add_argument("--feature-set", default="clinical+tme")
    args = ap.parse_args()
    schemes = ["cv", "loco"] if args.scheme == "both" else [args.scheme]
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    runs, cfg = validation_runs(schemes, args.feature_set)
    print(f"validation runs ({', '.join(schemes)}; coxnet, {args.feature_set}): "
          f"{time.perf_counter() - t0:.1f} s")
    for scheme, res in runs.items():
        evaluate(res, n_boot=2)  # imports and warm-up
        t = time.perf_counter()
        fast = evaluate(res, n_boot=args.n_boot, seed=cfg.task.seed)
        t_fast = time.perf_counter() - t
        t = time.perf_counter()
        ref = evaluate(res, n_boot=args.n_boot, seed=cfg.task.seed, _reference=True)
        t_ref = time.perf_counter() - t
        print(f"{scheme}: {len(res.folds)} test folds, {len(res.samples)} samples, "
              f"n_boot={args.n_boot}")
        print(f"  reference (scikit-survival per draw): {t_ref:7.2f} s")
        print(f"  fast (multiplicities, batched):       {t_fast:7.2f} s")
        print(f"  speed-up: {t_ref / t_fast:.1f}x; largest difference: "
              f"{_max_diff(fast, ref):.2e}")


if __name__ == "__main__":
    main()
