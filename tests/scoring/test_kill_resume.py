"""A scoring run killed mid-way (SIGKILL) resumes from its finished chunks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tmeprog.scoring import score_batch
from tmeprog.tracking.pyfunc import model_input

from .conftest import CHAMPION

N, CHUNK = 60, 20


def _generated(served, d):
    rng = np.random.default_rng(11)
    genes = sorted(served.scorer.extractor.input_genes_)
    ids = [f"GEN{i:04d}" for i in range(N)]
    expr = pd.DataFrame(rng.normal(8.0, 2.0, size=(N, len(genes))).astype(np.float32),
                        index=pd.Index(ids, name="sample_id"), columns=genes)
    clin = pd.DataFrame({"age": rng.integers(30, 80, N), "er": rng.integers(0, 2, N),
                         "grade": rng.integers(1, 4, N), "t_stage": rng.integers(1, 5, N),
                         "node_status": rng.integers(0, 2, N)}, index=expr.index)
    pq.write_table(pa.Table.from_pandas(expr), d / "big.parquet", row_group_size=CHUNK)
    clin.to_csv(d / "clin.tsv", sep="\t")
    return expr, clin


def test_sigkill_then_resume_scores_every_sample_once(served, store, tmp_path):
    expr, clin = _generated(served, tmp_path)
    out = tmp_path / "scores.parquet"
    parts = tmp_path / "scores.parquet.parts"
    args = ["score", str(tmp_path / "big.parquet"), "--model", CHAMPION, "-o", str(out),
            "--clinical", str(tmp_path / "clin.tsv"), "--chunk-size", str(CHUNK),
            "--scale", "log2", "--tracking-uri", store, "-q"]
    env = {**os.environ, "MLFLOW_TRACKING_URI": store}
    proc = subprocess.Popen([sys.executable, "-m", "tmeprog", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    try:
        while not (parts / "chunk-000000.parquet").exists():
            assert proc.poll() is None, proc.communicate()[1].decode()[-2000:]
            assert not out.exists()  # never a partial output
            assert time.time() < deadline, "no chunk finished in time"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert not out.exists()
    done = sorted(p.name for p in parts.glob("chunk-*.parquet"))
    assert 1 <= len(done) < N // CHUNK, done
    assert not list(parts.glob("*.tmp"))
    manifest = json.loads((parts / "manifest.json").read_text())
    assert manifest["chunk_size"] == CHUNK and manifest["model"]["version"] == "1"

    # the CLI's --resume is this call (exercised through the CLI in test_score.py)
    s = score_batch(CHAMPION, str(tmp_path / "big.parquet"), out, resume=True, served=served,
                    clinical=str(tmp_path / "clin.tsv"), chunk_size=CHUNK, scale="log2")
    assert s.n_resumed == len(done) and s.n_scored == N
    got = pd.read_parquet(out)
    assert got["sample_id"].tolist() == list(expr.index)  # each once, in file order
    assert not parts.exists()
    # the killed process's first chunk holds the in-process values of those rows
    rows = expr.index[:CHUNK]
    ref = served.scorer.predict(model_input(expr.loc[rows].astype(np.float64), clin.loc[rows]))
    first = got.set_index("sample_id").loc[rows]
    for col in ("risk_score", "survival_prob_3y", "survival_prob_5y", "risk_group"):
        assert (first[col].to_numpy() == ref[col].to_numpy()).all(), col
