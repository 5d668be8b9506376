"""Writing result tables: .parquet, .tsv or .csv, atomically, never over a user's file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from tmeprog.errors import EnvironmentFault, InputError

FORMATS = (".parquet", ".tsv", ".csv")


def table_format(path: str | Path) -> str:
    """The format of ``path`` from its suffix; unknown suffixes are an error."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"output {str(path)!r}: use a .parquet, .tsv or .csv file name")
    return suffix


def check_output(path: str | Path, overwrite: bool = False, what: str = "output",
                 folder: bool = False) -> Path:
    """Check, before any work, that ``path`` may be written; nothing is left behind.

    Parameters
    ----------
    path : path-like
        The output file (or folder, with ``folder=True``).
    overwrite : bool
        An existing file may be replaced (folders: existing files are checked by the writer).
    what : str
        What the path is, for the message (``--output``, ``--figures`` ...).
    folder : bool
        ``path`` is a folder to write into (created when absent).

    Returns
    -------
    Path

    Raises
    ------
    InputError
        When the file exists without ``overwrite``, or the path is of the wrong kind.
    EnvironmentFault
        When the folder it goes into (or its nearest existing parent) cannot be written.
    """
    out = Path(path)
    if folder:
        if out.exists() and not out.is_dir():
            raise InputError(f"{what} {str(out)!r} is a file; give a folder")
        where = out
    else:
        if out.is_dir():
            raise InputError(f"{what} {str(out)!r} is a folder; give a file name")
        if out.exists() and not overwrite:
            raise InputError(f"{what} {str(out)!r} exists; pass --overwrite to replace it")
        where = out.parent
    probe = where.absolute()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise InputError(f"{what} {str(out)!r}: {probe} is a file, not a folder")
    try:
        fd, tmp = tempfile.mkstemp(dir=probe, prefix=".tmeprog-write-check.")
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise EnvironmentFault(f"{what} {str(out)!r} cannot be written: folder {probe}: "
                               f"{exc.strerror or exc}; choose a writable folder") from None
    return out


@contextmanager
def atomic_output(path: str | Path, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` atomically.

    The file gets the permissions of a normally created file (umask applied); on failure the
    temporary file is removed and ``path`` is untouched.

    Raises
    ------
    InputError
        When ``path`` exists and ``overwrite`` is false.
    """
    out = Path(path)
    if out.exists() and not overwrite:
        raise InputError(f"{out} exists; pass --overwrite to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        yield Path(tmp)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_table(df: pd.DataFrame, path: str | Path, overwrite: bool = False,
                index_label: str = "sample_id") -> Path:
    """Write ``df`` (index kept as ``index_label``) to ``path`` via a temporary file + rename.

    Raises
    ------
    InputError
        When ``path`` exists and ``overwrite`` is false, or its suffix is not supported.
    """
    fmt = table_format(path)
    frame = df.rename_axis(index_label).reset_index()
    with atomic_output(path, overwrite) as tmp:
        if fmt == ".parquet":
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_csv(tmp, sep="\t" if fmt == ".tsv" else ",", index=False)
    return Path(path)
