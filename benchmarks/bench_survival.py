"""Runtime of the full survival comparison on the three bundled expression cohorts.

4 model families (elastic-net Cox, random survival forest, xgboost Cox, xgboost AFT) x 3 feature
sets (clinical, tme, clinical+tme) x (repeated stratified 5-fold CV with nested tuning +
leave-one-cohort-out), with 200-resample bootstrap CIs, on GSE1992 (RFS), GSE4335 (OS) and
GSE3143 (OS) pooled (397 patients, 123 events). Endpoints differ between cohorts (RFS vs OS):
the pooled analysis is a workload and a sanity check, not a clinical result.

TME features here are stand-ins (mean z-score of three marker genes per compartment: CD8A/GZMB/
PRF1, MKI67/TOP2A/CCNB1, COL1A1/FAP/DCN) until the TME extractor provides real ones. They are
z-scored per cohort inside the validation (per-cohort standardisation).

Run: ``python benchmarks/bench_survival.py`` (about 5-10 minutes on 2 cores) or ``--quick``;
``--out table.csv`` writes the results table (``--overwrite`` to replace a file).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from tmeprog.cohorts import load_cohort
from tmeprog.models import compare, design_matrices

MARKERS = {
    "immune_cd8": ["CD8A", "GZMB", "PRF1"],
    "proliferation": ["MKI67", "TOP2A", "CCNB1"],
    "stromal_caf": ["COL1A1", "FAP", "DCN"],
}
COHORTS = {"gse1992": "rfs", "gse4335": "os", "gse3143": "os"}


def standin_data():
    feats, clins, ys, groups = [], [], [], []
    for name, endpoint in COHORTS.items():
        c = load_cohort(name)
        z = (c.expression - c.expression.mean()) / c.expression.std()
        f = pd.DataFrame({k: z[[g for g in v if g in z.columns]].mean(axis=1)
                          for k, v in MARKERS.items()})
        f.index = name + ":" + f.index.astype(str)
        cl = c.clinical.copy()
        cl.index = f.index
        feats.append(f)
        clins.append(cl)
        ys.append(c.survival(endpoint))
        groups += [name] * c.n_samples
    return pd.concat(feats), pd.concat(clins), np.concatenate(ys), np.asarray(groups)


def write_csv(df: pd.DataFrame, path: Path, overwrite: bool) -> None:
    if path.exists() and not overwrite:
        sys.exit(f"{path} exists; pass --overwrite to replace it")
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        df.to_csv(fh, index=False)
    os.replace(tmp, path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small models and grids, 50 resamples")
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--n-boot", type=int, default=None)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--overwrite", action="store_true")
    args = ap.parse_args()
    n_boot = args.n_boot or (50 if args.quick else 200)

    feats, clin, y, groups = standin_data()
    sets = design_matrices(clin, feats)
    tme_cols = list(feats.columns)
    sizes = {str(k): int(v) for k, v in zip(*np.unique(groups, return_counts=True), strict=True)}
    print(f"data: {len(y)} patients, {int(y['event'].sum())} events, cohorts {sizes}; "
          f"feature sets {{{', '.join(f'{k}: {v.shape[1]}' for k, v in sets.items())}}}")
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = compare(sets, y, groups, n_boot=n_boot, n_jobs=args.n_jobs, quick=args.quick,
                      cohort_standardise={"tme": tme_cols, "clinical+tme": tme_cols},
                      paired=(("clinical+tme", "clinical"), ("clinical+tme", "tme")))
    wall = time.perf_counter() - t0
    print(f"compare: 4 models x 3 feature sets x (CV {res.settings['n_splits']}-fold x "
          f"{res.settings['n_repeats']} + LOCO), nested tuning, {n_boot} bootstrap resamples, "
          f"n_jobs={args.n_jobs}: {wall:.1f} s wall ({len(res.table)} rows)")
    msgs = sorted({str(w.message)[:160] for w in caught})
    print(f"{len(msgs)} distinct warnings" + ("".join(f"\n  {m}" for m in msgs[:12])))

    t = res.table
    main_rows = t[~t["feature_set"].str.contains(" - ") & t["validation"].isin(["cv", "loco"])]
    cell = main_rows.assign(
        txt=[f"{v:.3f} [{lo:.3f}, {hi:.3f}]" for v, lo, hi in
             main_rows[["value", "ci_low", "ci_high"]].itertuples(index=False)])
    with pd.option_context("display.width", 250, "display.max_rows", 400,
                           "display.max_colwidth", 40):
        for val in ("cv", "loco"):
            sub = cell[cell["validation"] == val]
            print(f"\n== {val} ==")
            print(sub.pivot_table(index=["model", "feature_set"], columns="metric", values="txt",
                                  aggfunc="first", sort=False).to_string())
        d = t[t["feature_set"].str.contains(" - ") & t["validation"].isin(["cv", "loco"])
              & t["metric"].isin(["harrell_c", "uno_c"])]
        print("\n== paired differences (Harrell / Uno C) ==")
        print(d[["model", "feature_set", "validation", "metric", "value", "ci_low", "ci_high",
                 "p_value"]].round(3).to_string(index=False))
    if args.out:
        write_csv(t, args.out, args.overwrite)
        print(f"table written to {args.out}")


if __name__ == "__main__":
    main()
