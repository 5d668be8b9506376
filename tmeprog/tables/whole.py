"""Whole tables read into pandas: numeric matrices (text or parquet) with their row labels, and
tables of text cells (clinical, annotation and feature tables)."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from tmeprog.errors import InputError
from tmeprog.tables.damage import gzip_guard, text_read_error
from tmeprog.tables.sniff import full_header, head_lines, sniff_sep, split_line
from tmeprog.tables.text import WHOLE_TABLE_ROWS, block_size, column_names, read_csv
from tmeprog.tables.textio import open_text

NA_STRINGS = {"", "na", "nan", "null", "none", "n/a", "#n/a", "missing", ".", "?", "not available",
              "[not available]", "[unknown]", "[not evaluated]"}


def first_column_as_index(df: pd.DataFrame) -> pd.DataFrame:
    """The first column as the (stripped, string) row labels; whole-number floats lose ``.0``.

    Raises
    ------
    InputError
        When there is no column besides the labels.
    """
    if df.shape[1] < 2:
        raise InputError("the table has fewer than two columns; expected row labels and values")
    idx = df.iloc[:, 0]
    if pd.api.types.is_float_dtype(idx) and (idx.dropna() % 1 == 0).all():
        idx = idx.astype("Int64")
    out = df.iloc[:, 1:]
    out.index = pd.Index(idx.astype(str).str.strip(), name=df.columns[0] or None)
    return out


def read_numeric_text(path: Path) -> pd.DataFrame:
    """A text matrix: first column = row labels, header = column labels, cells as read.

    pyarrow's reader first (correct rounding); pandas' round-trip parser when pyarrow refuses
    the file (ragged rows, odd quoting), after naming a truncated stream or a ragged row.

    Raises
    ------
    InputError
        An empty file, a header without rows, a damaged ``.gz`` stream, rows with the wrong
        number of fields.
    """
    lines, skipped = head_lines(path, 2)
    if not lines:
        raise InputError(f"file {str(path)!r} holds no table; export the table again")
    sep = sniff_sep(lines[0])
    header = split_line(lines[0], sep)
    if len(lines) < 2:
        raise InputError(f"file {str(path)!r} has a header but no data rows")
    header = full_header(header, len(split_line(lines[1], sep)))
    names = column_names(len(header))
    try:
        block = block_size(len(lines[1]), WHOLE_TABLE_ROWS)
        df = read_csv(path, sep, skipped + 1, names, block).to_pandas()
    except Exception:  # pyarrow refuses ragged rows, truncated streams, odd quoting
        err = text_read_error(path, sep, skipped + 1, len(header))
        if err is not None:
            raise err from None
        try:
            with gzip_guard(path):
                df = pd.read_csv(path, engine="c", float_precision="round_trip", sep=sep,
                                 header=None, skiprows=skipped + 1, names=names)
        except (ValueError, pd.errors.ParserError) as exc:
            raise InputError(
                f"cannot read {str(path)!r} as a {'tab' if sep == chr(9) else repr(sep)}-"
                f"separated table: {exc}; check that every row has {len(header)} fields"
            ) from None
    df.columns = pd.Index([h.strip() for h in header])
    return first_column_as_index(df)


def read_parquet(path: Path) -> pd.DataFrame:
    """A parquet matrix with string row and column labels (a first text column, when the file
    has no index of its own, becomes the row labels)."""
    try:
        df = pd.read_parquet(path)
    except Exception as exc:
        raise InputError(f"cannot read {str(path)!r} as parquet: {exc}") from None
    df.columns = pd.Index(df.columns.astype(str))
    if isinstance(df.index, pd.RangeIndex) and df.shape[1] and not \
            pd.api.types.is_numeric_dtype(df.iloc[:, 0]):
        return first_column_as_index(df)
    df.index = pd.Index(df.index.astype(str))
    return df


def clean_cells(s: pd.Series) -> pd.Series:
    """Cells stripped, missing-value spellings as NA; each distinct text handled once."""
    codes, uniques = pd.factorize(s)
    clean = pd.Series(uniques, dtype=object).str.strip()
    clean = clean.mask(clean.str.lower().isin(NA_STRINGS)).to_numpy(dtype=object)
    return pd.Series(clean[codes], index=s.index, name=s.name, dtype=object)


def read_text_cells(path: Path, what: str) -> pd.DataFrame:
    """A text table as strings, indexed by row number.

    Leading ``#`` lines (cBioPortal's header block) are skipped; CR, LF and CRLF line endings,
    tab, ``;`` and ``,`` separators are recognised; missing-value spellings
    (:data:`NA_STRINGS`) become NA. ``what`` names the file in messages.
    """
    with open_text(path) as fh, gzip_guard(path):
        lines = fh.read().split("\n")
    i = 0
    while i < len(lines) and (lines[i].startswith("#") or not lines[i].strip()):
        i += 1
    if i >= len(lines):
        raise InputError(f"{what} file {str(path)!r} holds no table")
    sep = sniff_sep(lines[i])
    try:
        df = pd.read_csv(io.StringIO("\n".join(lines[i:])), sep=sep, dtype=str,
                         keep_default_na=False, na_filter=False, engine="c")
    except (ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"cannot read {what} file {str(path)!r}: {exc}") from None
    df.columns = pd.Index([str(c).strip() for c in df.columns])
    return df.apply(clean_cells)


def check_unique(idx: pd.Index, what: str) -> None:
    """Raise :class:`InputError` naming the first duplicated sample ids of ``idx``."""
    if idx.has_duplicates:
        dup = idx[idx.duplicated()].unique()[:5].tolist()
        raise InputError(f"{what}: duplicated sample ids {dup}; sample ids must be unique")
