"""Speed and memory of quanTIseq deconvolution (``tmeprog.features.deconvolve``).

Seeded synthetic log2(TPM + 1) data: samples x genes, the 170 TIL10 genes among them, each
sample a random immune mixture of the TIL10 profiles plus gamma-distributed other genes. The
anchor, timed in the same run, is the least any deconvolution of this input must do: un-log
the matrix and rescale each sample to 1e6 (``np.exp2`` and a row sum). Peak memory is numpy's
peak allocation during the call (tracemalloc), as a ratio to the input matrix (float64).

Run: ``python benchmarks/bench_deconvolution.py`` (10,000 x 20,000) or ``--small``.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
import pandas as pd

from tmeprog.features import deconvolve
from tmeprog.signatures.references import load_til10

MiB = 2**20


def synthetic(n_samples: int, n_genes: int, seed: int = 0) -> pd.DataFrame:
    sig = load_til10().signature
    rng = np.random.default_rng(seed)
    frac = rng.dirichlet(np.ones(10), size=n_samples) * rng.uniform(0.05, 0.5, (n_samples, 1))
    n_other = n_genes - len(sig)
    x = np.empty((n_samples, n_genes))
    x[:, :len(sig)] = frac @ sig.to_numpy().T
    x[:, len(sig):] = rng.gamma(0.4, 60.0, size=(n_samples, n_other))
    x *= 1e6 / x.sum(axis=1, keepdims=True)
    np.log2(x + 1, out=x)
    genes = list(sig.index) + [f"G{i}" for i in range(n_other)]
    return pd.DataFrame(x, columns=genes, index=[f"s{i}" for i in range(n_samples)])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", action="store_true", help="1,000 x 20,000")
    args = ap.parse_args()
    n = 1000 if args.small else 10_000
    expr = synthetic(n, 20_000)
    in_mib = expr.to_numpy().nbytes / MiB
    print(f"input: {n:,} samples x 20,000 genes, {in_mib:,.0f} MiB float64")

    t = time.perf_counter()
    y = np.exp2(expr.to_numpy())
    y.sum(axis=1)
    anchor = time.perf_counter() - t
    del y

    deconvolve(expr.iloc[:50], scale="log2p1")  # warm-up (imports)
    tracemalloc.start()
    t = time.perf_counter()
    out = deconvolve(expr, scale="log2p1")
    took = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1] / MiB
    tracemalloc.stop()
    assert out.notna().all().all() and len(out) == n
    print(f"anchor (un-log + rescale only): {anchor:.2f} s")
    print(f"deconvolve (quanTIseq, RNA-seq): {took:.2f} s ({n / took:,.0f} samples/s), "
          f"{took / anchor:.1f}x the anchor")
    print(f"peak memory during the call: {peak:,.0f} MiB ({peak / in_mib:.2f}x the input)")


if __name__ == "__main__":
    main()
