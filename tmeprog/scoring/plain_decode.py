"""Decoding plain, uncompressed float columns of a parquet row group straight into an array.

pyarrow decodes a wide row group at about 15 microseconds per column chunk whatever its size
(reader objects, buffers and an Arrow array per column), which for 16,000 gene columns of 2,000
samples costs more than scoring them. The commonest layout of large numeric tables written for
streaming (no dictionary, no compression, float32/float64, flat columns) needs none of that:
each column chunk is a run of data pages whose values are the little-endian floats themselves.
This module walks the pages of a row group (Thrift compact page headers), reads the definition
levels of nullable columns, and copies the values of the wanted columns into a column-major
array, NaN where a cell is null.

Anything else (dictionary pages, compression, other encodings, repeated fields, a page
header it does not recognise, a walk that does not end where the metadata says the row group
ends) makes :func:`decode_row_group` return None, and the caller reads the row group with
pyarrow. Values are copied bit for bit, so both paths give equal arrays.
"""

from __future__ import annotations

import numba
import numpy as np

# parquet-format enums
_DATA_PAGE, _INDEX_PAGE, _DICTIONARY_PAGE, _DATA_PAGE_V2 = 0, 1, 2, 3
_PLAIN, _RLE = 0, 3


@numba.njit(cache=True)
def _varint(buf, p, end):  # pragma: no cover - compiled
    """(value, next position); position -1 on a truncated or overlong varint."""
    out = np.int64(0)
    shift = 0
    while p < end:
        b = np.int64(buf[p])
        p += 1
        out |= (b & 0x7F) << shift
        if b < 0x80:
            return out, p
        shift += 7
        if shift > 63:
            return np.int64(0), -1
    return np.int64(0), -1


@numba.njit(cache=True)
def _zigzag(n):  # pragma: no cover - compiled
    return (n >> 1) ^ -(n & 1)


_STRUCT, _LIST, _MAP = 0, 1, 2
_MAX_DEPTH = 64


def new_stack() -> np.ndarray:
    """Work space of :func:`_skip` (allocated once per row group, not per value)."""
    return np.empty((4, _MAX_DEPTH), np.int64)


@numba.njit(cache=True)
def _skip(buf, p, end, t, stack):  # pragma: no cover - compiled
    """Position after a value of compact type ``t`` at ``p`` (-1 if malformed).

    Iterative, with an explicit stack of open containers (numba's on-disk cache does not
    support recursive functions); ``stack`` from :func:`new_stack`.
    """
    kind = stack[0]
    left = stack[1]
    ta = stack[2]
    tb = stack[3]
    sp = 0
    pending = t
    while True:
        if pending >= 0:
            t = pending
            pending = -1
            if p < 0:
                return -1
            if t == 1 or t == 2:  # a boolean in a field header: no payload
                pass
            elif t == 3:
                p += 1
            elif t == 4 or t == 5 or t == 6:
                _, p = _varint(buf, p, end)
            elif t == 7:
                p += 8
            elif t == 8:
                n, p = _varint(buf, p, end)
                if p < 0 or n < 0:
                    return -1
                p += n
            elif t == 9 or t == 10 or t == 11 or t == 12:
                if sp >= _MAX_DEPTH:
                    return -1
                if t == 12:
                    kind[sp] = _STRUCT
                elif t == 11:
                    n, p = _varint(buf, p, end)
                    if p < 0 or n < 0:
                        return -1
                    kind[sp] = _MAP
                    left[sp] = 2 * n
                    if n > 0:
                        if p >= end:
                            return -1
                        kv = np.int64(buf[p])
                        p += 1
                        ta[sp] = kv >> 4
                        tb[sp] = kv & 0x0F
                else:
                    if p >= end:
                        return -1
                    h = np.int64(buf[p])
                    p += 1
                    n = h >> 4
                    if n == 15:
                        n, p = _varint(buf, p, end)
                        if p < 0 or n < 0:
                            return -1
                    kind[sp] = _LIST
                    left[sp] = n
                    ta[sp] = h & 0x0F
                for k in range(2):  # booleans inside lists and maps take a byte each
                    arr = ta if k == 0 else tb
                    if kind[sp] != _STRUCT and (arr[sp] == 1 or arr[sp] == 2):
                        arr[sp] = 3
                sp += 1
            else:
                return -1
            if p < 0 or p > end:
                return -1
        if sp == 0:
            return p
        top = sp - 1
        if kind[top] == _STRUCT:
            if p >= end:
                return -1
            b = np.int64(buf[p])
            p += 1
            if b == 0:
                sp -= 1
                continue
            if b >> 4 == 0:  # explicit field id
                _, p = _varint(buf, p, end)
                if p < 0:
                    return -1
            pending = b & 0x0F
        elif left[top] == 0:
            sp -= 1
        else:
            left[top] -= 1
            if kind[top] == _LIST:
                pending = ta[top]
            else:  # map: key, value, key, value ...
                pending = ta[top] if left[top] % 2 == 1 else tb[top]


