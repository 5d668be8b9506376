"""Pyarrow record batches and parquet row groups as numpy arrays of consecutive rows."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

#: Largest row group decoded in one call; larger ones are read batch by batch.
MAX_BATCH_ROWS = 2048


def columns_to_array(batch, names: list[str] | None = None) -> np.ndarray:
    """Columns ``names`` (default: all) of a pyarrow batch/table as a (rows x columns) array,
    column-major.

    float32 when every column is float32 (half the memory and transfer; widening to float64
    later is exact), else float64. Missing cells become NaN.
    """
    if names is not None and batch.schema.names != names:
        batch = batch.select(names)
    if hasattr(batch, "to_batches") and batch.num_rows:  # a Table: one batch if it has one
        batches = batch.to_batches()
        batch = batches[0] if len(batches) == 1 else batch
    types = set(batch.schema.types)
    if len(types) == 1 and types <= {pa.float32(), pa.float64()} and hasattr(batch,
                                                                            "to_tensor"):
        # one call, column-major like the file: no per-column conversion
        return np.asarray(batch.to_tensor(null_to_nan=True, row_major=False))
    cols = batch.columns
    f32 = types == {pa.float32()}
    dtype = np.float32 if f32 else np.float64
    rows = batch.num_rows
    out = np.empty((len(cols), rows), dtype=dtype)  # transposed below: rows x columns, F order
    for j, c in enumerate(cols):
        if isinstance(c, pa.ChunkedArray):
            c = c.combine_chunks()
        if c.null_count == 0 and c.type == (pa.float32() if f32 else pa.float64()):
            # the values buffer itself, without a pyarrow -> numpy conversion per column
            out[j] = np.frombuffer(c.buffers()[1], dtype=dtype, count=rows, offset=c.offset
                                   * out.itemsize)
        else:
            out[j] = c.to_numpy(zero_copy_only=False)
    return out.T


def group_arrays(part, rg: int, columns: list[int], rows: int) -> Iterator[np.ndarray]:
    """The values of row group ``rg`` of a :class:`~tmeprog.scoring.parquet_part.ParquetPart`
    (column indices ``columns``) as arrays of consecutive rows.

    A row group of at most ``MAX_BATCH_ROWS`` rows is decoded in one call (~15% faster than
    batch by batch); a larger one in batches, so memory stays bounded.
    """
    if rows <= MAX_BATCH_ROWS:
        yield columns_to_array(part.read_row_group(rg, columns))
        return
    for batch in part.reader.iter_batches(MAX_BATCH_ROWS, row_groups=[rg],
                                          columns=part.names_of(columns), use_threads=False):
        part.release()
        yield columns_to_array(batch)
