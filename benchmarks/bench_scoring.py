"""Batch scoring at scale: ``tmeprog score`` streamed from parquet and from the AnnData
``.h5ad`` / ``.zarr`` matrix layouts (converted from the same parquet), local and Dask engines.

One run:

1. a champion trained quickly on the bundled cohorts (the quick prognosis pipeline: coxnet on
   clinical + TME features, ~40 s), or ``--model``/``--tracking-uri`` for an existing one;
2. a synthetic expression dataset, samples x 20,000 genes as float32 parquet (a folder of parts
   of 10,000 samples, row groups of 2,000): the model's input genes plus other current symbols,
   values on a log2 scale; a clinical table with the covariates the model uses. The size is checked
   against free disk space first (default 20,000 samples, 1.6 GB; ``--full``: 100,000, 8 GB);
3. ``tmeprog score`` run as a child process for each engine (local with 1 process, local with
   2 processes, Dask ``LocalCluster`` with 2 workers): wall time, samples/s end to end (model
   loading and worker start-up included) and once loaded, peak resident memory of the largest
   process and of the whole process tree (sampled every 0.2 s from ``/proc``), and the scaling
   efficiency of 2 processes against 1. All outputs must hold the same scores.
4. a profile of one chunk in this process: where the time of a chunk goes.

Targets (printed as ratios): >= 2,000 samples/s per core end to end, peak RSS < 2 GB.

Run: ``python benchmarks/bench_scoring.py`` (about 6 min on 2 cores), ``--samples 2000`` for a
quick check, ``--full`` for 100,000 samples (about 20 min); ``--workdir DIR`` keeps the files and
the store, ``--profile-only`` then repeats step 4 alone.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from tmeprog.tables.sniff import parquet_parts

TARGET_PER_CORE = 2000.0
TARGET_RSS = 2 * 2**30
N_GENES = 20_000
ROW_GROUP = 2000
PART_ROWS = 10_000  # one file's metadata costs ~1 KB per row group and column
GiB, MiB = 2**30, 2**20
QUICK_PIPELINE = {
    "task": {"kind": "prognosis", "experiment": "bench-scoring",
             "registered_model": "bench-scoring", "seed": 7},
    "data": {"cohorts": ["gse1992", "gse4335", "gse3143"], "pool_endpoints": True},
    "models": {"families": ["coxnet"], "feature_sets": ["clinical", "tme", "clinical+tme"]},
    "validation": {"cv_folds": 3, "cv_repeats": 1, "bootstrap": 20, "n_jobs": 1},
}


def _tree_rss(pid: int) -> tuple[int, int]:
    """(largest process RSS, sum over the process tree) in bytes."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root] + root.children(recursive=True)
    except psutil.Error:
        return 0, 0
    sizes = []
    for p in procs:
        try:
            sizes.append(p.memory_info().rss)
        except psutil.Error:
            pass
    return (max(sizes), sum(sizes)) if sizes else (0, 0)


