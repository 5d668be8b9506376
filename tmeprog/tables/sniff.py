"""What a table file is before its values are read: its kind from the name, its field
separator, its first lines and its header.

Suffixes: text ``.tsv`` / ``.txt`` / ``.csv`` / ``.tab`` (optionally ``.gz``), parquet
``.parquet`` / ``.pq`` (a file, or a folder of parts), matrix stores ``.h5ad`` / ``.zarr``.
"""

from __future__ import annotations

import csv
from pathlib import Path

from tmeprog.errors import InputError
from tmeprog.tables.damage import gzip_guard
from tmeprog.tables.textio import open_text

TEXT_SUFFIXES = (".tsv", ".txt", ".csv", ".tab")
PARQUET_SUFFIXES = (".parquet", ".pq")
MATRIX_SUFFIXES = (".h5ad", ".zarr")
SEPARATORS = ("\t", ";", ",")


def base_suffix(path: Path) -> str:
    """The last suffix of ``path``, lower-case, ``.gz`` left out (``""`` when none)."""
    sfx = [s.lower() for s in path.suffixes]
    if sfx and sfx[-1] == ".gz":
        sfx = sfx[:-1]
    return sfx[-1] if sfx else ""


def stem(path: Path) -> str:
    """The file name without its table suffixes (``expression.tsv.gz`` -> ``expression``)."""
    name = path.name
    for sfx in (".gz",) + TEXT_SUFFIXES + PARQUET_SUFFIXES + (".h5ad",):
        if name.lower().endswith(sfx):
            name = name[: -len(sfx)]
    return name


def matrix_format(path: str | Path) -> str | None:
    """``"h5ad"`` or ``"zarr"`` from the name (a zarr store is a folder), else None."""
    sfx = Path(path).suffix.lower()
    return sfx[1:] if sfx in MATRIX_SUFFIXES else None


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


def check_file(path: Path, what: str) -> None:
    """Raise :class:`InputError` unless ``path`` is an existing, non-empty file; ``what``
    names it in the message (``expression``, ``clinical``, ``input`` ...)."""
    if not path.exists():
        raise InputError(f"{what} file {str(path)!r} does not exist; check the path")
    if path.is_dir():
        raise InputError(f"{what} path {str(path)!r} is a folder; give a file")
    if path.stat().st_size == 0:
        raise InputError(f"{what} file {str(path)!r} is empty; export the table again")


def sniff_sep(header: str) -> str:
    """The field separator of a header line: the most frequent of tab, ``;`` and ``,``
    (tab when none occurs)."""
    counts = {sep: header.count(sep) for sep in SEPARATORS}
    sep = max(counts, key=counts.get)
    return sep if counts[sep] else "\t"


def split_line(line: str, sep: str) -> list[str]:
    """The fields of one line (csv quoting rules)."""
    return next(csv.reader([line], delimiter=sep))


def head_lines(path: Path, n: int, newline: str | None = None) -> tuple[list[str], int]:
    """The first ``n`` non-blank lines of a text table (line ends removed) and the number of
    blank lines before them; ``newline`` as for :func:`open`."""
    lines: list[str] = []
    skipped = 0
    with open_text(path, newline=newline) as fh, gzip_guard(path):
        for line in fh:
            if not lines and not line.strip():
                skipped += 1
                continue
            lines.append(line.rstrip("\r\n"))
            if len(lines) >= n:
                break
    return lines, skipped


def full_header(header: list[str], width: int) -> list[str]:
    """The header of a table whose rows have ``width`` fields: R's ``write.table`` writes no
    field above the row names (a header one shorter than the rows); it is given back as ``""``.
    """
    return [""] + header if width == len(header) + 1 else header
