"""The Dask engine: chunks spread over the workers of a ``dask.distributed`` cluster.

By default a ``LocalCluster`` of ``workers`` processes (one thread each) on the loopback
interface is started and stopped with the run; ``scheduler`` connects to an existing cluster
instead (``tcp://host:8786``; Kubernetes via dask-kubernetes, Slurm via dask-jobqueue ...), whose
workers must have the same tmeprog installed.

The scorer is sent to every worker once (``client.scatter(..., broadcast=True)``). A chunk is
either its values, read here and sent to a worker (workers then need no access to the input or
the output), or a :class:`~tmeprog.scoring.slices.ParquetSlice` that the worker reads itself
(a ``LocalCluster`` and whole parquet row groups; see :func:`~tmeprog.scoring.score_batch`); at
most one chunk per worker thread, plus one, is in flight.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

from distributed import Client, LocalCluster, wait

from tmeprog.errors import InputError
from tmeprog.scoring.chunk import ChunkScorer
from tmeprog.scoring.local import Engine
from tmeprog.scoring.slices import ParquetSlice


def _check_reachable(address: str) -> None:
    """Fail fast on a refused TCP address (the client would retry until its timeout)."""
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme not in ("tcp", "tls") or parts.hostname is None or parts.port is None:
        return  # other transports: let the client decide
    with socket.create_connection((parts.hostname, parts.port), timeout=10):
        pass


def _run(task: ChunkScorer, idx, ids, payload, isolate):
    return task(idx, ids, payload, isolate)


class DaskEngine(Engine):
    """Score chunks on a Dask cluster (a new local one, or ``scheduler``'s)."""

    def __init__(self, task: ChunkScorer, scheduler: str | None = None,
                 workers: int | None = None):
        self.cluster = None
        try:
            if scheduler:
                _check_reachable(scheduler)
                self.client = Client(scheduler, timeout="30s")
            else:
                n = workers or os.cpu_count() or 1
                self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                            host="127.0.0.1", dashboard_address=None)
                self.client = Client(self.cluster)
        except OSError as exc:
            self.close()
            raise InputError(f"cannot reach the Dask scheduler {scheduler!r}: {exc}; check "
                             "--scheduler (tcp://host:port) and that the scheduler runs") from None
        self.n_workers = max(1, sum(self.client.nthreads().values()))
        self.task = self.client.scatter(task, broadcast=True, hash=False)

    def submit(self, job, isolate):
        idx, ids, payload = job
        data = payload if isinstance(payload, ParquetSlice) else self.client.scatter(
            payload, hash=False)
        return self.client.submit(_run, self.task, idx, ids, data, isolate, pure=False)

    def wait_any(self, pending):
        return set(wait(list(pending), return_when="FIRST_COMPLETED").done)

    def cancel(self, pending):
        self.client.cancel(list(pending))

    def close(self):
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self.cluster is not None:
            self.cluster.close()
