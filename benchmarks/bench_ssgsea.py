"""Speed and memory of tmeprog's ssGSEA against gseapy.ssgsea, plus bounded-memory streaming.

One run, on seeded synthetic data (samples x genes standard normal, gene sets of 15-300
random genes):

1. in-memory: time and peak memory of ``score_signatures(method="ssgsea")`` (1 thread, then
   ``n_jobs`` threads) and of ``gseapy.ssgsea`` (1 thread, ``sample_norm_method="rank"``,
   ``permutation_num=0``); the two enrichment scores are checked to agree. gseapy's
   ``rank`` normalisation scales ranks by 10,000 / n_genes, a constant that cancels in the
   ES; its ``NES`` divides by the range over all scores and is not compared.
2. streaming, in a fresh child process: ``score_chunks`` over chunks generated on the fly
   (the full matrix never exists); peak memory against one chunk and against the full matrix.

Peak memory is the peak resident set size above the level just before the call, sampled
every 5 ms (Linux ``/proc``), so it covers gseapy's Rust allocations too; for tmeprog the
peak of numpy allocations (tracemalloc) is also given. Ratios are to the input matrix
(float64 samples x genes). The streaming run is a separate process so that memory freed by
the in-memory runs (kept by the allocator) does not hide its own peak.

Run: ``python benchmarks/bench_ssgsea.py`` (2,000 x 20,000 x 50; gseapy takes about a minute
and 5 GB) or ``--small`` for a quick check; ``--skip-gseapy`` to time tmeprog alone.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
import tracemalloc
import warnings
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

from tmeprog.features import score_chunks, score_signatures

TARGET_SPEEDUP = 20.0
TARGET_PEAK_RATIO = 3.0
MiB = 2**20


def _rss() -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


class PeakRSS:
    """Peak resident memory above the starting level, sampled in a background thread."""

    def __init__(self, interval: float = 0.005):
        self.interval = interval
        self.base = self.peak = 0
        self._stop = threading.Event()

    def __enter__(self) -> PeakRSS:
        self.base = self.peak = _rss()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, _rss())

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())

    @property
    def delta(self) -> int:
        return self.peak - self.base


def measure(fn: Callable[[], object]) -> tuple[object, float, int]:
    """(result, seconds, peak RSS delta bytes)."""
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        out = fn()
        seconds = time.perf_counter() - t0
    return out, seconds, mem.delta


def tracemalloc_peak(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def make_data(n_samples: int, n_genes: int, n_sets: int, seed: int):
    rng, set_rng = np.random.default_rng([seed, 0]), np.random.default_rng([seed, 1])
    genes = [f"G{i:05d}" for i in range(n_genes)]
    expr = pd.DataFrame(rng.standard_normal((n_samples, n_genes)),
                        index=[f"S{i:06d}" for i in range(n_samples)], columns=genes)
    sizes = set_rng.integers(15, 301, size=n_sets)
    sets = {f"set{j:02d}": [genes[i] for i in set_rng.choice(n_genes, size=s, replace=False)]
            for j, s in enumerate(sizes)}
    return expr, sets


def run_gseapy(expr: pd.DataFrame, sets: dict) -> pd.DataFrame:
    import gseapy

    res = gseapy.ssgsea(data=expr.T, gene_sets=sets, sample_norm_method="rank",
                        permutation_num=0, min_size=1, max_size=expr.shape[1], threads=1,
                        outdir=None, no_plot=True, verbose=False)
    es = res.res2d.pivot(index="Name", columns="Term", values="ES").astype(float)
    return es.loc[expr.index, list(sets)]


def stream(n_samples: int, n_genes: int, chunk: int, sets: dict, seed: int) -> dict:
    genes = [f"G{i:05d}" for i in range(n_genes)]
    gen_seconds = 0.0

    def chunks(stop: int = n_samples) -> Iterator[pd.DataFrame]:
        nonlocal gen_seconds
        rng = np.random.default_rng(seed)
        for start in range(0, stop, chunk):
            t0 = time.perf_counter()
            m = min(chunk, n_samples - start)
            df = pd.DataFrame(rng.standard_normal((m, n_genes)), columns=genes,
                              index=pd.RangeIndex(start, start + m))
            gen_seconds += time.perf_counter() - t0
            yield df
            del df  # do not hold a scored chunk while generating the next

    done = 0

    def consume(stop: int = n_samples) -> None:
        nonlocal done
        for scores in score_chunks(chunks(stop), sets, "ssgsea"):
            done += len(scores)

    _, seconds, peak = measure(consume)
    gen_first, done_first = gen_seconds, done
    # numpy's own peak, on the first 10 chunks (memory is bounded per chunk)
    tracemalloc.start()
    consume(min(n_samples, 10 * chunk))
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"samples": done_first, "seconds": seconds, "gen_seconds": gen_first, "peak": peak,
            "traced": traced, "chunk_bytes": chunk * n_genes * 8,
            "total_bytes": n_samples * n_genes * 8}


def report_stream(a: argparse.Namespace, sets: dict) -> None:
    s = stream(a.stream_samples, a.genes, a.stream_chunk, sets, a.seed + 1)
    score_s = s["seconds"] - s["gen_seconds"]
    print(f"streaming: {s['samples']} samples x {a.genes} genes in chunks of {a.stream_chunk}: "
          f"{s['seconds']:.1f} s ({s['gen_seconds']:.1f} s generating data, "
          f"{score_s / s['samples'] * 1e3:.2f} ms/sample scoring)")
    for label, v in (("peak RSS", s["peak"]), ("numpy peak", s["traced"])):
        print(f"  {label:10s} +{v / MiB:6.0f} MiB = {v / s['chunk_bytes']:.2f}x one chunk "
              f"({s['chunk_bytes'] / MiB:.0f} MiB), {v / s['total_bytes']:.4f}x the full "
              f"{s['total_bytes'] / 2**30:.1f} GiB matrix")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--small", action="store_true",
                   help="quick check: 200 x 5,000 x 20, stream 5,000 samples")
    p.add_argument("--samples", type=int, default=2000)
    p.add_argument("--genes", type=int, default=20000)
    p.add_argument("--sets", type=int, default=50)
    p.add_argument("--stream-samples", type=int, default=100_000)
    p.add_argument("--stream-chunk", type=int, default=1000)
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--skip-gseapy", action="store_true")
    p.add_argument("--skip-stream", action="store_true")
    p.add_argument("--stream-only", action="store_true",
                   help="only the streaming measurement, in this process")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    if a.small:
        a.samples, a.genes, a.sets, a.stream_samples, a.stream_chunk = 200, 5000, 20, 5000, 500

    if a.stream_only:
        report_stream(a, make_data(1, a.genes, a.sets, a.seed)[1])
        return
    expr, sets = make_data(a.samples, a.genes, a.sets, a.seed)
    in_bytes = expr.memory_usage(index=False).sum()
    print(f"input: {a.samples} samples x {a.genes} genes x {a.sets} sets "
          f"({in_bytes / MiB:.0f} MiB float64), seed {a.seed}")

    ours, t1, rss1 = measure(lambda: score_signatures(expr, sets, "ssgsea"))
    _, tj, rssj = measure(lambda: score_signatures(expr, sets, "ssgsea", n_jobs=a.n_jobs))
    tm = tracemalloc_peak(lambda: score_signatures(expr, sets, "ssgsea"))
    print(f"tmeprog ssgsea, 1 thread : {t1:7.2f} s   peak RSS +{rss1 / MiB:7.0f} MiB "
          f"({rss1 / in_bytes:.2f}x input); numpy peak {tm / MiB:.0f} MiB "
          f"({tm / in_bytes:.2f}x input)")
    print(f"tmeprog ssgsea, {a.n_jobs} threads: {tj:7.2f} s   peak RSS +{rssj / MiB:7.0f} MiB "
          f"({rssj / in_bytes:.2f}x input)")

    if not a.skip_gseapy:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs, tg, rssg = measure(lambda: run_gseapy(expr, sets))
        diff = np.abs(theirs.to_numpy() - ours.to_numpy())
        rel = np.max(diff / np.abs(ours.to_numpy()))
        print(f"gseapy.ssgsea, 1 thread  : {tg:7.2f} s   peak RSS +{rssg / MiB:7.0f} MiB "
              f"({rssg / in_bytes:.2f}x input)")
        print(f"ES agreement with gseapy : max |diff| {diff.max():.3g}, max rel {rel:.3g}")
        print(f"speed-up vs gseapy       : {tg / t1:.1f}x (1 thread), {tg / tj:.1f}x "
              f"({a.n_jobs} threads); target >= {TARGET_SPEEDUP:.0f}x")
    print(f"peak / input (tmeprog)   : {rss1 / in_bytes:.2f}x RSS; target < "
          f"{TARGET_PEAK_RATIO:.0f}x")

    if not a.skip_stream:
        sys.stdout.flush()
        args = [sys.executable, __file__, "--stream-only", "--genes", str(a.genes), "--sets",
                str(a.sets), "--seed", str(a.seed), "--stream-samples", str(a.stream_samples),
                "--stream-chunk", str(a.stream_chunk)]
        subprocess.run(args, check=True)


if __name__ == "__main__":
    main()
