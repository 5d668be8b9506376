"""Process-pool and Dask engines give the local engine's scores bit for bit."""

from __future__ import annotations

import pandas as pd
import pytest

from tmeprog.scoring import score_batch

from .conftest import CHAMPION


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    c = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                     dashboard_address=None)
    yield c.scheduler_address
    c.close()


def test_engines_agree_bit_for_bit(served, cohort_files, cluster, local60, tmp_path):
    kw = dict(clinical=cohort_files["clinical"], chunk_size=60, served=served)
    s, ref = local60
    assert s.workers == 1 and s.n_chunks == 2 and len(ref) == 115

    dask_out = tmp_path / "dask.parquet"
    s = score_batch(CHAMPION, cohort_files["parquet"], dask_out, engine="dask",
                    scheduler=cluster, **kw)
    assert s.workers == 2 and s.engine == "dask"
    pd.testing.assert_frame_equal(pd.read_parquet(dask_out), ref, check_exact=True)

    pool_out = tmp_path / "pool.parquet"
    s = score_batch(CHAMPION, cohort_files["parquet"], pool_out, workers=2, **kw)
    assert s.workers == 2 and s.engine == "local"
    pd.testing.assert_frame_equal(pd.read_parquet(pool_out), ref, check_exact=True)


def test_unreachable_scheduler_is_an_input_error(served, tmp_path):
    from tmeprog.errors import InputError

    out = tmp_path / "o.parquet"
    with pytest.raises(InputError, match="cannot reach the Dask scheduler"):
        score_batch(CHAMPION, "gse4335", out, engine="dask", scheduler="tcp://127.0.0.1:9",
                    served=served)
    assert not out.exists()


@pytest.fixture(scope="module")
def grouped_parquet(cohort_files, tmp_path_factory):
    """gse4335 as parquet with row groups of 30 samples (the last one 25)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    e = cohort_files["cohort"].expression.rename_axis("sample_id").astype("float32")
    path = tmp_path_factory.mktemp("grouped") / "expr.parquet"
    pq.write_table(pa.Table.from_pandas(e), path, row_group_size=30)
    return str(path)


def test_workers_reading_row_groups_score_as_one_process(served, cohort_files,
                                                         grouped_parquet, tmp_path):
    kw = dict(clinical=cohort_files["clinical"], chunk_size=60, served=served)
    ref_out = tmp_path / "one.parquet"
    s = score_batch(CHAMPION, grouped_parquet, ref_out, **kw)
    assert not any("read their chunks" in n for n in s.notes)
    ref = pd.read_parquet(ref_out)
    assert len(ref) == 115 and ref["risk_score"].notna().all()
    for name, extra in (("pool", {"workers": 2}), ("dask", {"engine": "dask", "workers": 2})):
        out = tmp_path / f"{name}.parquet"
        s = score_batch(CHAMPION, grouped_parquet, out, **kw, **extra)
        assert any("read their chunks (2 row group(s) each)" in n for n in s.notes), s.notes
        assert s.n_chunks == 2
        pd.testing.assert_frame_equal(pd.read_parquet(out), ref, check_exact=True)


def test_default_chunks_are_whole_row_groups(served, cohort_files, grouped_parquet, tmp_path):
    s = score_batch(CHAMPION, grouped_parquet, tmp_path / "o.tsv", served=served,
                    clinical=cohort_files["clinical"], workers=2)
    assert s.chunk_size % 30 == 0 and s.n_scored == 115
    assert any("read their chunks" in n for n in s.notes)


def test_a_folder_of_parts_scores_as_the_whole_file(served, cohort_files, grouped_parquet,
                                                    tmp_path):
    import pyarrow.parquet as pq

    table = pq.read_table(grouped_parquet)
    folder = tmp_path / "parts"
    folder.mkdir()
    pq.write_table(table.slice(0, 60), folder / "part-0.parquet", row_group_size=30)
    pq.write_table(table.slice(60), folder / "part-1.parquet", row_group_size=30)
    kw = dict(clinical=cohort_files["clinical"], chunk_size=60, served=served)
    ref_out, one_out, pool_out = (tmp_path / f"{n}.parquet" for n in ("ref", "one", "pool"))
    score_batch(CHAMPION, grouped_parquet, ref_out, **kw)
    ref = pd.read_parquet(ref_out)
    score_batch(CHAMPION, str(folder), one_out, **kw)
    pd.testing.assert_frame_equal(pd.read_parquet(one_out), ref, check_exact=True)
    s = score_batch(CHAMPION, str(folder), pool_out, workers=2, **kw)
    assert any("read their chunks" in n for n in s.notes)
    pd.testing.assert_frame_equal(pd.read_parquet(pool_out), ref, check_exact=True)
