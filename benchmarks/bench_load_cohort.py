"""Time and memory of cohort loading.

Prints, for each bundled expression cohort, the load time (first call and best of 3) as a ratio
to the 3 s target, and the peak Python memory of one load (tracemalloc); then the same for a
synthetic user file (genes x samples TSV) against pandas' plain ``read_csv`` of that file.

Run: ``python benchmarks/bench_load_cohort.py [--genes 20000 --samples 200]``.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

TARGET_S = 3.0
BUNDLED = ("gse1992", "gse4335", "gse3143")


def _timed(fn, repeat: int = 3) -> tuple[float, float, float]:
    """(first, best, peak MiB of the first call)."""
    tracemalloc.start()
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    best = first
    for _ in range(repeat - 1):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return first, best, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--genes", type=int, default=20_000)
    ap.add_argument("--samples", type=int, default=200)
    args = ap.parse_args()

    t0 = time.perf_counter()
    from tmeprog.cohorts import load_cohort
    from tmeprog.cohorts.gene_map import _load, current_symbols
    from tmeprog.cohorts.userfiles import load_user_cohort

    t_import = time.perf_counter() - t0
    t0 = time.perf_counter()
    _load()
    t_map = time.perf_counter() - t0
    print(f"import {t_import:.2f} s; gene map table load {t_map:.2f} s (once per process)")
    print(f"{'cohort':<28}{'first s':>9}{'best s':>9}{'vs 3 s':>8}{'peak MiB':>10}")
    for name in BUNDLED:
        first, best, peak = _timed(lambda n=name: load_cohort(n))
        print(f"{name:<28}{first:9.2f}{best:9.2f}{first / TARGET_S:8.2f}{peak:10.1f}")

    rng = np.random.default_rng(0)
    syms = list(current_symbols()[: args.genes])
    vals = rng.normal(7.0, 2.0, size=(len(syms), args.samples)).clip(0, 16)
    frame = pd.DataFrame(vals, index=pd.Index(syms, name="gene"),
                         columns=[f"S{i:04d}" for i in range(args.samples)])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "expr.tsv"
        frame.to_csv(path, sep="\t", float_format="%.6f")
        label = f"user TSV {len(syms)}x{args.samples}"
        first, best, peak = _timed(lambda: load_user_cohort(path))
        a_first, a_best, a_peak = _timed(
            lambda: pd.read_csv(path, sep="\t", index_col=0, engine="c"))
        print(f"{label:<28}{first:9.2f}{best:9.2f}{first / TARGET_S:8.2f}{peak:10.1f}")
        print(f"{'  anchor pandas read_csv':<28}{a_first:9.2f}{a_best:9.2f}{'':>8}{a_peak:10.1f}")
        print(f"  ratio to anchor: time {best / a_best:.2f}x, peak memory {peak / a_peak:.2f}x")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS {rss:.0f} MiB")


if __name__ == "__main__":
    main()
