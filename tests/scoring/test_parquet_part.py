"""Reading parquet through a memory map, by column index: the values pyarrow reads."""

import mmap
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tmeprog.errors import InputError
from tmeprog.scoring import parquet_part
from tmeprog.scoring.layout import inspect_table
from tmeprog.scoring.parquet_part import ParquetPart
from tmeprog.scoring.reader import open_reader


def _write(path: Path, rows=37, cols=30, group=10, dtype=np.float32, seed=1, **opts) -> None:
    rng = np.random.default_rng(seed)
    arrays = [pa.array([f"S{i}" for i in range(rows)])]
    for j in range(cols):
        v = rng.normal(size=rows).astype(dtype)
        mask = rng.random(rows) < 0.1 if j % 3 == 0 else None  # some columns with nulls
        arrays.append(pa.array(v, mask=mask))
    names = ["sample_id"] + [f"G{j}" for j in range(cols)]
    pq.write_table(pa.Table.from_arrays(arrays, names=names), path, row_group_size=group, **opts)


@pytest.mark.parametrize("opts", [{}, {"compression": "none", "use_dictionary": False},
                                  {"compression": "zstd", "data_page_version": "2.0"}])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_groups_equal_pyarrows_read(tmp_path, opts, dtype):
    path = tmp_path / "m.parquet"
    _write(path, dtype=dtype, **opts)
    pf = pq.ParquetFile(path)
    part = ParquetPart(path)
    assert part.flat and part.group_rows() == [10, 10, 10, 7]
    idx = [5, 1, 30, 12]  # any order
    names = [pf.schema_arrow.names[i] for i in idx]
    for rg in range(pf.num_row_groups):
        assert part.read_row_group(rg, idx).equals(pf.read_row_group(rg, columns=names))
    assert part.read_columns([0, 3]).equals(pf.read(columns=["sample_id", "G2"]))
    assert part.head(13, [2]).to_pydict() == pf.read(columns=["G1"]).slice(0, 13).to_pydict()


def test_a_file_that_cannot_be_mapped_is_read_buffered(tmp_path, monkeypatch):
    path = tmp_path / "m.parquet"
    _write(path)

    def refuse(*args, **kwargs):
        raise OSError("mmap not supported here")

    monkeypatch.setattr(parquet_part.mmap, "mmap", refuse)
    part = ParquetPart(path)
    assert part._map is None
    want = pq.ParquetFile(path).read_row_group(2, columns=["G4", "G0"])
    assert part.read_row_group(2, [5, 1]).equals(want)


def _rss_file_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssFile:"):
            return int(line.split()[1])
    raise LookupError


@pytest.mark.skipif(not hasattr(mmap.mmap, "madvise") or not Path("/proc/self/status").exists()
                    or "RssFile" not in Path("/proc/self/status").read_text(),
                    reason="needs Linux /proc and madvise")
def test_read_pages_leave_the_process(tmp_path):
    path = tmp_path / "big.parquet"
    _write(path, rows=4000, cols=400, group=1000, dtype=np.float64,
           compression="none", use_dictionary=False)
    size_kb = path.stat().st_size // 1024  # ~12.5 MB
    cols = list(range(1, 401))

    def grown(release: bool) -> int:
        part = ParquetPart(path)
        if not release:
            part.release = lambda span=None: None
        before = _rss_file_kb()
        for rg in range(part.num_row_groups):
            part.read_row_group(rg, cols)
        return _rss_file_kb() - before

    assert grown(release=False) > 0.8 * size_kb  # the control: mapped pages stay resident
    assert grown(release=True) < 0.3 * size_kb


@pytest.mark.parametrize("opts", [{}, {"compression": "none", "use_dictionary": False}])
def test_head_then_chunks_read_the_first_row_group_once_with_the_same_values(tmp_path, opts,
                                                                          monkeypatch):
    path = tmp_path / "m.parquet"
    _write(path, rows=25, cols=12, group=10, **opts)
    select = np.array([3, 0, 7])
    fresh = [v for _, _, v in open_reader(inspect_table(path), False).chunks(10, select)]
    reader = open_reader(inspect_table(path), genes_on_rows=False)
    ids, head = reader.head(4)
    np.testing.assert_array_equal(head[:, select], fresh[0][:4])
    assert list(ids) == ["S0", "S1", "S2", "S3"]
    calls = []
    method = ParquetPart.read_row_group
    monkeypatch.setattr(ParquetPart, "read_row_group", lambda self, rg, idx, m=method:
                        calls.append(rg) or m(self, rg, idx))
    got = [v for _, _, v in reader.chunks(10, select)]
    assert 0 not in calls and {1, 2} <= set(calls)  # row group 0 came from head()
    for a, b in zip(got, fresh, strict=True):
        assert a.flags.f_contiguous
        np.testing.assert_array_equal(a, b)


def test_nested_columns_are_refused(tmp_path):
    path = tmp_path / "nested.parquet"
    t = pa.table({"sample_id": ["a", "b"], "G1": [1.0, 2.0],
                  "s": pa.array([{"x": 1.0}, {"x": 2.0}])})
    pq.write_table(t, path)
    with pytest.raises(InputError, match="'s' holds struct"):
        inspect_table(path)


def test_reading_lets_each_footer_go(tmp_path):
    """Nothing of a part (its footer is most of its memory) outlives the part without a
    garbage collection: pyarrow's FileMetaData.schema would tie it into a reference cycle."""
    import gc
    import weakref

    path = tmp_path / "m.parquet"
    _write(path, compression="none", use_dictionary=False)
    gc.collect()
    gc.disable()
    try:
        part = ParquetPart(path)
        assert part.read_row_group(0, [1, 2, 4]).num_rows > 0
        meta = weakref.ref(part.metadata)
        del part
        assert meta() is None
    finally:
        gc.enable()


def test_a_file_rewritten_while_mapped_is_an_error_not_a_crash(tmp_path):
    path = tmp_path / "m.parquet"
    _write(path, compression="none", use_dictionary=False)
    part = ParquetPart(path)
    assert part.read_row_group(0, [1, 2]).num_rows > 0
    _write(path, rows=12, group=5, compression="none", use_dictionary=False)  # shorter now
    for read in (lambda: part.read_row_group(1, [1]),
                 lambda: part.read_columns([1]), lambda: part.head(3, [1])):
        with pytest.raises(InputError, match="changed while it was being read"):
            read()
