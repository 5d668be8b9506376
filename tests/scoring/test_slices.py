"""Chunks read where they are scored: the values the streaming reader gives, whole row groups."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tmeprog.errors import InputError
from tmeprog.scoring.reader import inspect_table, open_reader
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
        ParquetSlice(str(path), 5, 20, cols, st.st_size, st.st_mtime_ns).read()
    with pytest.raises(InputError, match="changed while it was being scored"):
        ParquetSlice(str(path), 0, 20, cols, st.st_size + 1, st.st_mtime_ns).read()


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
