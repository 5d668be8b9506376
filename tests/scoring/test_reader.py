"""Chunked readers against pandas' whole-file readers."""

import gzip

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tmeprog.errors import InputError
from tmeprog.scoring.layout import inspect_table
from tmeprog.scoring.reader import open_reader
from tmeprog.tables.sniff import table_kind


def _matrix(n=23, p=40, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    m = pd.DataFrame(rng.normal(size=(n, p)).astype(dtype),
                     index=pd.Index([f"S{i:03d}" for i in range(n)], name="sample_id"),
                     columns=[f"G{j}" for j in range(p)])
    m.iloc[2, 3] = np.nan
    return m


def _collect(chunks):
    return [(i, list(ids), None if v is None else np.array(v)) for i, ids, v in chunks]


def test_table_kind():
    assert table_kind("a.parquet") == "parquet" and table_kind("a.PQ") == "parquet"
    assert table_kind("a.tsv.gz") == "text" and table_kind("x.csv") == "text"
    assert table_kind("a.h5ad") == "matrix" and table_kind("b.zarr") == "matrix"
    assert table_kind("a.loom") is None and table_kind("a.parquet.gz") is None


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_parquet_rows_stream_by_row_group_with_skips(tmp_path, dtype):
    m = _matrix(dtype=dtype)
    path = tmp_path / "m.parquet"
    pq.write_table(pa.Table.from_pandas(m), path, row_group_size=5)
    reader = open_reader(inspect_table(path), genes_on_rows=False)
    assert list(reader.sample_ids) == list(m.index) and list(reader.genes) == list(m.columns)
    select = np.array([7, 3, 0, 39])
    got = _collect(reader.chunks(4, select, skip=frozenset({1, 3})))
    assert [g[0] for g in got] == list(range(6))
    for i, ids, v in got:
        rows = m.iloc[4 * i:4 * i + 4]
        assert ids == list(rows.index)
        if i in (1, 3):
            assert v is None
        else:
            assert v.dtype == dtype
            np.testing.assert_array_equal(v, rows.to_numpy()[:, select])
    ids, head = reader.head(7)
    np.testing.assert_array_equal(head, m.to_numpy()[:7])


def test_text_rows_match_a_round_trip_parser(tmp_path):
    m = _matrix(n=31, seed=1)
    path = tmp_path / "m.tsv.gz"
    with gzip.open(path, "wt") as fh:
        m.to_csv(fh, sep="\t", na_rep="NA")
    ref = pd.read_csv(path, sep="\t", index_col=0, float_precision="round_trip")
    reader = open_reader(inspect_table(path), genes_on_rows=False)
    assert reader.sample_ids is None and list(reader.genes) == list(m.columns)
    select = np.arange(40)[::-1]
    got = _collect(reader.chunks(8, select, skip=frozenset({2})))
    assert [len(ids) for _, ids, _ in got] == [8, 8, 8, 7]
    assert sum((ids for _, ids, _ in got), []) == list(m.index)
    vals = np.vstack([v for i, _, v in got if i != 2])
    keep = np.r_[0:16, 24:31]
    np.testing.assert_array_equal(vals, ref.to_numpy()[keep][:, select])
    assert np.isnan(vals[2, 39 - 3])


def test_r_style_header_and_csv(tmp_path):
    m = _matrix(n=6, p=5)
    path = tmp_path / "m.csv"
    lines = [",".join(m.columns)] + [",".join([i] + [repr(float(x)) for x in r])
                                     for i, r in zip(m.index, m.to_numpy(), strict=True)]
    path.write_text("\n".join(lines).replace("nan", "") + "\n")
    reader = open_reader(inspect_table(path), genes_on_rows=False)
    (_, ids, v), = _collect(reader.chunks(10, np.arange(5)))
    assert ids == list(m.index)
    np.testing.assert_array_equal(v, m.to_numpy())


@pytest.mark.parametrize("fmt", ["parquet", "tsv"])
def test_genes_by_samples_are_transposed(tmp_path, fmt):
    m = _matrix(n=9, p=12)
    t = m.T.rename_axis("gene")
    path = tmp_path / f"g.{fmt}"
    t.to_parquet(path) if fmt == "parquet" else t.to_csv(path, sep="\t")
    reader = open_reader(inspect_table(path), genes_on_rows=True)
    assert reader.orientation == "genes_x_samples"
    assert list(reader.genes) == list(m.columns) and list(reader.sample_ids) == list(m.index)
    select = np.array([11, 0, 5])
    got = _collect(reader.chunks(4, select, skip=frozenset({1})))
    assert [ids for _, ids, _ in got] == [list(m.index[a:a + 4]) for a in (0, 4, 8)]
    np.testing.assert_array_equal(got[0][2], m.to_numpy()[:4][:, select])
    np.testing.assert_array_equal(got[2][2], m.to_numpy()[8:][:, select])
    assert got[1][2] is None


def test_non_numeric_cell_is_named(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("id\tA1BG\tTP53\ns1\t1.5\t2\ns2\toops\t3\n")
    reader = open_reader(inspect_table(path), genes_on_rows=False)
    with pytest.raises(InputError, match="A1BG"):
        list(reader.chunks(10, np.arange(2)))


def test_text_column_parquet_is_refused(tmp_path):
    path = tmp_path / "t.parquet"
    pd.DataFrame({"id": ["a", "b"], "A1BG": [1.0, 2.0], "note": ["x", "y"]}).to_parquet(path)
    with pytest.raises(InputError, match="'note'"):
        inspect_table(path)
