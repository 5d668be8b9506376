"""The local engine: chunks scored in this process, or in a pool of worker processes.

Both engines hand out chunks with a bounded number in flight, so memory
holds one chunk per worker plus one, whatever the input size, and yield results as they finish.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

import pandas as pd

from tmeprog.scoring.chunk import ChunkResult, ChunkScorer, failed_result

Job = tuple[int, pd.Index, object]


class Engine:
    """Bounded, out-of-order map of chunks to :class:`ChunkResult` (subclasses submit)."""

    n_workers: int = 1

    def submit(self, job: Job, isolate: bool):  # pragma: no cover - interface
        raise NotImplementedError

    def wait_any(self, pending: set) -> set:  # pragma: no cover - interface
        raise NotImplementedError

    def cancel(self, pending: set) -> None:
        for f in pending:
            f.cancel()

    def close(self) -> None:
        """Release workers."""

    def imap(self, jobs: Iterable[Job], isolate: bool = False) -> Iterator[ChunkResult]:
        """Results of ``jobs`` as they finish (at most ``n_workers + 1`` in flight)."""
        limit = max(1, self.n_workers) + 1
        it = iter(jobs)
        pending: dict = {}
        exhausted = False
        try:
            while True:
                while not exhausted and len(pending) < limit:
                    try:
                        job = next(it)
                    except StopIteration:
                        exhausted = True
                        break
                    pending[self.submit(job, isolate)] = job
                if not pending:
                    return
                for f in self.wait_any(set(pending)):
                    idx, ids, _ = pending.pop(f)
                    try:
                        res = f.result()
                    except Exception as exc:  # a worker died or could not run the task
                        res = failed_result(idx, ids, f"{type(exc).__name__}: {exc}")
                    yield res
        finally:
            if pending:
                self.cancel(set(pending))


class InProcessEngine(Engine):
    """Chunks scored one after the other in this process."""

    def __init__(self, task: ChunkScorer):
        self.task = task
        self.n_workers = 1

    def imap(self, jobs, isolate=False):
        for idx, ids, payload in jobs:
            yield self.task(idx, ids, payload, isolate)


_TASK: ChunkScorer | None = None


def _init_worker(task: ChunkScorer) -> None:
    global _TASK
    _TASK = task


def _run(idx, ids, payload, isolate):
    return _TASK(idx, ids, payload, isolate)


class ProcessEngine(Engine):
    """Chunks scored by ``workers`` processes (spawned; the scorer is sent to each once)."""

    def __init__(self, task: ChunkScorer, workers: int):
        self.n_workers = workers
        self.pool = ProcessPoolExecutor(max_workers=workers,
                                        mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_init_worker, initargs=(task,))

    def submit(self, job, isolate):
        idx, ids, payload = job
        return self.pool.submit(_run, idx, ids, payload, isolate)

    def wait_any(self, pending):
        return wait(pending, return_when=FIRST_COMPLETED).done

    def close(self):
        self.pool.shutdown(wait=True, cancel_futures=True)


def local_engine(task: ChunkScorer, workers: int = 1) -> Engine:
    """In-process for one worker, a process pool for more."""
    return InProcessEngine(task) if workers <= 1 else ProcessEngine(task, workers)