@numba.njit(cache=True)
def _i32(buf, p, end, t):  # pragma: no cover - compiled
    """An i32 field value (zigzag varint); (0, -1) if the field is not an i32."""
    if t != 5:
        return np.int64(0), -1
    v, q = _varint(buf, p, end)
    return _zigzag(v), q


@numba.njit(cache=True)
def _field(buf, p, end, last):  # pragma: no cover - compiled
    """(field id, compact type, next position) of a struct field header after field ``last``;
    id 0 at the struct's stop byte, position -1 if malformed."""
    if p >= end:
        return 0, 0, -1
    b = np.int64(buf[p])
    p += 1
    if b == 0:
        return 0, 0, p
    if b >> 4:
        return last + (b >> 4), b & 0x0F, p
    v, p = _varint(buf, p, end)
    return _zigzag(v), b & 0x0F, p


@numba.njit(cache=True)
def _slot(parent, fid):  # pragma: no cover - compiled
    """Where field ``fid`` of the PageHeader (``parent`` 0) or of its DataPageHeader (5) /
    DataPageHeaderV2 (8) goes in the parsed header; -1: not kept."""
    if parent == 0:
        return fid - 1 if 1 <= fid <= 3 else -1  # type, uncompressed / compressed size
    if parent == 5:
        return 3 + fid - 1 if 1 <= fid <= 4 else -1  # num_values, encodings
    if fid == 1:
        return 3  # num_values
    if fid == 2:
        return 9  # num_nulls
    if fid == 4:
        return 4  # encoding
    if fid == 5 or fid == 6:
        return 2 + fid  # definition / repetition levels byte length
    return -1


@numba.njit(cache=True)
def _page_header(buf, p, end, h, stack):  # pragma: no cover - compiled
    """Parse a PageHeader at ``p`` into ``h``; returns the position after it, -1 if malformed.

    ``h``: type, uncompressed size, compressed size, num_values, encoding, definition-level
    encoding, repetition-level encoding, v2 definition-levels length, v2 repetition-levels
    length, v2 num_nulls (-1 where absent).
    """
    for i in range(h.shape[0]):
        h[i] = -1
    parent = 0  # 0: in the PageHeader; 5 / 8: in its (v1 / v2) data page header
    fid = 0
    while True:
        fid, t, p = _field(buf, p, end, fid)
        if p < 0:
            return -1
        if fid == 0:  # a stop byte: the data page header's, or the PageHeader's
            if parent == 0:
                return p
            fid, parent = parent, 0
            continue
        if parent == 0 and (fid == 5 or fid == 8):
            if t != 12:
                return -1
            fid, parent = 0, fid
            continue
        slot = _slot(parent, fid)
        if slot >= 0:
            v, p = _i32(buf, p, end, t)
            h[slot] = v
        else:
            p = _skip(buf, p, end, t, stack)
        if p < 0:
            return -1


@numba.njit(cache=True)
def _levels(buf, p, end, n, defined):  # pragma: no cover - compiled
    """Decode ``n`` 1-bit definition levels (RLE / bit-packed hybrid) into ``defined[:n]``;
    returns the number defined, or -1 if malformed."""
    i = 0
    while i < n:
        head, p = _varint(buf, p, end)
        if p < 0:
            return -1
        if head & 1:  # bit-packed groups of 8
            count = (head >> 1) * 8
            nbytes = head >> 1
            if p + nbytes > end:
                return -1
            for k in range(min(count, n - i)):
                defined[i + k] = (buf[p + (k >> 3)] >> (k & 7)) & 1
            p += nbytes
            i += count
        else:
            count = head >> 1
            if p >= end or count == 0:
                return -1
            v = buf[p]
            p += 1
            if v > 1:
                return -1
            for k in range(min(count, n - i)):
                defined[i + k] = v
            i += count
    total = 0
    for k in range(n):
        total += defined[k]
    return total


