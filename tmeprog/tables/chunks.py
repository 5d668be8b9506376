"""Chunks of consecutive rows: their bounds, and the cutting of a stream of row pieces into
chunks of a fixed number of rows.

A chunk is ``(index, row labels, values or None)``; ``None`` when the chunk is skipped (already
done): its labels are still given, its values are not gathered.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

Chunk = tuple[int, pd.Index, "np.ndarray | None"]


def chunk_bounds(n_rows: int, size: int) -> Iterator[tuple[int, int, int]]:
    """``(index, first row, row after the last)`` of each chunk of ``size`` rows."""
    for idx, a in enumerate(range(0, n_rows, size)):
        yield idx, a, min(a + size, n_rows)


def stack_rows(pieces: list[np.ndarray], n_cols: int) -> np.ndarray:
    """Pieces of consecutive rows as one array, column-major (a lone piece as it is)."""
    if len(pieces) == 1:
        return pieces[0]
    out = np.empty((sum(len(p) for p in pieces), n_cols), dtype=np.result_type(*pieces),
                   order="F")
    a = 0
    for p in pieces:
        out[a:a + len(p)] = p
        a += len(p)
    return out


class RowChunker:
    """Cuts a stream of row pieces into chunks of ``size`` rows; skipped chunks hold no values.

    Parameters
    ----------
    size : int
        Rows per chunk (the last may be shorter).
    n_cols : int
        Columns of the values.
    skip : frozenset of int
        Indices of the chunks whose values are not wanted.
    """

    def __init__(self, size: int, n_cols: int, skip: frozenset[int]):
        self.size, self.n_cols, self.skip = size, n_cols, skip
        self.idx, self.ids, self.vals, self.filled = 0, [], [], 0

    def wants_values(self) -> bool:
        """Whether the chunk being filled wants values."""
        return self.idx not in self.skip

    def room(self) -> int:
        """Rows the chunk being filled still takes."""
        return self.size - self.filled

    def add(self, ids: pd.Index, values: np.ndarray | None) -> Chunk | None:
        """Add a piece of at most :meth:`room` rows; the chunk when it is full."""
        self.ids.append(ids)
        if values is not None:
            self.vals.append(values)
        self.filled += len(ids)
        return self.flush() if self.filled >= self.size else None

    def flush(self) -> Chunk | None:
        """The chunk being filled (values column-major when joined), or None when empty."""
        if not self.filled:
            return None
        ids = self.ids[0].append(self.ids[1:]) if len(self.ids) > 1 else self.ids[0]
        vals = stack_rows(self.vals, self.n_cols) if self.idx not in self.skip else None
        out = (self.idx, ids, vals)
        self.idx += 1
        self.ids, self.vals, self.filled = [], [], 0
        return out
