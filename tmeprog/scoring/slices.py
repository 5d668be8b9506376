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
from tmeprog.scoring.arrays import group_arrays
from tmeprog.scoring.parquet_part import ParquetPart, row_starts
from tmeprog.tables.chunks import stack_rows


@lru_cache(maxsize=2)  # metadata costs ~1 KB per row group and column
def _open(path: str, size: int, mtime_ns: int):
    """The opened file (metadata parsed once per process); keyed by size and time too."""
    part = ParquetPart(path)
    return part, row_starts(part)


@dataclass(frozen=True)
class ParquetSlice:
    """Whole row groups of columns ``columns``, from one parquet file or several parts.

    ``columns`` are column indices (every part has the same columns);
    ``pieces`` are ``(path, start, stop, size, mtime_ns)``: rows ``start:stop`` of ``path``;
    ``size`` and ``mtime_ns`` identify the file version the run checked, and a worker finding
    another version refuses to read it.
    """

    pieces: tuple[tuple[str, int, int, int, int], ...]
    columns: tuple[int, ...]

    def read(self) -> np.ndarray:
        """``(rows, columns)`` values, column-major, NaN for missing cells."""
        columns = list(self.columns)
        parts = []
        for path, start, stop, size, mtime_ns in self.pieces:
            st = os.stat(path)
            if (st.st_size, st.st_mtime_ns) != (size, mtime_ns):
                raise InputError(f"{path!r} changed while it was being scored; run again "
                                 "with --overwrite")
            pf, starts = _open(path, size, mtime_ns)
            first = int(np.searchsorted(starts, start, side="right")) - 1
            last = int(np.searchsorted(starts, stop, side="left"))
            if starts[first] != start or last >= len(starts) or starts[last] != stop:
                raise InputError(f"rows {start}:{stop} of {path!r} are not whole row groups")
            for rg in range(first, last):
                parts += list(group_arrays(pf, rg, columns, int(starts[rg + 1] - starts[rg])))
        return stack_rows(parts, len(columns))


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