def run_cli(args: list[str], env: dict) -> dict:
    """Run ``tmeprog score ... --json``; wall time, peak RSS and the JSON summary."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "tmeprog", "score", *args, "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    peak_one = peak_tree = 0
    stop = threading.Event()

    def sample():
        nonlocal peak_one, peak_tree
        while not stop.wait(0.2):
            one, tree = _tree_rss(proc.pid)
            peak_one, peak_tree = max(peak_one, one), max(peak_tree, tree)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out, errs = proc.communicate()
    stop.set()
    th.join()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"tmeprog score failed ({proc.returncode}):\n{errs[-3000:]}")
    return {"wall": wall, "peak_one": peak_one, "peak_tree": peak_tree,
            "summary": json.loads(out)}


def train_champion(store: str, workdir: Path) -> str:
    from tmeprog.pipeline.config import parse_config
    from tmeprog.pipeline.train import train

    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = train(parse_config(QUICK_PIPELINE, "bench"), tracking_uri=store,
                        progress=False, quick=True)
    finally:
        os.chdir(cwd)
    return res.model_uri


def make_input(scorer, n: int, d: Path, seed: int) -> tuple[Path, Path, int]:
    """Write the synthetic parquet and clinical table; returns their paths and gene count."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tmeprog.cohorts.gene_map import current_symbols
    from tmeprog.tracking.pyfunc import clinical_inputs

    model_genes = sorted(scorer.extractor.input_genes_)
    extra = [g for g in current_symbols() if g not in set(model_genes)]
    rng = np.random.default_rng(seed)
    genes = model_genes + list(rng.choice(extra, size=max(0, N_GENES - len(model_genes)),
                                          replace=False))
    order = rng.permutation(len(genes))  # file order is not the model's order
    genes = [genes[i] for i in order]
    centre = rng.normal(8.0, 1.5, size=len(genes)).astype(np.float32)
    schema = pa.schema([("sample_id", pa.string())] + [(g, pa.float32()) for g in genes])
    path = d / "synthetic"
    if path.exists():
        shutil.rmtree(path)
    path.mkdir()
    # a folder of parts of PART_ROWS samples; random floats: no dictionary, statistics or
    # compression (they only cost time)
    for start in range(0, n, PART_ROWS):
        part = path / f"part-{start // PART_ROWS:05d}.parquet"
        with pq.ParquetWriter(part, schema, compression="none", use_dictionary=False,
                              write_statistics=False) as w:
            for a in range(start, min(n, start + PART_ROWS), ROW_GROUP):
                m = min(ROW_GROUP, n - a, start + PART_ROWS - a)
                vals = np.asfortranarray(np.clip(
                    centre + rng.standard_normal((m, len(genes)), dtype=np.float32), 0.0, None))
                cols = [pa.array([f"SYN{i:07d}" for i in range(a, a + m)])]
                cols += [pa.array(vals[:, j]) for j in range(len(genes))]
                w.write_table(pa.Table.from_arrays(cols, schema=schema),
                              row_group_size=ROW_GROUP)
    clin = pd.DataFrame({"sample_id": [f"SYN{i:07d}" for i in range(n)]})
    ranges = {"age": (30, 86), "grade": (1, 4), "t_stage": (1, 5), "tumor_size_mm": (5, 80)}
    for c in clinical_inputs(scorer):
        lo, hi = ranges.get(c, (0, 2))  # other covariates: binary (er, node_status ...)
        clin[c] = rng.integers(lo, hi, n)
    cpath = d / "clinical.tsv"
    clin.to_csv(cpath, sep="\t", index=False)
    return path, cpath, len(genes)


