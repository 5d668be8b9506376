"""Damaged text tables: truncated or corrupt ``.gz`` streams and rows with the wrong number of
fields, each named by file and line."""

from __future__ import annotations

import contextlib
import csv
import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path

from tmeprog.errors import InputError
from tmeprog.tables.textio import open_text


def gzip_truncated_at(path: Path) -> int | None:
    """The line at which a truncated or corrupt ``.gz`` file ends, or None if it is whole.

    Decompressed piece by piece (the members of a concatenated file one after the other), so
    the lines before the damage are counted.
    """
    wbits = zlib.MAX_WBITS | 16
    lines, fed = 0, False
    d = zlib.decompressobj(wbits)
    try:
        with open(path, "rb") as fh:
            pending = fh.read(1 << 20)
            while pending:
                lines += d.decompress(pending).count(b"\n")
                fed = True
                if d.eof:  # a member ended; another may follow
                    pending = d.unused_data or fh.read(1 << 20)
                    d, fed = zlib.decompressobj(wbits), False
                else:
                    pending = fh.read(1 << 20)
    except zlib.error:
        return lines + 1
    return lines + 1 if fed else None


def ragged_line(path: Path, sep: str, skip: int, width: int) -> tuple[int, int] | None:
    """(line number, fields) of the first data row whose field count is not ``width``.

    ``skip`` lines (blank lines and the header) precede the data rows; empty lines are ignored.
    """
    with open_text(path, "file", newline="") as fh:
        for _ in range(skip):
            next(fh, None)
        for k, row in enumerate(csv.reader(fh, delimiter=sep)):
            if row and len(row) != width:
                return skip + k + 1, len(row)
    return None


def gzip_error(path: Path) -> InputError | None:
    """The error of a truncated or corrupt ``.gz`` file (naming the line its data end in), or
    None when ``path`` is not ``.gz`` or is whole."""
    if path.suffix.lower() != ".gz":
        return None
    line = gzip_truncated_at(path)
    if line is None:
        return None
    return InputError(f"{str(path)!r}: the compressed file is truncated or corrupt: its data "
                      f"end in line {line}; download or compress the file again")


@contextlib.contextmanager
def gzip_guard(path: Path) -> Iterator[None]:
    """Re-raise a truncated or corrupt ``.gz`` stream met inside the block as one
    :class:`InputError` naming the file and line (instead of ``EOFError``)."""
    try:
        yield
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        err = gzip_error(path)
        raise (err or InputError(f"{str(path)!r} cannot be read ({exc}); export the file "
                                 "again")) from None


def text_read_error(path: Path, sep: str, skip: int, width: int) -> InputError | None:
    """The error of a text table that failed to parse: a truncated ``.gz`` stream or a row with
    the wrong number of fields, named by file and line; None when it is neither."""
    err = gzip_error(path)
    if err is not None:
        return err
    try:
        bad = ragged_line(path, sep, skip, width)
    except (csv.Error, UnicodeDecodeError):
        return None
    if bad is not None:
        line, n = bad
        return InputError(
            f"{str(path)!r}: line {line} has {n} fields but the header has {width}; the row is "
            "cut or has extra fields (every row needs the same fields): fix or export the file "
            "again")
    return None
