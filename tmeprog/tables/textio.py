"""Reading user text files whatever their encoding: UTF-8, UTF-16 (with a byte-order mark),
Windows-1252 / latin-1; binary files are refused with the file's name.

The encoding is decided from the first bytes of the (decompressed) file: a UTF-16/32 byte-order
mark wins; otherwise UTF-8 when those bytes decode as UTF-8, Windows-1252 when they decode as
that, latin-1 as the last resort. NUL bytes without a byte-order mark mean a binary file.
"""

from __future__ import annotations

import codecs
import gzip
import io
import zlib
from pathlib import Path
from typing import IO

from tmeprog.errors import InputError

SNIFF_BYTES = 1 << 20


def detect_encoding(head: bytes, name: str = "file") -> str:
    """The text encoding of a file from its first bytes.

    Parameters
    ----------
    head : bytes
        The first bytes of the (decompressed) file.
    name : str
        The file's name, for the error message.

    Returns
    -------
    str
        A codec name for :func:`open`: ``utf-8-sig``, ``utf-16``, ``utf-32``, ``cp1252`` or
        ``latin-1``.

    Raises
    ------
    InputError
        When the bytes look binary (NUL bytes without a byte-order mark).
    """
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise InputError(f"{name} is not a text file (it holds NUL bytes: binary data, or "
                         "UTF-16 without a byte-order mark); export it as UTF-8 text")
    try:
        head.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not merely a multi-byte character cut at the end
            for enc in ("cp1252", "latin-1"):
                try:
                    head.decode(enc)
                    return enc
                except UnicodeDecodeError:
                    continue
    return "utf-8-sig"


def _raw(path: Path) -> IO[bytes]:
    if path.suffix.lower() == ".gz":
        return gzip.open(path, "rb")  # noqa: SIM115
    return open(path, "rb")  # noqa: SIM115


def _head(path: Path) -> bytes:
    """The first (decompressed) bytes. A compressed stream cut short gives what it holds (the
    table readers then name the line where the data end); one that is not gzip, or holds
    nothing readable, is an error."""
    if path.suffix.lower() != ".gz":
        with open(path, "rb") as fh:
            return fh.read(SNIFF_BYTES)
    dec = zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip framing; a cut stream just stops
    out = bytearray()
    try:
        with open(path, "rb") as fh:
            while len(out) < SNIFF_BYTES and not dec.eof:
                raw = fh.read(1 << 16)
                if not raw:
                    break
                out += dec.decompress(raw, SNIFF_BYTES - len(out))
    except zlib.error as exc:
        raise InputError(f"{path}: not a readable gzip file ({exc}); download or compress it "
                         "again") from None
    if not out and path.stat().st_size:
        raise InputError(f"{path}: the compressed file is damaged or cut short before any "
                         "data; download or compress it again")
    return bytes(out)


def file_encoding(path: str | Path, what: str = "file") -> str:
    """The encoding :func:`open_text` will use for ``path`` (see :func:`detect_encoding`)."""
    p = Path(path)
    return detect_encoding(_head(p), f"{what} {str(p)!r}")


def open_text(path: str | Path, what: str = "file", newline: str | None = None) -> IO[str]:
    """Open a text file (``.gz`` decompressed) in its detected encoding.

    Raises
    ------
    InputError
        When the file is binary or its compressed stream is damaged.
    """
    p = Path(path)
    enc = file_encoding(p, what)
    return io.TextIOWrapper(_raw(p), encoding=enc, newline=newline)


def read_text(path: str | Path, what: str = "file") -> str:
    """The whole text of ``path`` in its detected encoding.

    Raises
    ------
    InputError
        When the file is binary, cut short (compressed) or does not decode in the detected
        encoding; the message names the file and the encoding.
    """
    p = Path(path)
    enc = file_encoding(p, what)
    try:
        with _raw(p) as fh:
            data = fh.read()
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise InputError(f"{what} {str(p)!r}: the compressed file is damaged or cut short "
                         f"({exc}); download or compress it again") from None
    try:
        return data.decode(enc)
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise InputError(f"{what} {str(p)!r} is not valid {enc} text (line {line}); "
                         "save it as UTF-8") from None
