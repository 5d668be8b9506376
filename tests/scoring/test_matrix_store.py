"""AnnData .h5ad / .zarr matrices: written by ``tmeprog convert``, read by anndata, scored as
the table they came from."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.scoring.conftest import CHAMPION
from tmeprog.cli import app
from tmeprog.errors import InputError
from tmeprog.scoring.layout import inspect_table
from tmeprog.scoring.matrix_store import MatrixStore, write_matrix
from tmeprog.scoring.reader import open_reader
from tmeprog.tables.sniff import table_kind

runner = CliRunner()


def _frame(n=30, g=12, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(8, 2, size=(n, g)),
                        index=pd.Index([f"S{i:03d}" for i in range(n)], name="sample_id"),
                        columns=[f"G{j}" for j in range(g)])


@pytest.mark.parametrize("fmt", ["h5ad", "zarr"])
def test_convert_replaces_a_store_only_when_asked(tmp_path, fmt):
    src = tmp_path / "x.tsv"
    _frame().to_csv(src, sep="\t")
    out = tmp_path / f"x.{fmt}"
    assert runner.invoke(app, ["convert", str(src), str(out)]).exit_code == 0
    r = runner.invoke(app, ["convert", str(src), str(out)])
    assert r.exit_code == 2 and "pass --overwrite" in r.output
    _frame(seed=1).to_csv(src, sep="\t")
    r = runner.invoke(app, ["convert", str(src), str(out), "--overwrite"])
    assert r.exit_code == 0, r.output
    a = ad.read_h5ad(out) if fmt == "h5ad" else ad.read_zarr(out)
    np.testing.assert_allclose(np.asarray(a.X), _frame(seed=1).to_numpy(), rtol=1e-6)


@pytest.mark.parametrize("fmt", ["h5ad", "zarr"])
def test_convert_writes_what_anndata_reads(tmp_path, fmt):
    df = _frame()
    src = tmp_path / "x.tsv"
    df.to_csv(src, sep="\t")
    out = tmp_path / f"x.{fmt}"
    r = runner.invoke(app, ["convert", str(src), str(out), "--float64"])
    assert r.exit_code == 0, r.output
    a = ad.read_h5ad(out) if fmt == "h5ad" else ad.read_zarr(out)
    assert list(a.obs_names) == list(df.index) and list(a.var_names) == list(df.columns)
    np.testing.assert_array_equal(np.asarray(a.X), df.to_numpy())
    assert table_kind(out) == "matrix"
    # genes x samples input ends as samples x genes
    gxs = tmp_path / "gxs.tsv"
    df.T.rename_axis("gene").to_csv(gxs, sep="\t")
    out2 = tmp_path / f"t.{fmt}"
    assert runner.invoke(app, ["convert", str(gxs), str(out2)]).exit_code == 0
    b = ad.read_h5ad(out2) if fmt == "h5ad" else ad.read_zarr(out2)
    assert b.X.dtype == np.float32 and list(b.obs_names) == list(df.index)
    np.testing.assert_allclose(np.asarray(b.X), df.to_numpy(), rtol=1e-6)


def test_reader_streams_row_blocks_of_an_anndata_file(tmp_path):
    df = _frame(n=50, g=7)
    path = tmp_path / "a.h5ad"
    ad.AnnData(X=df.to_numpy(np.float32), obs=pd.DataFrame(index=df.index),
               var=pd.DataFrame(index=df.columns)).write_h5ad(path)
    reader = open_reader(inspect_table(path), genes_on_rows=False)
    sel = np.array([5, 0, 3])
    got = list(reader.chunks(20, sel, skip=frozenset({1})))
    assert [len(ids) for _, ids, _ in got] == [20, 20, 10]
    assert got[1][2] is None
    np.testing.assert_array_equal(got[2][2], df.to_numpy(np.float32)[40:, sel])
    assert got[0][2].dtype == np.float32 and got[0][2].flags.c_contiguous  # as stored


def test_sparse_anndata_is_read_dense(tmp_path):
    from scipy import sparse

    df = _frame(n=10, g=5).clip(lower=8)
    path = tmp_path / "s.h5ad"
    ad.AnnData(X=sparse.csr_matrix(df.to_numpy() - 8), obs=pd.DataFrame(index=df.index),
               var=pd.DataFrame(index=df.columns)).write_h5ad(path)
    store = MatrixStore(path)
    np.testing.assert_allclose(store.rows(2, 6), df.to_numpy()[2:6] - 8)


def test_bad_stores_and_outputs(tmp_path):
    df = _frame()
    bad = tmp_path / "bad.h5ad"
    bad.write_text("not hdf5")
    with pytest.raises(InputError, match="not a readable h5ad"):
        MatrixStore(bad)
    out = tmp_path / "o.zarr"
    blocks = iter([(df.index[:10], df.to_numpy()[:10]), (df.index[:10], df.to_numpy()[10:20])])
    with pytest.raises(InputError, match="duplicated sample ids"):
        write_matrix(out, pd.Index(df.columns), blocks)
    assert not out.exists() and not list(tmp_path.glob(".o.zarr*"))  # nothing half-written
    src = tmp_path / "x.tsv"
    df.to_csv(src, sep="\t")
    (tmp_path / "taken.h5ad").write_text("mine")
    r = runner.invoke(app, ["convert", str(src), str(tmp_path / "taken.h5ad")])
    assert r.exit_code == 2 and "--overwrite" in r.output
    assert (tmp_path / "taken.h5ad").read_text() == "mine"
    r = runner.invoke(app, ["convert", str(src), str(tmp_path / "x.loom")])
    assert r.exit_code == 2 and ".h5ad or .zarr" in r.output


@pytest.mark.parametrize("fmt", ["h5ad", "zarr"])
def test_scores_of_a_matrix_store_equal_those_of_its_table(served, cohort_files, tmp_path, fmt):
    from tmeprog.scoring import score_batch

    out = tmp_path / f"expr.{fmt}"
    r = runner.invoke(app, ["convert", cohort_files["parquet"], str(out), "--float64"])
    assert r.exit_code == 0, r.output
    a = score_batch(CHAMPION, cohort_files["parquet"], tmp_path / "a.parquet", chunk_size=50,
                    clinical=cohort_files["clinical"], served=served)
    b = score_batch(CHAMPION, str(out), tmp_path / "b.parquet", chunk_size=50,
                    clinical=cohort_files["clinical"], served=served)
    assert a.n_scored == b.n_scored > 100
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "a.parquet"),
                                  pd.read_parquet(tmp_path / "b.parquet"))
