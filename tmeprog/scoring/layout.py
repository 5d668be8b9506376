"""What an expression table looks like before it is read: its labels (header, row labels) and,
for parquet, its parts and row groups; what a resumed run must find unchanged.

Text files: the header may be one field shorter than the rows (R's ``write.table``); the
field separator is sniffed from the header. Parquet: the label column is the pandas index
column, else a first text column. ``.h5ad`` / ``.zarr``: AnnData's obs and var.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from tmeprog.errors import InputError
from tmeprog.scoring.matrix_store import MatrixStore, store_fingerprint
from tmeprog.scoring.parquet_part import ParquetPart
from tmeprog.tables import sniff
from tmeprog.tables.sniff import full_header, head_lines, matrix_format, parquet_parts, sniff_sep
from tmeprog.tables.text import column_names
from tmeprog.tables.text import labels as label_index

HEAD_ROWS = 200


def check_file(path: Path) -> None:
    """Raise :class:`InputError` unless ``path`` is an existing, non-empty file, a folder of
    parquet parts or a zarr store."""
    if path.is_dir():
        if parquet_parts(path) or matrix_format(path) == "zarr":
            return
        raise InputError(f"input path {str(path)!r} is a folder without parquet files; give a "
                         "file, or a folder of .parquet parts with the same columns")
    sniff.check_file(path, "input")


def file_fingerprint(path: Path) -> dict:
    """Path, size and modification time: what a resumed run must find unchanged (for a
    folder of parquet parts: their names, total size and latest modification time)."""
    if matrix_format(path):
        return store_fingerprint(path)
    parts = parquet_parts(path)
    if parts:
        stats = [p.stat() for p in parts]
        return {"path": str(path.resolve()), "size": sum(st.st_size for st in stats),
                "mtime_ns": max(st.st_mtime_ns for st in stats),
                "parts": [p.name for p in parts]}
    st = path.stat()
    return {"path": str(path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


@dataclass
class Layout:
    """What a table looks like before its orientation is chosen.

    ``top`` are the column labels (the label column excluded); ``side_head`` the labels of the
    first rows (``side`` all row labels when they are cheap to read, as in parquet).
    """

    path: Path
    kind: str
    top: pd.Index
    side_head: pd.Index
    side: pd.Index | None = None
    # text files
    sep: str = "\t"
    skip: int = 0
    names: list[str] = field(default_factory=list)
    row_chars: int = 0
    # parquet files (``value_columns``: column indices; ``parts``: the files of a folder
    # dataset, or the one file)
    value_columns: list[int] = field(default_factory=list)
    parts: list[Path] = field(default_factory=list)
    part_groups: list[list[int]] = field(default_factory=list)
    first_part: object = None  # the first part, opened (a ParquetPart: metadata parsed once)


# ----------------------------------------------------------------------------- inspection


def _inspect_text(path: Path, n_head: int) -> Layout:
    lines, skipped = head_lines(path, n_head + 1, newline="")
    if len(lines) < 2:
        raise InputError(f"file {str(path)!r} has a header but no data rows"
                         if lines else f"file {str(path)!r} holds no table")
    sep = sniff_sep(lines[0])
    rows = list(csv.reader(lines, delimiter=sep))
    width = len(rows[1])
    header = full_header([h.strip() for h in rows[0]], width)
    if width != len(header):
        raise InputError(f"{str(path)!r}: the header has {len(header)} fields but line "
                         f"{skipped + 2} has {width}; every row needs the same fields")
    if width < 2:
        raise InputError(f"{str(path)!r} has fewer than two columns; expected row labels and "
                         "values")
    return Layout(path=path, kind="text", top=pd.Index(header[1:]),
                  side_head=pd.Index([r[0].strip() for r in rows[1:] if r]),
                  sep=sep, skip=skipped + 1, names=column_names(width),
                  row_chars=max(len(x) for x in lines[1:]) + 1)


def _parquet_schema(path: Path, pf) -> tuple[int | None, list[int]]:
    """Positions of the label column (or None) and of the numeric value columns."""
    schema = pf.schema_arrow
    names = schema.names
    meta = schema.pandas_metadata or {}
    idx_cols = [c for c in meta.get("index_columns", []) if isinstance(c, str)]
    if len(idx_cols) > 1:
        raise InputError(f"{str(path)!r} has a {len(idx_cols)}-level row index; write one "
                         "label column (sample ids or gene identifiers)")
    id_pos = names.index(idx_cols[0]) if idx_cols and idx_cols[0] in names else None
    if id_pos is None and len(names):
        t = schema.field(0).type
        if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_dictionary(t):
            id_pos = 0
    values = [i for i in range(len(names)) if i != id_pos]
    for i in values:
        t = schema.field(i).type
        if not (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_null(t)
                or pa.types.is_decimal(t)):
            raise InputError(f"{str(path)!r}: column {names[i]!r} holds {t} values; every value "
                             "column must be numeric (the first column may hold the labels)")
    if not values:
        raise InputError(f"{str(path)!r} holds no numeric columns")
    return id_pos, values


def _inspect_parquet(path: Path) -> Layout:
    """One parquet file, or a folder of parts with the same columns, read as one table.

    A part's metadata (about 1 KB per row group and column in memory) is held only while that
    part is read: split very large tables into parts (e.g. 10,000 samples each).
    """
    parts = parquet_parts(path) or [path]
    first_cols = first_schema = first_pf = None
    labels, groups = [], []
    for part in parts:
        try:
            pf = ParquetPart(part)
        except Exception as exc:
            raise InputError(f"cannot read {str(part)!r} as parquet: {exc}") from None
        if first_cols is None:
            first_cols, first_schema, first_pf = _parquet_schema(part, pf), pf.schema_arrow, pf
            if not pf.flat:
                raise InputError(f"{str(part)!r} holds nested columns; write one flat column "
                                 "per gene (or sample)")
        elif not pf.schema_arrow.equals(first_schema) and (
                _parquet_schema(part, pf) != first_cols
                or pf.schema_arrow.names != first_schema.names):
            raise InputError(f"{str(part)!r} does not have the columns of {str(parts[0])!r}; "
                             "every part of a dataset needs the same columns in the same order")
        id_pos = first_cols[0]
        groups.append(pf.group_rows())
        n = sum(groups[-1])
        if id_pos is None:
            base = sum(len(x) for x in labels)
            labels.append(pd.Index([str(i) for i in range(base, base + n)]))
        else:
            labels.append(label_index(pf.read_columns([id_pos]).column(0)))
        del pf
    id_pos, values = first_cols
    names = first_schema.names
    side = labels[0].append(labels[1:]) if len(labels) > 1 else labels[0]
    if len(side) == 0:
        raise InputError(f"{str(path)!r} holds no data rows; export the table again")
    return Layout(path=path, kind="parquet", top=pd.Index([str(names[i]) for i in values]),
                  side_head=side[:HEAD_ROWS], side=side, value_columns=values, parts=parts,
                  part_groups=groups, first_part=first_pf)


def inspect_table(path: str | Path, n_head: int = HEAD_ROWS) -> Layout:
    """Read the labels of a table (header, first row labels) without reading its values."""
    path = Path(path)
    check_file(path)
    kind = sniff.table_kind(path)
    if kind is None:
        raise InputError(f"{str(path)!r}: unsupported file type for streaming; use .h5ad, "
                         ".zarr, .parquet, .tsv, .csv or .txt (optionally .gz)")
    if kind == "matrix":
        return _inspect_matrix(path, n_head)
    return _inspect_parquet(path) if kind == "parquet" else _inspect_text(path, n_head)


def _inspect_matrix(path: Path, n_head: int) -> Layout:
    store = MatrixStore(path)
    return Layout(path=path, kind="matrix", top=store.genes,
                  side_head=store.sample_ids[:n_head], side=store.sample_ids, first_part=store)


