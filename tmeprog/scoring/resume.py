"""The work folder of a scoring run (``OUT.parts/``): finished chunks and a manifest.

Layout::

    OUT.parts/
        manifest.json                 input fingerprint, model URI + version, chunk size
        lock                          host and pid of the run writing the folder
        chunk-000000.failed.parquet   samples of chunk 0 that failed (only if any)
        chunk-000000.parquet          scores of chunk 0; its presence marks the chunk finished

Every file is written to a temporary name and renamed, so a run killed at any moment leaves
only whole files; a resumed run skips the finished chunks and scores every other sample once.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from pathlib import Path

import pandas as pd

from tmeprog.errors import InputError
from tmeprog.scoring.chunk import FAILED_COLUMNS, ChunkResult
from tmeprog.tables.tableio import atomic_output

MANIFEST_VERSION = 1
_PART = "chunk-{:06d}.parquet"
_FAILED = "chunk-{:06d}.failed.parquet"


def work_dir_for(output: Path) -> Path:
    """``OUT.parts`` beside the output file."""
    return output.parent / f"{output.name}.parts"


def _atomic_write(path: Path, write) -> None:
    with atomic_output(path, overwrite=True) as tmp:
        write(tmp)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class WorkDir:
    """Finished chunks of one scoring run, and what they were computed from."""

    def __init__(self, output: str | Path):
        self.output = Path(output)
        self.path = work_dir_for(self.output)

    @property
    def manifest_path(self) -> Path:
        return self.path / "manifest.json"

    def exists(self) -> bool:
        """Whether an earlier run left a work folder."""
        return self.path.exists()

    def start(self, manifest: dict, resume: bool) -> frozenset[int]:
        """Create the folder (or check it for ``resume``) and return the finished chunks.

        Raises
        ------
        InputError
            When resuming a folder made for another input, model or chunk size, or one another
            live run is writing.
        """
        manifest = {"format": MANIFEST_VERSION, **manifest}
        if self.path.exists():
            self._check_lock()
        if self.path.exists() and resume and self.manifest_path.exists():
            old = json.loads(self.manifest_path.read_text())
            diff = [k for k in sorted(set(old) | set(manifest)) if old.get(k) != manifest.get(k)]
            if diff:
                shown = "; ".join(f"{k}: was {old.get(k)!r}, now {manifest.get(k)!r}"
                                  for k in diff)[:800]
                raise InputError(
                    f"cannot resume into {self.path}: it was made for a different run ({shown});"
                    " pass --overwrite to start over"
                )
        elif self.path.exists():
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock()
        if not self.manifest_path.exists():
            _atomic_write(self.manifest_path,
                          lambda p: p.write_text(json.dumps(manifest, indent=2) + "\n"))
        return self.done()

    def _check_lock(self) -> None:
        lock = self.path / "lock"
        me = {"host": socket.gethostname(), "pid": os.getpid()}
        if lock.exists():
            try:
                other = json.loads(lock.read_text())
            except (OSError, ValueError):
                other = {}
            if other.get("host") == me["host"] and other.get("pid") not in (None, me["pid"]) \
                    and _alive(int(other["pid"])):
                raise InputError(f"another scoring run (pid {other['pid']}) is writing "
                                 f"{self.path}; wait for it to finish")

    def _lock(self) -> None:
        me = {"host": socket.gethostname(), "pid": os.getpid()}
        _atomic_write(self.path / "lock", lambda p: p.write_text(json.dumps(me)))

    def release(self) -> None:
        """Drop the lock (the folder stays for a later ``--resume``)."""
        (self.path / "lock").unlink(missing_ok=True)

    def done(self) -> frozenset[int]:
        """Indices of the finished chunks."""
        out = set()
        for p in self.path.glob("chunk-*.parquet"):
            stem = p.name[len("chunk-"):-len(".parquet")]
            if stem.isdigit():
                out.add(int(stem))
        return frozenset(out)

    def write(self, result: ChunkResult) -> None:
        """Record a finished chunk: its failures first, then its scores (the done marker)."""
        if len(result.failed):
            _atomic_write(self.path / _FAILED.format(result.index),
                          lambda p: result.failed.to_parquet(p, index=False))
        scores = result.scores.rename_axis("sample_id").reset_index()
        _atomic_write(self.path / _PART.format(result.index),
                      lambda p: scores.to_parquet(p, index=False))

    def chunk_ids(self, index: int) -> list[str]:
        """Sample ids of a finished chunk (scored and failed)."""
        ids = pd.read_parquet(self.path / _PART.format(index), columns=["sample_id"])
        out = ids["sample_id"].astype(str).tolist()
        f = self.path / _FAILED.format(index)
        if f.exists():
            out += pd.read_parquet(f, columns=["sample_id"])["sample_id"].astype(str).tolist()
        return out

    def collect(self, n_chunks: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Scores (indexed by sample id) and failures of chunks ``0 .. n_chunks - 1``."""
        missing = sorted(set(range(n_chunks)) - self.done())
        if missing:
            raise InputError(f"{self.path}: chunks {missing[:10]} are not finished; run again "
                             "with --resume")
        scores, failed = [], []
        for i in range(n_chunks):
            part = pd.read_parquet(self.path / _PART.format(i))
            if len(part):
                scores.append(part)
            f = self.path / _FAILED.format(i)
            if f.exists():
                failed.append(pd.read_parquet(f))
        table = pd.concat(scores, ignore_index=True) if scores else \
            pd.read_parquet(self.path / _PART.format(0))
        table["sample_id"] = table["sample_id"].astype(str)
        fail = pd.concat(failed, ignore_index=True) if failed else \
            pd.DataFrame(columns=FAILED_COLUMNS)
        return table.set_index("sample_id"), fail

    def remove(self) -> None:
        """Delete the folder (after the output is complete)."""
        shutil.rmtree(self.path, ignore_errors=True)
