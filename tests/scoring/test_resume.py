"""The work folder: atomic chunk files, manifest checks, lock, ordered collection."""

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from tmeprog.errors import InputError
from tmeprog.scoring.chunk import ChunkResult
from tmeprog.scoring.resume import WorkDir, work_dir_for

MANIFEST = {"input": {"path": "x.parquet", "size": 10, "mtime_ns": 1},
            "model": {"uri": "models:/m@champion", "version": "3"}, "chunk_size": 2}


def _result(i, ids, failed=()):
    scores = pd.DataFrame({"risk_score": [float(len(s)) for s in ids]},
                          index=pd.Index(ids, name="sample_id"))
    fail = pd.DataFrame({"sample_id": list(failed), "error": ["boom"] * len(failed)})
    return ChunkResult(index=i, scores=scores, failed=fail)


def test_parts_are_collected_in_chunk_order(tmp_path):
    wd = WorkDir(tmp_path / "out.parquet")
    assert wd.path == work_dir_for(tmp_path / "out.parquet") == tmp_path / "out.parquet.parts"
    assert wd.start(MANIFEST, resume=False) == frozenset()
    wd.write(_result(1, ["c", "dd"]))
    wd.write(_result(0, ["a"], failed=["b"]))
    assert wd.done() == {0, 1}
    assert not list(wd.path.glob("*.tmp"))
    scores, failed = wd.collect(2)
    assert list(scores.index) == ["a", "c", "dd"] and list(scores["risk_score"]) == [1, 1, 2]
    assert failed.to_dict("records") == [{"sample_id": "b", "error": "boom"}]
    assert wd.chunk_ids(0) == ["a", "b"]
    with pytest.raises(InputError, match=r"chunks \[2\] are not finished"):
        wd.collect(3)


def test_resume_keeps_parts_and_refuses_another_run(tmp_path):
    wd = WorkDir(tmp_path / "out.tsv")
    wd.start(MANIFEST, resume=False)
    wd.write(_result(0, ["a", "b"]))
    wd.release()
    assert WorkDir(tmp_path / "out.tsv").start(MANIFEST, resume=True) == {0}
    other = {**MANIFEST, "model": {"uri": "models:/m@champion", "version": "4"}}
    with pytest.raises(InputError, match=r"different run \(model: was .*'3'.*now.*'4'"):
        WorkDir(tmp_path / "out.tsv").start(other, resume=True)
    assert wd.done() == {0}
    # without resume the folder is replaced
    assert WorkDir(tmp_path / "out.tsv").start(other, resume=False) == frozenset()
    assert json.loads(wd.manifest_path.read_text())["model"]["version"] == "4"


def test_live_lock_refuses_and_stale_lock_is_taken_over(tmp_path):
    wd = WorkDir(tmp_path / "out.csv")
    wd.start(MANIFEST, resume=False)
    lock = wd.path / "lock"
    host = json.loads(lock.read_text())["host"]
    lock.write_text(json.dumps({"host": host, "pid": os.getppid()}))  # a live process
    with pytest.raises(InputError, match="another scoring run"):
        WorkDir(tmp_path / "out.csv").start(MANIFEST, resume=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock.write_text(json.dumps({"host": host, "pid": dead.pid}))
    assert WorkDir(tmp_path / "out.csv").start(MANIFEST, resume=True) == frozenset()
    assert json.loads(lock.read_text())["pid"] == os.getpid()
