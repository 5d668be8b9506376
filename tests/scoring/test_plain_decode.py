"""Plain float pages decoded without pyarrow: equal to pyarrow's values, or declined."""

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tmeprog.scoring import plain_decode
from tmeprog.scoring.arrays import columns_to_array
from tmeprog.scoring.parquet_part import ParquetPart
from tmeprog.scoring.reader import inspect_table, open_reader

PLAIN = {"compression": "none", "use_dictionary": False}


def _table(rows=45, cols=25, dtype=np.float32, seed=3, nullable=True, nulls=True):
    rng = np.random.default_rng(seed)
    fields = [pa.field("sample_id", pa.string())]
    arrays = [pa.array([f"S{i:03d}" for i in range(rows)])]
    for j in range(cols):
        v = rng.normal(size=rows).astype(dtype)
        if j % 4 == 1:
            v[rng.random(rows) < 0.3] = 0.0  # repeated values, like zeros of RNA-seq
        mask = rng.random(rows) < 0.15 if nulls and nullable and j % 3 == 0 else None
        arrays.append(pa.array(v, mask=mask))
        fields.append(pa.field(f"G{j}", pa.from_numpy_dtype(dtype), nullable=nullable))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _check_equal(path, indices, expect_fast=True):
    part = ParquetPart(path)
    pf = pq.ParquetFile(path)
    names = [pf.schema_arrow.names[i] for i in indices]
    for rg in range(pf.num_row_groups):
        got = part.read_plain(rg, indices)
        if not expect_fast:
            assert got is None
            continue
        assert got is not None and got.flags.f_contiguous
        want = columns_to_array(pf.read_row_group(rg, columns=names))
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)  # NaN where pyarrow has nulls
        assert np.array_equal(np.isnan(got), np.isnan(want))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("opts", [
    {},
    {"write_statistics": False},
    {"data_page_version": "2.0"},
    {"write_page_checksum": True},
    {"data_page_size": 64},  # several pages per column chunk
    {"data_page_version": "2.0", "data_page_size": 64},
    {"compression": {"sample_id": "snappy"}, "use_dictionary": ["sample_id"]},  # id only
    {"write_page_index": True},
])
def test_plain_pages_equal_pyarrow(tmp_path, dtype, opts):
    path = tmp_path / "m.parquet"
    pq.write_table(_table(dtype=dtype), path, row_group_size=20, **{**PLAIN, **opts})
    _check_equal(path, [4, 1, 25, 13, 2, 7])


def test_required_columns_and_all_columns(tmp_path):
    path = tmp_path / "m.parquet"
    pq.write_table(_table(nullable=False), path, row_group_size=16, **PLAIN)
    assert ParquetPart(path).metadata.schema.column(1).max_definition_level == 0
    _check_equal(path, list(range(1, 26)))


@pytest.mark.parametrize("opts", [
    {},  # pyarrow's default: dictionary pages, snappy
    {"compression": "none"},  # dictionary encoded
    {"use_dictionary": False},  # compressed
    {"compression": "none", "use_dictionary": False, "column_encoding":
     {f"G{j}": "BYTE_STREAM_SPLIT" for j in range(25)}},
])
def test_other_layouts_are_declined(tmp_path, opts):
    path = tmp_path / "m.parquet"
    pq.write_table(_table(), path, row_group_size=20, **opts)
    _check_equal(path, [1, 2, 3], expect_fast=False)


def test_mixed_or_integer_columns_are_declined(tmp_path):
    path = tmp_path / "m.parquet"
    t = pa.table({"a": pa.array([1.0, 2.0], pa.float32()), "b": [1.0, 2.0], "c": [1, 2]})
    pq.write_table(t, path, **PLAIN)
    part = ParquetPart(path)
    assert part.read_plain(0, [0, 1]) is None and part.read_plain(0, [2]) is None
    np.testing.assert_array_equal(part.read_plain(0, [1]), [[1.0], [2.0]])


def test_damaged_headers_never_crash(tmp_path):
    """Random byte changes in a file: the decoder declines or decodes, never reads astray."""
    path = tmp_path / "m.parquet"
    pq.write_table(_table(rows=30, cols=8), path, row_group_size=30, **PLAIN)
    part = ParquetPart(path)
    want_plan = part._plain_plan([1, 2, 3, 4])
    start, stop = part._span(0)
    good = np.array(part._bytes[:stop])
    assert plain_decode.decode_row_group(good, start, stop, 30, *want_plan) is not None
    rng = np.random.default_rng(0)
    declined = 0
    for _ in range(300):
        bad = good.copy()
        for at in rng.integers(start, stop, size=rng.integers(1, 4)):
            bad[at] = rng.integers(0, 256)
        out = plain_decode.decode_row_group(bad, start, stop, 30, *want_plan)
        declined += out is None
        assert out is None or out.shape == (30, 4)
    assert declined > 0


def _compact_struct_with_everything() -> bytes:
    """A Thrift compact struct holding every value type, nested (written by hand)."""
    return bytes([
        0x15, 0x04,              # field 1, i32: 2
        0x16, 0x80, 0x01,        # field 2, i64: 64
        0x17] + [0] * 8 + [      # field 3, double
        0x18, 0x03, 97, 98, 99,  # field 4, binary "abc"
        0x19, 0x35, 2, 4, 6,     # field 5, list of 3 i32
        0x19, 0x21, 1, 2,        # field 6, list of 2 booleans (a byte each)
        0x1B, 0x02, 0x58, 2, 1, 120, 4, 1, 121,  # field 7, map i32 -> binary, 2 pairs
        0x1C, 0x11, 0x15, 0x02, 0x00,  # field 8, struct { bool true, i32 1 }
        0x19, 0xF3, 17] + [1] * 17 + [  # field 9, list of 17 bytes (long form)
        0x03, 0x28, 0x07,        # field 20 (explicit id: zigzag 40), byte 7
        0x00])


def test_thrift_skip_walks_every_value_type():
    blob = _compact_struct_with_everything()
    buf = np.frombuffer(blob + b"\xff\xff", dtype=np.uint8)
    stack = plain_decode.new_stack()
    assert plain_decode._skip(buf, 0, len(buf), 12, stack) == len(blob)
    for cut in range(len(blob)):  # truncated anywhere: malformed, not a read past the end
        assert plain_decode._skip(buf[:cut], 0, cut, 12, stack) == -1


def test_reader_chunks_are_the_same_through_either_decoder(tmp_path, monkeypatch):
    path = tmp_path / "m.parquet"
    pq.write_table(_table(rows=50), path, row_group_size=10, **PLAIN)
    select = np.array([5, 0, 17, 3])
    fast = [v for _, _, v in open_reader(inspect_table(path), False).chunks(20, select)]
    monkeypatch.setattr(ParquetPart, "read_plain", lambda self, rg, idx: None)
    slow = [v for _, _, v in open_reader(inspect_table(path), False).chunks(20, select)]
    for a, b in zip(fast, slow, strict=True):
        np.testing.assert_array_equal(a, b)