@numba.njit(cache=True)
def _walk(buf, start, stop, n_cols, rows, want, max_def, width, out, nan):  # pragma: no cover
    """Decode the wanted columns of one row group into ``out`` (bytes of a column-major
    ``rows x n_wanted`` array); True when the whole row group was understood."""
    h = np.empty(10, np.int64)
    stack = np.empty((4, _MAX_DEPTH), np.int64)
    defined = np.empty(rows, np.uint8)
    p = start
    col_bytes = rows * width
    for c in range(n_cols):
        j = want[c]
        done = 0
        while done < rows:
            q = _page_header(buf, p, stop, h, stack)
            if q < 0:
                return False
            ptype, usize, csize, nv = h[0], h[1], h[2], h[3]
            if csize < 0 or q + csize > stop:
                return False
            data_end = q + csize
            if ptype == _INDEX_PAGE or (ptype == _DICTIONARY_PAGE and j < 0):
                p = data_end
                continue
            if ptype != _DATA_PAGE and ptype != _DATA_PAGE_V2:
                return False
            if nv < 0 or done + nv > rows:
                return False
            if j < 0:
                p = data_end
                done += nv
                continue
            if h[4] != _PLAIN or usize != csize:
                return False
            v = q
            if ptype == _DATA_PAGE:
                if max_def[c] == 1:
                    if h[5] != _RLE or v + 4 > data_end:
                        return False
                    n_lev = (np.int64(buf[v]) | (np.int64(buf[v + 1]) << 8)
                             | (np.int64(buf[v + 2]) << 16) | (np.int64(buf[v + 3]) << 24))
                    v += 4
                    if v + n_lev > data_end:
                        return False
                    nn = _levels(buf, v, v + n_lev, nv, defined)
                    v += n_lev
                else:
                    nn = nv
            else:  # v2: levels first, not length-prefixed, never compressed
                if h[8] != 0 or h[7] < 0 or v + h[7] > data_end:
                    return False
                if max_def[c] == 1:
                    nn = _levels(buf, v, v + h[7], nv, defined)
                    if h[9] >= 0 and nn >= 0 and nn != nv - h[9]:
                        return False
                elif h[7] == 0:
                    nn = nv
                else:
                    return False
                v += h[7]
            if nn < 0 or data_end - v != nn * width:
                return False
            base = j * col_bytes + done * width
            if nn == nv:
                out[base:base + nv * width] = buf[v:v + nv * width]
            else:
                s = v
                for k in range(nv):
                    o = base + k * width
                    if defined[k]:
                        out[o:o + width] = buf[s:s + width]
                        s += width
                    else:
                        out[o:o + width] = nan
            done += nv
            p = data_end
        if done != rows:
            return False
    return p == stop


def decode_row_group(buf: np.ndarray, start: int, stop: int, rows: int, want: np.ndarray,
                     max_def: np.ndarray, dtype: np.dtype) -> np.ndarray | None:
    """The wanted columns of a row group as a ``(rows, n_wanted)`` column-major array.

    Parameters
    ----------
    buf : numpy.ndarray
        The file's bytes (uint8, e.g. a memory map).
    start, stop : int
        Where the row group's first column chunk starts and its last one ends.
    rows : int
        Rows of the row group.
    want : numpy.ndarray
        Per leaf column of the file, its position among the output columns, or -1.
    max_def : numpy.ndarray
        Per leaf column, its maximum definition level (0 or 1 for the wanted columns).
    dtype : numpy.dtype
        float32 or float64: the physical type of every wanted column.

    Returns
    -------
    numpy.ndarray or None
        None when the row group is not plain, uncompressed floats throughout (see module).
    """
    dtype = np.dtype(dtype)
    n_out = int((want >= 0).sum())
    out = np.empty((rows, n_out), dtype=dtype, order="F")
    nan = np.frombuffer(np.array([np.nan], dtype=dtype).tobytes(), dtype=np.uint8)
    flat = out.reshape(-1, order="F").view(np.uint8)
    ok = _walk(buf, int(start), int(stop), want.shape[0], int(rows),
               np.asarray(want, dtype=np.int64), np.asarray(max_def, dtype=np.int64),
               dtype.itemsize, flat, nan)
    return out if ok else None
