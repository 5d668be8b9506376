"""Text tables through pyarrow's CSV reader: numbers parsed with correct rounding, wide tables
read in blocks of whole rows.

Columns are named ``c0``, ``c1``, ... (``c0``: the row labels); the real header is read
beforehand (:mod:`tmeprog.tables.sniff`) and the reader skips it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from pyarrow import csv as pacsv

#: Rows per block when a whole table is read.
WHOLE_TABLE_ROWS = 1000
MIN_BLOCK = 1 << 20
MAX_BLOCK = 1 << 28


def column_names(width: int) -> list[str]:
    """``c0`` ... ``c{width-1}``: the names the reader gives the columns."""
    return [f"c{i}" for i in range(width)]


def block_size(row_chars: int, rows: int) -> int:
    """Bytes per block for ``rows`` rows of about ``row_chars`` characters (1 MiB to 256 MiB):
    blocks of whole rows keep wide tables fast."""
    return int(min(max(row_chars * rows, MIN_BLOCK), MAX_BLOCK))


def numeric_types(names: list[str]) -> dict:
    """Column types: the label column ``c0`` as strings, every other column as float64."""
    return {n: (pa.string() if n == "c0" else pa.float64()) for n in names}


def _options(skip: int, names: list[str], sep: str, block: int, include: list[str] | None,
             types: dict | None) -> dict:
    convert = {"strings_can_be_null": True}
    if include is not None:
        convert["include_columns"] = include
    if types is not None:
        convert["column_types"] = types
    return {"read_options": pacsv.ReadOptions(skip_rows=skip, column_names=names,
                                              block_size=block),
            "parse_options": pacsv.ParseOptions(delimiter=sep),
            "convert_options": pacsv.ConvertOptions(**convert)}


def read_csv(path, sep: str, skip: int, names: list[str], block: int,
             types: dict | None = None) -> pa.Table:
    """The whole table (after ``skip`` lines) as a pyarrow Table; pyarrow's errors propagate
    (ragged rows, a non-numeric cell in a float column, a truncated stream)."""
    return pacsv.read_csv(path, **_options(skip, names, sep, block, None, types))


def open_csv(path, sep: str, skip: int, names: list[str], block: int,
             include: list[str] | None = None, types: dict | None = None):
    """A streaming reader of the table (``read_next_batch`` gives one block of rows); the first
    block is parsed on opening."""
    return pacsv.open_csv(path, **_options(skip, names, sep, block, include, types))


def labels(arr) -> pd.Index:
    """Row labels (a pyarrow array or any sequence) as an Index of stripped strings."""
    s = arr.to_pandas() if hasattr(arr, "to_pandas") else pd.Series(arr)
    return pd.Index(s.astype(str).str.strip().to_numpy(dtype=object))


def parse_numbers(s: pd.Series) -> pd.Series:
    """Text cells to float64, correctly rounded (Arrow's parser); other cells become NaN.

    ``pd.to_numeric`` is not correctly rounding: it misreads the last bit of about half of
    all 17-digit decimals, so a feature table would not give back the numbers written to it.
    """
    cells = pa.array(s.astype(object).where(s.notna(), None).tolist(), type=pa.string())
    try:
        values = cells.cast(pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # some cells are not numbers
        def one(c):
            try:
                return c.cast(pa.float64()).as_py()
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                return None

        values = pa.array([one(c) if c.is_valid else None for c in cells], type=pa.float64())
    return pd.Series(values.to_numpy(zero_copy_only=False), index=s.index, dtype=np.float64)