def profile_chunk(served, path: Path, clin: Path, chunk: int) -> None:
    """Where the time of a sample goes: each stage of a chunk timed alone (this process)."""
    from tmeprog.features.ranking import rank_chunk
    from tmeprog.scoring.chunk import ChunkScorer
    from tmeprog.scoring.coverage import CoverageModel
    from tmeprog.scoring.inputs import open_input

    scorer = served.scorer
    ext = scorer.extractor
    t0 = time.perf_counter()
    inp = open_input(scorer, str(path), clinical=str(clin), scale="log2")
    t_open = time.perf_counter() - t0
    t0 = time.perf_counter()
    read = 0
    for got in inp.chunks(chunk):  # reading alone, over several row groups
        read += len(got[1])
        if read >= 4 * ROW_GROUP:
            break
    t_read = (time.perf_counter() - t0) / read
    idx, ids, payload = got
    n = len(ids)
    task = ChunkScorer(scorer, inp.preparer)
    task(idx, ids, payload)  # warm (compiled kernels, caches)

    def best(f, reps: int = 3) -> float:
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            f()
            times.append(time.perf_counter() - t)
        return min(times) / n

    cov = CoverageModel.of(scorer)
    expr, clinical = inp.preparer.parts(ids, payload)
    use, genes = ext._universe(expr.columns)
    sets = [ext.signatures_[f]["up"] + ext.signatures_[f]["down"] for f in ext.signatures_]
    pos = {g: i for i, g in enumerate(genes)}
    cols = np.array([pos[g] for s in sets for g in s if g in pos])
    values = expr.to_numpy(copy=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        features = best(lambda: ext.transform(expr))
        stages = {
            "whole chunk (ChunkScorer)": best(lambda: task(idx, ids, payload)),
            "  input frame (Preparer.parts)": best(lambda: inp.preparer.parts(ids, payload)),
            "  per-sample coverage checks": best(lambda: cov.per_sample(expr)),
            "  TME features (extractor.transform)": features,
            "    of which within-sample ranking": best(lambda: rank_chunk(values, cols, use)),
            # a difference of two timings: noise can exceed it, so it is floored at zero
            "  model: design + risk + survival (difference)": max(0.0, best(
                lambda: scorer.predict_parts(expr, clinical)) - features),
        }
    print(f"\nper sample, chunks of {n} samples x {len(genes)} model genes (opening the input "
          f"{t_open:.2f} s once); each stage timed alone, best of 3:")
    print(f"  {'reading (decode, model genes gathered)':45s} {1e3 * t_read:6.3f} ms")
    for label, v in stages.items():
        print(f"  {label:45s} {1e3 * v:6.3f} ms")
    whole = t_read + stages["whole chunk (ChunkScorer)"]
    print(f"  {'read + score':45s} {1e3 * whole:6.3f} ms = {1 / whole:.0f} samples/s on one core")


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--samples", type=int, default=20_000)
    p.add_argument("--full", action="store_true", help="100,000 samples (8 GB file)")
    p.add_argument("--model", help="existing model URI (skips training)")
    p.add_argument("--tracking-uri", help="store of --model")
    p.add_argument("--chunk-size", type=int, default=None)
    p.add_argument("--workdir", help="folder for the synthetic files (default: a temp dir)")
    p.add_argument("--keep", action="store_true", help="keep the synthetic files")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--layouts", nargs="*", default=["h5ad", "zarr"],
                   help="matrix layouts to convert the parquet input to and score as well")
    p.add_argument("--reuse-input", action="store_true",
                   help="reuse the synthetic files a run left in --workdir (same --samples)")
    p.add_argument("--profile-only", action="store_true",
                   help="only the chunk profile, on the files a run left in --workdir "
                        "(with --model and --tracking-uri)")
    a = p.parse_args()
    n = 100_000 if a.full else a.samples

    from tmeprog.scoring import default_chunk_size, load_served_model

    if a.profile_only:
        if not (a.workdir and a.model and a.tracking_uri):
            raise SystemExit("--profile-only needs --workdir, --model and --tracking-uri")
        served = load_served_model(a.model, a.tracking_uri)
        w = Path(a.workdir)
        chunk = a.chunk_size or default_chunk_size(len(served.scorer.extractor.input_genes_))
        profile_chunk(served, w / "synthetic", w / "clinical.tsv", chunk)
        return
    work = Path(a.workdir or tempfile.mkdtemp(prefix="bench-scoring-"))
    work.mkdir(parents=True, exist_ok=True)
    need = n * N_GENES * 4 * 1.1 + n * 4 * 100 * 3  # input, outputs, parts
    free = shutil.disk_usage(work).free
    if need > 0.8 * free:
        fit = int(0.8 * free / (N_GENES * 4 * 1.1 + 1200))
        print(f"{need / GiB:.1f} GiB needed but {free / GiB:.1f} GiB free in {work}; "
              f"using {fit} samples")
        n = fit
    try:
        store = a.tracking_uri or f"sqlite:///{work / 'mlflow.db'}"
        t0 = time.perf_counter()
        uri = a.model or train_champion(store, work)
        if not a.model:
            print(f"champion trained in {time.perf_counter() - t0:.0f} s: {uri}")
        served = load_served_model(uri, store)
        t0 = time.perf_counter()
        path, clin = work / "synthetic", work / "clinical.tsv"
        parts = parquet_parts(path)
        if a.reuse_input and parts and clin.exists() and \
                sum(pq.ParquetFile(p).metadata.num_rows for p in parts) == n:
            n_genes = len(pq.ParquetFile(parts[0]).schema_arrow.names) - 1
            how = "reused"
        else:
            path, clin, n_genes = make_input(served.scorer, n, work, a.seed)
            how = f"written in {time.perf_counter() - t0:.0f} s"
        size = sum(p.stat().st_size for p in parquet_parts(path))
        print(f"input: {n} samples x {n_genes} genes float32 parquet, parts of {PART_ROWS} "
              f"samples in row groups of {ROW_GROUP}, {size / GiB:.2f} GiB ({how}); model genes "
              f"{len(served.scorer.extractor.input_genes_)}; {os.cpu_count()} CPUs")

        env = {**os.environ, "MLFLOW_TRACKING_URI": store}
        runs = {}
        configs = [("local, 1 process", path, ["--engine", "local", "--workers", "1"], 1),
                   ("local, 2 processes", path, ["--engine", "local", "--workers", "2"], 2),
                   ("dask, 2 workers", path, ["--engine", "dask", "--workers", "2"], 2)]
        for fmt in a.layouts:
            store_path = work / f"synthetic.{fmt}"
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "tmeprog", "convert", str(path),
                            str(store_path), "--overwrite"], check=True, env=os.environ,
                           capture_output=True)
            print(f"converted to {fmt} in {time.perf_counter() - t0:.0f} s "
                  f"({_size(store_path) / GiB:.2f} GiB)")
            configs += [(f"{fmt}, local 1", store_path, ["--engine", "local", "--workers", "1"],
                         1),
                        (f"{fmt}, local 2", store_path, ["--engine", "local", "--workers", "2"],
                         2)]
        print(f"\n{'engine':20s} {'chunk':>6s} {'wall s':>7s} {'samples/s':>10s} {'per core':>9s} "
              f"{'loaded s/s':>10s} {'per core':>9s} {'peak RSS':>9s} {'tree RSS':>9s}")
        for k, (label, src, extra, cores) in enumerate(configs):
            out = work / f"scores-{k}.parquet"
            chunking = ["--chunk-size", str(a.chunk_size)] if a.chunk_size else []
            r = run_cli([str(src), "--model", uri, "-o", str(out), "--clinical", str(clin),
                         *chunking, "--scale", "log2", "--tracking-uri", store,
                         "--overwrite", *extra], env)
            s = r["summary"]
            assert s["n_scored"] == n and s["n_failed"] == 0, s
            r["rate"] = n / r["wall"]
            r["loaded_rate"] = n / s["scoring_seconds"]
            r["cores"] = cores
            r["out"] = out
            runs[label] = r
            print(f"{label:20s} {s['chunk_size']:6d} {r['wall']:7.1f} {r['rate']:10.0f} "
                  f"{r['rate'] / cores:9.0f} "
                  f"{r['loaded_rate']:10.0f} {r['loaded_rate'] / cores:9.0f} "
                  f"{r['peak_one'] / GiB:8.2f}G {r['peak_tree'] / GiB:8.2f}G")
        base = pd.read_parquet(runs["local, 1 process"]["out"])
        for label, r in runs.items():
            same = pd.read_parquet(r["out"]).equals(base)
            print(f"  {label}: scores identical to local, 1 process: {same}")
        one = runs["local, 1 process"]
        for label in ("local, 2 processes", "dask, 2 workers"):
            r = runs[label]
            print(f"scaling efficiency, {label} vs 1: end to end "
                  f"{r['rate'] / (2 * one['rate']):.2f}, once loaded "
                  f"{r['loaded_rate'] / (2 * one['loaded_rate']):.2f}")
        best = max(r["rate"] / r["cores"] for r in runs.values())
        peak = max(r["peak_one"] for r in runs.values())
        print(f"\ntarget {TARGET_PER_CORE:.0f} samples/s per core end to end: best "
              f"{best:.0f} = {best / TARGET_PER_CORE:.2f}x the target")
        print(f"target peak RSS < {TARGET_RSS / GiB:.0f} GiB per process: largest "
              f"{peak / GiB:.2f} GiB = {peak / TARGET_RSS:.2f}x the limit")
        profile_chunk(served, path, clin, one["summary"]["chunk_size"])
    finally:
        if not a.keep and not a.workdir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
