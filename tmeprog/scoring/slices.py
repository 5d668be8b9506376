"""Chunks that are read where they are scored: whole row groups of a samples x genes parquet.

With several workers, shipping each chunk's values from one reading process to the workers
costs as much as scoring them, and that process becomes the bottleneck. When every chunk is a
run of whole row groups, a chunk is instead handed out as a :class:`ParquetSlice` (file, rows,
columns: a few kilobytes) and the worker reads it itself. The values are those the streaming
reader gives (same decoding and conversion), so scores do not depend on who read them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from tmeprog.errors import InputError
from tmeprog.scoring.reader import MAX_BATCH_ROWS, _columns_to_array


@lru_cache(maxsize=4)
def _open(path: str, size: int, mtime_ns: int):
    """The opened file (metadata parsed once per process); keyed by size and time too."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path, pre_buffer=True)
    meta = pf.metadata
    starts = np.cumsum([0] + [meta.row_group(i).num_rows for i in range(meta.num_row_groups)])
    return pf, starts


@dataclass(frozen=True)
class ParquetSlice:
    """Rows ``start:stop`` (whole row groups) of columns ``columns`` of a parquet file.

    ``size`` and ``mtime_ns`` identify the file version the run checked; a worker finding
    another version refuses to read it.
    """

    path: str
    start: int
    stop: int
    columns: tuple[str, ...]
    size: int
    mtime_ns: int

    def read(self) -> np.ndarray:
        """``(rows, columns)`` values, column-major, NaN for missing cells."""
        st = os.stat(self.path)
        if (st.st_size, st.st_mtime_ns) != (self.size, self.mtime_ns):
            raise InputError(f"{self.path!r} changed while it was being scored; run again "
                             "with --overwrite")
        pf, starts = _open(self.path, self.size, self.mtime_ns)
        first = int(np.searchsorted(starts, self.start, side="right")) - 1
        last = int(np.searchsorted(starts, self.stop, side="left"))
        if starts[first] != self.start or starts[last] != self.stop:
            raise InputError(f"rows {self.start}:{self.stop} of {self.path!r} are not whole "
                             "row groups")
        names = list(self.columns)
        parts = [_columns_to_array(b, names) for b in pf.iter_batches(
            batch_size=MAX_BATCH_ROWS, row_groups=list(range(first, last)), columns=names,
            use_threads=False)]
        if len(parts) == 1:
            return parts[0]
        out = np.empty((self.stop - self.start, len(names)), dtype=np.result_type(*parts),
                       order="F")
        a = 0
        for p in parts:
            out[a:a + len(p)] = p
            a += len(p)
        return out


def whole_group_chunk_size(group_rows: list[int], wanted: int, cap: int) -> int | None:
    """A chunk size made of whole row groups near ``wanted``, or None when there is none.

    Row groups must be of one size ``g`` (the last may be shorter) and ``g <= cap``; the chunk
    is then the largest multiple of ``g`` not above ``max(wanted, g)``.
    """
    if not group_rows:
        return None
    g = group_rows[0]
    if g < 1 or g > cap or any(r != g for r in group_rows[:-1]) or group_rows[-1] > g:
        return None
    return g * max(1, max(wanted, g) // g)
