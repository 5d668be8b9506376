import gzip

import numpy as np
import pandas as pd
import pytest

from tests.cohorts.download.conftest import FIX, install
from tmeprog.cohorts import load_cohort
from tmeprog.cohorts.download import cache, geo
from tmeprog.cohorts.download.cache import CorruptCacheError
from tmeprog.cohorts.download.geo import (
    parse_platform_annotation,
    parse_series_matrix,
    platform_annot_url,
    series_matrix_url,
)

GSM = ["GSM615096", "GSM615097", "GSM615098", "GSM615099"]
MATRIX = FIX / "geo" / "GSE25066_series_matrix.txt"


def _table_from_fixture():
    """Independent reading of the fixture's table block."""
    lines = MATRIX.read_text().split("\n")
    i, j = lines.index("!series_matrix_table_begin"), lines.index("!series_matrix_table_end")
    rows = [ln.split("\t") for ln in lines[i + 1:j]]
    vals = {r[0].strip('"'): [float(v) if v != "null" else np.nan for v in r[1:]]
            for r in rows[1:]}
    return vals


def test_series_matrix_parsing():
    sm = parse_series_matrix(MATRIX)
    assert list(sm.samples.index) == GSM
    assert sm.series["geo_accession"] == ["GSE25066"]
    assert sm.samples["er_status_ihc"].tolist() == ["P", "N", "I", "N"]
    assert sm.samples["title"].tolist()[0] == "Sample 1"
    # a key present for some samples only (GEO pads the others with empty cells)
    assert sm.samples["source"].isna().tolist() == [True, True, True, False]
    assert pd.isna(sm.samples.loc["GSM615099", "pam50_class"])
    want = _table_from_fixture()
    assert sm.table.shape == (len(want), 4)
    np.testing.assert_array_equal(sm.table.loc["202870_s_at"].to_numpy(), want["202870_s_at"])
    assert sm.processing == ["fixture values, log2 scale"]


def test_series_matrix_gzip_equals_plain(tmp_path):
    gz = tmp_path / "m.txt.gz"
    gz.write_bytes(gzip.compress(MATRIX.read_bytes()))
    a, b = parse_series_matrix(MATRIX), parse_series_matrix(gz)
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.samples, b.samples)


def test_platform_annotation():
    sym, counts = parse_platform_annotation(FIX / "geo" / "GPL96.annot")
    assert sym["205225_at"] == "ESR1" and sym["211233_x_at"] == "ESR1"
    assert "1007_s_at" not in sym.index and "210915_x_at" not in sym.index  # 'A///B'
    assert "AFFX-BioB-5_at" not in sym.index  # no symbol
    assert counts == {"probes": 9, "no_symbol": 1, "multi_gene": 2}


def test_platform_table_with_submitter_column_name(tmp_path):
    p = tmp_path / "gpl.txt"
    p.write_text("#ID = Affymetrix probe set\nID\tGB_ACC\tGene Symbol\n"
                 "205225_at\tNM_000125\tESR1\n1007_s_at\tU48705\tDDR1 /// MIR4640\n")
    sym, counts = parse_platform_annotation(p)
    assert sym.to_dict() == {"205225_at": "ESR1"} and counts["multi_gene"] == 1


@pytest.fixture
def gse25066():
    install(geo.GSE25066, geo.GSE25066_FILES, "geo")
    return load_cohort("gse25066")


def test_gse25066_expression(gse25066):
    want = _table_from_fixture()
    e = gse25066.expression
    assert list(e.index) == GSM
    # ESR1: of its two probes, the one with the higher mean
    hi = max(("205225_at", "211233_x_at"), key=lambda p: np.mean(want[p]))
    np.testing.assert_array_equal(e["ESR1"].to_numpy(), want[hi])
    np.testing.assert_array_equal(e["GATA3"].to_numpy(), want["209604_s_at"])
    assert "CDC20" not in e.columns  # has a null value
    assert not {"DDR1", "TRBC1", "TRBC2"} & set(e.columns)
    assert gse25066.meta.extra["data_processing"] == ["fixture values, log2 scale"]


def test_gse25066_endpoints_and_clinical(gse25066):
    ep, c = gse25066.endpoints, gse25066.clinical
    assert ep["pcr"].tolist()[:3] == [0, 1, 0] and np.isnan(ep["pcr"].iloc[3])
    np.testing.assert_allclose(ep["drfs_time"].iloc[:3], [5.43 * 12, 3.1 * 12, 1.25 * 12])
    assert ep["drfs_event"].tolist()[:3] == [0, 0, 1] and np.isnan(ep["drfs_event"].iloc[3])
    assert c["er"].tolist()[:2] == [1, 0] and pd.isna(c["er"].iloc[2])  # I: indeterminate
    assert c["t_stage"].tolist()[:3] == [2, 3, 4] and pd.isna(c["t_stage"].iloc[3])  # T0
    assert c["node_status"].tolist()[:3] == [0, 1, 1]
    assert c["subtype"].iloc[[0, 1, 3]].tolist() == ["HR+/HER2-", "TNBC", "HER2+"]
    assert pd.isna(c["subtype"].iloc[2])  # ER indeterminate, PR negative: HR unknown
    assert c["pam50"].tolist()[:3] == ["LumA", "Basal", "Basal"]
    assert set(gse25066.endpoint_info) == {"pcr", "drfs"}


def test_linear_values_are_log2_transformed(tmp_path, gse25066):
    text = MATRIX.read_text().split("\n")
    i, j = text.index("!series_matrix_table_begin"), text.index("!series_matrix_table_end")
    for k in range(i + 2, j):
        cells = text[k].split("\t")
        text[k] = "\t".join([cells[0]] + [c if c == "null" else repr(2 ** float(c))
                                          for c in cells[1:]])
    lin = tmp_path / "lin.txt"
    lin.write_text("\n".join(text))
    c = geo.parse_gse25066(lin, FIX / "geo" / "GPL96.annot")
    np.testing.assert_allclose(c.expression.to_numpy(), gse25066.expression.to_numpy(),
                               rtol=0, atol=1e-9)
    assert any("applied log2" in r for r in c.report)


def test_missing_table_end_means_truncated(tmp_path):
    p = tmp_path / "cut.txt"
    p.write_text(MATRIX.read_text().split("!series_matrix_table_end")[0])
    with pytest.raises(CorruptCacheError, match="truncated"):
        parse_series_matrix(p, "gse25066")


def test_cached_matrix_altered_after_download(gse25066):
    path = cache.cohort_dir(geo.GSE25066) / geo.GSE25066_MATRIX.fname
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(CorruptCacheError, match="delete"):
        load_cohort("gse25066")


def test_geo_urls():
    assert series_matrix_url("GSE25066") == ("https://ftp.ncbi.nlm.nih.gov/geo/series/GSE25nnn/"
                                             "GSE25066/matrix/GSE25066_series_matrix.txt.gz")
    assert series_matrix_url("GSE194040", "GPL20078").endswith(
        "/GSE194nnn/GSE194040/matrix/GSE194040-GPL20078_series_matrix.txt.gz")
    assert platform_annot_url("GPL96") == ("https://ftp.ncbi.nlm.nih.gov/geo/platforms/GPLnnn/"
                                           "GPL96/annot/GPL96.annot.gz")
    assert "/GPL20nnn/GPL20078/" in platform_annot_url("GPL20078")
