"""Chunks read where they are scored: the values the streaming reader gives, whole row groups."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tmeprog.errors import InputError
from tmeprog.scoring.layout import inspect_table
from tmeprog.scoring.reader import open_reader
from tmeprog.scoring.slices import ParquetSlice, whole_group_chunk_size


@pytest.fixture()
def grouped(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(47, 6)).astype(np.float32)
    x[3, 2] = np.nan
    df = pd.DataFrame(x, columns=[f"G{i}" for i in range(6)],
                      index=pd.Index([f"s{i}" for i in range(47)], name="sample_id"))
    path = tmp_path / "e.parquet"
    pq.write_table(pa.Table.from_pandas(df), path, row_group_size=10)
    return path, df


def test_slices_hold_the_streamed_values(grouped):
    path, df = grouped
    reader = open_reader(inspect_table(path), False)
    select = np.array([4, 0, 2])
    streamed = list(reader.chunks(20, select))
    lazy = list(reader.slices(20, select, skip=frozenset({1})))
    assert [len(ids) for _, ids, _ in lazy] == [20, 20, 7]
    assert lazy[1][2] is None  # a finished chunk is not read again
    for (i, ids, vals), (j, ids2, sl) in zip(streamed, lazy, strict=True):
        assert i == j and ids.equals(ids2)
        if sl is not None:
            got = sl.read()
            np.testing.assert_array_equal(got, vals)
            np.testing.assert_array_equal(got, df.iloc[:, select].to_numpy()[20 * i:20 * i + 20])


def test_a_changed_file_or_a_cut_row_group_is_refused(grouped):
    path, _ = grouped
    st = os.stat(path)
    cols = ("G0", "G1")
    with pytest.raises(InputError, match="not whole row groups"):
        ParquetSlice(((str(path), 5, 20, st.st_size, st.st_mtime_ns),), cols).read()
    with pytest.raises(InputError, match="changed while it was being scored"):
        ParquetSlice(((str(path), 0, 20, st.st_size + 1, st.st_mtime_ns),), cols).read()


@pytest.mark.parametrize("groups, wanted, cap, expected", [
    ([2000] * 10, 758, 2000, 2000),       # one big group per chunk
    ([100] * 9 + [40], 758, 2000, 700),   # several groups, never above what was wanted
    ([100, 90, 100], 758, 2000, None),    # uneven groups
    ([100, 100, 120], 758, 2000, None),   # a longer last group
    ([5000] * 3, 758, 2000, None),        # groups above the cap
    ([], 758, 2000, None),
])
def test_whole_group_chunk_size(groups, wanted, cap, expected):
    assert whole_group_chunk_size(groups, wanted, cap) == expected


@pytest.fixture()
def parts(tmp_path, grouped):
    """The same 47 samples written as a folder of three parts (20, 20, 7 rows; groups of 10)."""
    _, df = grouped
    folder = tmp_path / "dataset"
    folder.mkdir()
    for k, (a, b) in enumerate(((0, 20), (20, 40), (40, 47))):
        pq.write_table(pa.Table.from_pandas(df.iloc[a:b]), folder / f"part-{k}.parquet",
                       row_group_size=10)
    (folder / "_SUCCESS").write_text("")  # writers' marker files are ignored
    return folder, df


def test_a_folder_of_parts_reads_as_one_table(parts):
    folder, df = parts
    layout = inspect_table(folder)
    assert layout.side.tolist() == df.index.tolist()
    reader = open_reader(layout, False)
    assert reader.group_rows() == [10, 10, 10, 10, 7]
    select = np.array([5, 1])
    want = df.iloc[:, select].to_numpy()
    streamed = np.concatenate([v for _, _, v in reader.chunks(15, select)])
    np.testing.assert_array_equal(streamed, want)  # chunks straddle parts
    lazy = list(reader.slices(20, select))
    assert [len(p[2].pieces) for p in lazy] == [1, 1, 1]
    np.testing.assert_array_equal(np.concatenate([s.read() for _, _, s in lazy]), want)
    two = next(iter(reader.slices(40, select)))[2]  # one slice over two parts
    assert len(two.pieces) == 2
    np.testing.assert_array_equal(two.read(), want[:40])


def test_parts_must_share_their_columns(parts, tmp_path):
    folder, df = parts
    pq.write_table(pa.Table.from_pandas(df.iloc[:3, :4]), folder / "part-9.parquet")
    with pytest.raises(InputError, match="does not have the columns"):
        inspect_table(folder)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="folder without parquet files"):
        inspect_table(empty)
