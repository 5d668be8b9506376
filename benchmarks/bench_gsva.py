"""GSVA (``score_signatures(method="gsva")``) against R GSVA, timed in the same run.

Seeded synthetic data: samples x genes (gene-specific means and SDs, normal noise), 50 gene
sets of 15-300 random genes. tmeprog scores the samples against their own kernel reference
(what R does); R GSVA 1.46 runs ``gsva(method = "gsva", kcdf = "Gaussian")`` on the same
matrix, passed as raw doubles, and its time is measured inside R around the ``gsva`` call only
(reading the input excluded). Both results are compared. Skipped when ``Rscript`` with GSVA is
absent (Debian: ``apt-get install r-bioc-gsva``). Threads: numba's default (all cores);
R is single-threaded (``parallel.sz = 1``).

Run: ``python benchmarks/bench_gsva.py`` (500 x 20,000 x 50) or ``--small``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from tmeprog.features import score_signatures

MiB = 2**20
R_SCRIPT = r"""
suppressPackageStartupMessages(library(GSVA))
args <- commandArgs(TRUE)
d <- args[1]; n <- as.integer(args[2]); p <- as.integer(args[3])
x <- matrix(readBin(file.path(d, "x.bin"), "double", n * p), nrow = p, ncol = n)
rownames(x) <- readLines(file.path(d, "genes.txt"))
colnames(x) <- paste0("s", seq_len(n))
gmt <- strsplit(readLines(file.path(d, "sets.gmt")), "\t", fixed = TRUE)
sets <- lapply(gmt, function(v) v[-(1:2)]); names(sets) <- vapply(gmt, `[`, "", 1)
t <- system.time(es <- gsva(x, sets, method = "gsva", kcdf = "Gaussian", min.sz = 1,
                            max.sz = Inf, verbose = FALSE, parallel.sz = 1))[["elapsed"]]
writeBin(as.vector(es), file.path(d, "es.bin"))  # sample-major: sets fastest
cat(t, "\n")
"""


def synthetic(n: int, p: int, n_sets: int = 50, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(rng.uniform(2, 12, p), rng.uniform(0.3, 2.0, p), size=(n, p))
    genes = [f"G{i}" for i in range(p)]
    sets = {f"set{k}": list(rng.choice(genes, size=int(rng.integers(15, 301)), replace=False))
            for k in range(n_sets)}
    return pd.DataFrame(x, columns=genes, index=[f"s{i + 1}" for i in range(n)]), sets


def run_r(expr: pd.DataFrame, sets: dict) -> tuple[float, np.ndarray] | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as d:
        dp = Path(d)
        expr.to_numpy().astype(np.float64).tofile(dp / "x.bin")  # row-major = genes fastest
        (dp / "genes.txt").write_text("\n".join(expr.columns) + "\n")
        (dp / "sets.gmt").write_text("".join(f"{k}\tna\t" + "\t".join(v) + "\n"
                                             for k, v in sets.items()))
        (dp / "run.R").write_text(R_SCRIPT)
        res = subprocess.run(["Rscript", str(dp / "run.R"), d, str(len(expr)),
                              str(expr.shape[1])], capture_output=True, text=True)
        if res.returncode != 0:
            print("R GSVA unavailable:", res.stderr.strip().splitlines()[-1:])
            return None
        es = np.fromfile(dp / "es.bin").reshape(len(expr), len(sets))
        return float(res.stdout.split()[-1]), es


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", action="store_true", help="100 x 5,000 x 50")
    args = ap.parse_args()
    n, p = (100, 5000) if args.small else (500, 20_000)
    expr, sets = synthetic(n, p)
    print(f"input: {n} samples x {p:,} genes x {len(sets)} gene sets")
    score_signatures(expr.iloc[:5, :2000], {"a": list(expr.columns[:20])}, "gsva")  # compile
    tracemalloc.start()
    t = time.perf_counter()
    ours = score_signatures(expr, sets, "gsva")
    took = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1] / MiB
    tracemalloc.stop()
    print(f"tmeprog gsva: {took:.1f} s, peak {peak:,.0f} MiB "
          f"({peak / (expr.to_numpy().nbytes / MiB):.1f}x the input)")
    r = run_r(expr, sets)
    if r is None:
        print("R GSVA: skipped (Rscript with GSVA not installed)")
        return
    r_time, r_es = r
    dev = float(np.abs(ours.to_numpy() - r_es).max())
    print(f"R GSVA 1.46: {r_time:.1f} s; tmeprog is {r_time / took:.1f}x faster; "
          f"max |difference| {dev:.1e}")


if __name__ == "__main__":
    main()
