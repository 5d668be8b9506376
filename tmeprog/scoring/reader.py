"""Chunked readers of expression files, so a cohort of any size is scored in bounded memory.

How a file streams depends on its orientation:

* **samples x genes** (one row per sample) streams: parquet row group by row group in record
  batches, text (``.tsv``/``.csv``/``.txt``, optionally ``.gz``) through pyarrow's streaming CSV
  reader (a correctly rounding parser). Memory holds one chunk of samples, plus, for parquet,
  the row group being read: write wide parquet with row groups of at most ~2,000 samples.
* **genes x samples** (one column per sample): parquet is read column-chunked (the columns of
  one chunk of samples at a time); a text file is read whole and transposed, so memory holds
  the whole matrix. Transpose very large text files first.

Readers return values as float64 arrays (float32 when the file holds float32); cells that are
empty or NA become NaN. A reader only
reads the gene columns it is asked for (parquet column projection), so a model using part of a
genome-wide file reads that part.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from tmeprog.cohorts.expression_sanity import gzip_guard, text_read_error
from tmeprog.cohorts.userfiles import _sniff_sep
from tmeprog.errors import InputError
from tmeprog.scoring.arrays import MAX_BATCH_ROWS, group_arrays
from tmeprog.scoring.arrays import columns_to_array as _columns_to_array
from tmeprog.scoring.matrix_store import MatrixStore, matrix_format, store_fingerprint
from tmeprog.textio import open_text

PARQUET_SUFFIXES = (".parquet", ".pq")
TEXT_SUFFIXES = (".tsv", ".txt", ".csv", ".tab")
HEAD_ROWS = 200
Chunk = tuple[int, pd.Index, "np.ndarray | None"]


def parquet_parts(path: str | Path) -> list[Path]:
    """The parquet files of a folder dataset (``part-0.parquet``, ... in name order), or []."""
    path = Path(path)
    if not path.is_dir():
        return []
    return sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in
                  PARQUET_SUFFIXES and not p.name.startswith((".", "_")))


def table_kind(path: str | Path) -> str | None:
    """``"parquet"``, ``"text"`` or ``"matrix"`` from the file name (``.gz`` allowed for
    text), else None.

    A folder of parquet files (one dataset written in parts) is ``"parquet"``; an AnnData
    ``.h5ad`` file or a ``.zarr`` store is ``"matrix"``.
    """
    if matrix_format(path):
        return "matrix"
    if parquet_parts(path):
        return "parquet"
    sfx = [s.lower() for s in Path(path).suffixes]
    if sfx and sfx[-1] == ".gz":
        sfx = sfx[:-1]
        return "text" if sfx and sfx[-1] in TEXT_SUFFIXES else None
    if not sfx:
        return None
    if sfx[-1] in PARQUET_SUFFIXES:
        return "parquet"
    return "text" if sfx[-1] in TEXT_SUFFIXES else None


def check_file(path: Path) -> None:
    """Raise :class:`InputError` unless ``path`` is an existing, non-empty file."""
    if not path.exists():
        raise InputError(f"input file {str(path)!r} does not exist; check the path")
    if path.is_dir():
        if parquet_parts(path) or matrix_format(path) == "zarr":
            return
        raise InputError(f"input path {str(path)!r} is a folder without parquet files; give a "
                         "file, or a folder of .parquet parts with the same columns")
    if path.stat().st_size == 0:
        raise InputError(f"input file {str(path)!r} is empty; export the table again")


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
    lines: list[str] = []
    skipped = 0
    with open_text(path, newline="") as fh, gzip_guard(path):
        for line in fh:
            if not lines and not line.strip():
                skipped += 1
                continue
            lines.append(line.rstrip("\r\n"))
            if len(lines) > n_head:
                break
    if len(lines) < 2:
        raise InputError(f"file {str(path)!r} has a header but no data rows"
                         if lines else f"file {str(path)!r} holds no table")
    sep = _sniff_sep(lines[0])
    rows = list(csv.reader(lines, delimiter=sep))
    header = [h.strip() for h in rows[0]]
    width = len(rows[1])
    if width == len(header) + 1:  # R write.table: no header field above the row names
        header = [""] + header
    if width != len(header):
        raise InputError(f"{str(path)!r}: the header has {len(header)} fields but line "
                         f"{skipped + 2} has {width}; every row needs the same fields")
    if width < 2:
        raise InputError(f"{str(path)!r} has fewer than two columns; expected row labels and "
                         "values")
    return Layout(path=path, kind="text", top=pd.Index(header[1:]),
                  side_head=pd.Index([r[0].strip() for r in rows[1:] if r]),
                  sep=sep, skip=skipped + 1, names=[f"c{i}" for i in range(width)],
                  row_chars=max(len(x) for x in lines[1:]) + 1)


def _parquet_schema(path: Path, pf) -> tuple[int | None, list[int]]:
    """Positions of the label column (or None) and of the numeric value columns."""
    import pyarrow as pa

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
    from tmeprog.scoring.parquet_part import ParquetPart

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
            labels.append(_labels(pf.read_columns([id_pos]).column(0)))
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
    kind = table_kind(path)
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


# ----------------------------------------------------------------------------- conversion


def _text_error(exc: Exception, layout: Layout) -> InputError:
    found = text_read_error(layout.path, layout.sep, layout.skip, len(layout.names))
    if found is not None:  # a truncated .gz stream, a row cut short: named by line
        return found
    msg = str(exc).strip().splitlines()[0]
    m = re.search(r"column #(\d+)", msg)
    where = ""
    if m and 0 < int(m.group(1)) <= len(layout.top):
        where = f" (column {layout.top[int(m.group(1)) - 1]!r})"
    return InputError(f"{str(layout.path)!r}{where}: {msg}; every expression cell must be a "
                      "number (or empty / NA for missing)")


def _csv_reader(layout: Layout, include: list[str], rows_per_block: int):
    import pyarrow as pa
    from pyarrow import csv as pacsv

    block = int(min(max(layout.row_chars * rows_per_block, 1 << 20), 1 << 28))
    types = {n: (pa.string() if n == "c0" else pa.float64()) for n in include}
    return pacsv.open_csv(
        layout.path,
        read_options=pacsv.ReadOptions(skip_rows=layout.skip, column_names=layout.names,
                                       block_size=block),
        parse_options=pacsv.ParseOptions(delimiter=layout.sep),
        convert_options=pacsv.ConvertOptions(include_columns=include, column_types=types,
                                             strings_can_be_null=True),
    )


def _labels(arr) -> pd.Index:
    s = arr.to_pandas() if hasattr(arr, "to_pandas") else pd.Series(arr)
    return pd.Index(s.astype(str).str.strip().to_numpy(dtype=object))


class _Chunker:
    """Cuts a stream of row pieces into chunks of ``size`` rows; skipped chunks hold no values."""

    def __init__(self, size: int, n_cols: int, skip: frozenset[int]):
        self.size, self.n_cols, self.skip = size, n_cols, skip
        self.idx, self.ids, self.vals, self.filled = 0, [], [], 0

    def wants_values(self) -> bool:
        return self.idx not in self.skip

    def room(self) -> int:
        return self.size - self.filled

    def add(self, ids: pd.Index, values: np.ndarray | None) -> Chunk | None:
        self.ids.append(ids)
        if values is not None:
            self.vals.append(values)
        self.filled += len(ids)
        return self.flush() if self.filled >= self.size else None

    def flush(self) -> Chunk | None:
        if not self.filled:
            return None
        ids = self.ids[0].append(self.ids[1:]) if len(self.ids) > 1 else self.ids[0]
        vals = None
        if self.idx not in self.skip:
            if len(self.vals) == 1:
                vals = self.vals[0]
            else:
                dt = np.result_type(*self.vals)
                vals = np.empty((self.filled, self.n_cols), dtype=dt, order="F")
                a = 0
                for v in self.vals:
                    vals[a:a + len(v)] = v
                    a += len(v)
        out = (self.idx, ids, vals)
        self.idx += 1
        self.ids, self.vals, self.filled = [], [], 0
        return out


# ----------------------------------------------------------------------------- readers


class ExpressionReader:
    """Common interface of the readers.

    Attributes
    ----------
    genes : pandas.Index
        Gene identifiers as written in the file, in file order.
    sample_ids : pandas.Index or None
        All sample ids when known without reading the values (parquet, genes x samples).
    streams : bool
        Whether memory stays at one chunk (False: the whole file is held).
    """

    genes: pd.Index
    sample_ids: pd.Index | None = None
    streams: bool = True
    orientation: str = "samples_x_genes"

    def __init__(self, layout: Layout):
        self.layout = layout
        self.path = layout.path

    @property
    def n_samples(self) -> int | None:
        """Number of samples, when known."""
        return None if self.sample_ids is None else len(self.sample_ids)

    def head(self, n: int) -> tuple[pd.Index, np.ndarray]:
        """The first ``n`` samples, all gene columns."""
        raise NotImplementedError

    def scan_ids(self) -> pd.Index:
        """Every sample id, in file order."""
        return self.sample_ids

    def chunks(self, size: int, select: np.ndarray,
               skip: frozenset[int] = frozenset()) -> Iterator[Chunk]:
        """``(chunk index, sample ids, values[:, select] or None if skipped)`` in file order."""
        raise NotImplementedError


class ParquetRows(ExpressionReader):
    """Samples x genes parquet (one file or a folder of parts): streamed row group by row
    group, one part open at a time."""

    def __init__(self, layout: Layout):
        super().__init__(layout)
        self.genes = layout.top
        self.sample_ids = layout.side
        self._names = layout.value_columns
        self._parts = layout.parts or [layout.path]
        self._groups = layout.part_groups
        self._open: tuple[int, object] | None = (0, layout.first_part) \
            if layout.first_part is not None else None
        layout.first_part = None  # held here only, released with its part
        self._first = None  # the first row group's values, all columns, once head() read it

    def _file(self, i: int):
        """Part ``i`` opened (the previous part's metadata released)."""
        from tmeprog.scoring.parquet_part import ParquetPart

        if self._open is None or self._open[0] != i:
            self._open = None
            self._open = (i, ParquetPart(self._parts[i]))
        return self._open[1]

    def group_rows(self) -> list[int]:
        """Rows of each row group, in table order (all parts)."""
        return [g for groups in self._groups for g in groups]

    def slices(self, size: int, select: np.ndarray,
               skip: frozenset[int] = frozenset()) -> Iterator[tuple]:
        """Like :meth:`chunks`, with a :class:`~tmeprog.scoring.slices.ParquetSlice` to read
        in place of the values (``size`` must cover whole row groups)."""
        import os

        from tmeprog.scoring.slices import ParquetSlice

        self._first = None  # workers read every chunk themselves
        columns = tuple(int(self._names[i]) for i in select)
        files = []
        offset = 0
        for part, groups in zip(self._parts, self._groups, strict=True):
            st = os.stat(part)
            files.append((str(Path(part).resolve()), offset, st.st_size, st.st_mtime_ns))
            offset += sum(groups)
        for idx, a in enumerate(range(0, self.n_samples, size)):
            b = min(a + size, self.n_samples)
            pieces = []
            for k, (path, start, nbytes, mtime) in enumerate(files):
                stop = files[k + 1][1] if k + 1 < len(files) else self.n_samples
                lo, hi = max(a, start), min(b, stop)
                if lo < hi:
                    pieces.append((path, lo - start, hi - start, nbytes, mtime))
            yield idx, self.sample_ids[a:b], None if idx in skip else ParquetSlice(
                tuple(pieces), columns)

    def head(self, n):
        n = max(1, min(n, self.n_samples))
        first = self._groups[0][0] if self._groups and self._groups[0] else 0
        if n <= first <= MAX_BATCH_ROWS:
            # the whole first row group, kept for the first chunk (decoded once)
            self._first = next(group_arrays(self._file(0), 0, self._names, first))
            return self.sample_ids[:n], self._first[:n]
        batch = self._file(0).head(n, self._names)
        return self.sample_ids[:batch.num_rows], _columns_to_array(batch)

    def _group(self, part: int, rg: int, columns: list[int], select, rows: int):
        """:func:`group_arrays`, from the row group :meth:`head` decoded when it is that one."""
        first, self._first = self._first, None
        if first is not None and (part, rg) == (0, 0):
            yield first.T[np.asarray(select)].T  # whole columns gathered, column-major
            return
        yield from group_arrays(self._file(part), rg, columns, rows)

    def chunks(self, size, select, skip=frozenset()):
        columns = [int(self._names[i]) for i in select]
        ch = _Chunker(size, len(columns), skip)
        row = 0
        for part, groups in enumerate(self._groups):
            for rg, m in enumerate(groups):
                if m == 0:
                    continue
                first, last = row // size, (row + m - 1) // size
                if all(i in skip for i in range(first, last + 1)):  # all in finished chunks
                    a = row
                    while a < row + m:
                        take = min(ch.room(), row + m - a)
                        out = ch.add(self.sample_ids[a:a + take], None)
                        a += take
                        if out:
                            yield out
                    row += m
                    continue
                # Decoded and converted in large pieces (the cost is per column and piece),
                # then cut into chunks.
                for values in self._group(part, rg, columns, select, m):
                    n_rows = len(values)
                    start = 0
                    while start < n_rows:
                        take = min(ch.room(), n_rows - start)
                        ids = self.sample_ids[row + start:row + start + take]
                        vals = values[start:start + take] if ch.wants_values() else None
                        start += take
                        out = ch.add(ids, vals)
                        if out:
                            yield out
                    row += n_rows
            self._open = None  # release this part's metadata
        out = ch.flush()
        if out:
            yield out


class TextRows(ExpressionReader):
    """Samples x genes text: streamed block by block (sample ids learnt while reading)."""

    def __init__(self, layout: Layout):
        super().__init__(layout)
        self.genes = layout.top

    def _stream(self, include, rows_per_block):
        try:
            reader = _csv_reader(self.layout, include, rows_per_block)
        except Exception as exc:  # the first block is parsed on opening
            raise _text_error(exc, self.layout) from None
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return
            except Exception as exc:  # pyarrow.ArrowInvalid: a non-numeric cell, ragged rows
                raise _text_error(exc, self.layout) from None
            yield batch

    def scan_ids(self) -> pd.Index:
        """Every sample id of the file, in order (one pass reading only the label column)."""
        ids = [_labels(batch.column("c0")) for batch in self._stream(["c0"], 1 << 14)]
        return ids[0].append(ids[1:]) if ids else pd.Index([], dtype=object)

    def head(self, n):
        names = self.layout.names[1:]
        got, ids = [], []
        rows = 0
        for batch in self._stream(self.layout.names, max(n, 1)):
            take = min(batch.num_rows, n - rows)
            b = batch.slice(0, take)
            ids.append(_labels(b.column("c0")))
            got.append(_columns_to_array(b, names))
            rows += take
            if rows >= n:
                break
        if not got:
            raise InputError(f"{str(self.path)!r} holds no data rows")
        idx = ids[0].append(ids[1:]) if len(ids) > 1 else ids[0]
        return idx, np.concatenate(got, axis=0)

    def chunks(self, size, select, skip=frozenset()):
        names = [self.layout.names[1 + i] for i in select]
        ch = _Chunker(size, len(names), skip)
        for batch in self._stream(["c0"] + names, min(size, 256)):
            ids_all = _labels(batch.column("c0"))
            start = 0
            while start < batch.num_rows:
                take = min(ch.room(), batch.num_rows - start)
                vals = _columns_to_array(batch.slice(start, take), names) \
                    if ch.wants_values() else None
                out = ch.add(ids_all[start:start + take], vals)
                start += take
                if out:
                    yield out
        out = ch.flush()
        if out:
            yield out


class ParquetColumns(ExpressionReader):
    """Genes x samples parquet: read column-chunked (one chunk of sample columns at a time)."""

    orientation = "genes_x_samples"

    def __init__(self, layout: Layout):
        from tmeprog.scoring.parquet_part import ParquetPart

        super().__init__(layout)
        self.genes = layout.side
        self.sample_ids = layout.top
        self._names = layout.value_columns
        self._pf = layout.first_part or ParquetPart(layout.path)
        layout.first_part = None

    def _read(self, a: int, b: int) -> np.ndarray:
        table = self._pf.read_columns(self._names[a:b])
        out = np.empty((b - a, len(self.genes)), dtype=np.float64)
        for j in range(b - a):
            out[j] = table.column(j).to_numpy(zero_copy_only=False)
        return out

    def head(self, n):
        n = min(n, self.n_samples)
        return self.sample_ids[:n], self._read(0, n)

    def chunks(self, size, select, skip=frozenset()):
        for idx, a in enumerate(range(0, self.n_samples, size)):
            b = min(a + size, self.n_samples)
            vals = None if idx in skip else np.asfortranarray(self._read(a, b)[:, select])
            yield idx, self.sample_ids[a:b], vals


class MatrixRows(ExpressionReader):
    """Samples x genes ``.h5ad`` / ``.zarr`` matrix: read by blocks of consecutive samples."""

    def __init__(self, layout: Layout):
        super().__init__(layout)
        self._store = layout.first_part or MatrixStore(layout.path)
        layout.first_part = None
        self.genes = self._store.genes
        self.sample_ids = self._store.sample_ids

    def head(self, n):
        n = min(n, self.n_samples)
        return self.sample_ids[:n], self._store.rows(0, n)

    def chunks(self, size, select, skip=frozenset()):
        for idx, a in enumerate(range(0, self.n_samples, size)):
            b = min(a + size, self.n_samples)
            vals = None if idx in skip else np.asfortranarray(self._store.rows(a, b)[:, select])
            yield idx, self.sample_ids[a:b], vals


class TextColumns(ExpressionReader):
    """Genes x samples text: read whole, then transposed (memory: the whole matrix)."""

    orientation = "genes_x_samples"
    streams = False

    def __init__(self, layout: Layout):
        import pyarrow as pa
        from pyarrow import csv as pacsv

        super().__init__(layout)
        names = layout.names
        types = {n: (pa.string() if n == "c0" else pa.float64()) for n in names}
        block = int(min(max(layout.row_chars * 1000, 1 << 20), 1 << 28))
        try:
            table = pacsv.read_csv(
                layout.path,
                read_options=pacsv.ReadOptions(skip_rows=layout.skip, column_names=names,
                                               block_size=block),
                parse_options=pacsv.ParseOptions(delimiter=layout.sep),
                convert_options=pacsv.ConvertOptions(column_types=types,
                                                     strings_can_be_null=True))
        except Exception as exc:
            raise _text_error(exc, layout) from None
        self.genes = _labels(table.column("c0"))
        self.sample_ids = layout.top
        self._values = np.empty((len(self.sample_ids), len(self.genes)), dtype=np.float64)
        for j, n in enumerate(names[1:]):
            self._values[j] = table.column(n).to_numpy(zero_copy_only=False)
        del table

    def head(self, n):
        return self.sample_ids[:n], self._values[:n]

    def chunks(self, size, select, skip=frozenset()):
        for idx, a in enumerate(range(0, self.n_samples, size)):
            b = min(a + size, self.n_samples)
            vals = None if idx in skip else np.asfortranarray(self._values[a:b][:, select])
            yield idx, self.sample_ids[a:b], vals


def open_reader(layout: Layout, genes_on_rows: bool) -> ExpressionReader:
    """The reader of ``layout`` in the chosen orientation."""
    if layout.kind == "matrix":
        if genes_on_rows:
            raise InputError(f"{str(layout.path)!r}: an AnnData store holds samples as obs and "
                             "genes as var; its obs labels look like genes. Write it with "
                             "samples as rows (`tmeprog convert` does)")
        return MatrixRows(layout)
    if layout.kind == "parquet":
        if genes_on_rows and len(layout.parts) > 1:
            raise InputError(f"{str(layout.path)!r}: a folder of parquet parts must hold samples "
                             "x genes (one row per sample); write genes x samples as one file")
        return ParquetColumns(layout) if genes_on_rows else ParquetRows(layout)
    return TextColumns(layout) if genes_on_rows else TextRows(layout)
