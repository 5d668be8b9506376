import csv
import gzip

import numpy as np
import pandas as pd
import pytest
import requests

from tests.cohorts.download.conftest import FIX, install
from tmeprog.cohorts import load_cohort
from tmeprog.cohorts.download import cache, xena
from tmeprog.cohorts.download.cache import CorruptCacheError
from tmeprog.errors import DownloadError

PRIMARY = ["TCGA-A1-A0SB-01", "TCGA-A1-A0SD-01", "TCGA-A2-A04P-01", "TCGA-BH-A0B3-01"]


def _rows(name):
    with open(FIX / "xena" / name, newline="") as fh:
        return {r[next(iter(r))]: r for r in csv.DictReader(fh, delimiter="\t")}


@pytest.fixture
def tcga():
    install(xena.NAME, xena.FILES, "xena")
    return load_cohort("tcga_brca")


def test_primary_tumours_only(tcga):
    assert list(tcga.samples) == PRIMARY
    assert tcga.expression.index.equals(tcga.samples)
    assert tcga.meta.scale == "log2" and "log2(norm_count + 1)" in tcga.meta.platform


def test_expression_values_and_gene_ids(tcga):
    expr = {r["sample"]: r for r in csv.DictReader(open(FIX / "xena" / "HiSeqV2"), delimiter="\t")}
    for gene in ("ESR1", "ERBB2", "CD8A"):
        want = [float(expr[gene][s]) for s in PRIMARY]
        np.testing.assert_array_equal(tcga.expression[gene].to_numpy(), want)
    assert "FYB1" in tcga.expression.columns  # alias renamed
    assert not any(c.startswith("?") for c in tcga.expression.columns)


def test_survival_in_months_and_zero_times_dropped(tcga):
    surv = _rows("BRCA_survival.txt")
    for s in PRIMARY:
        t = float(surv[s]["OS.time"])
        got = tcga.endpoints.loc[s, "os_time"]
        if t > 0:
            assert got == pytest.approx(t / 30.4375)
            assert tcga.endpoints.loc[s, "os_event"] == float(surv[s]["OS"])
        else:
            assert np.isnan(got) and np.isnan(tcga.endpoints.loc[s, "os_event"])
    dfi = tcga.endpoints["dfs_time"]
    assert dfi.notna().sum() == sum(surv[s]["DFI.time"] not in ("", "0") for s in PRIMARY)
    assert set(tcga.endpoint_info) == {"os", "dss", "dfs"}
    assert "DFI" in tcga.endpoint_info["dfs"].definition


def test_clinical_mapping(tcga):
    c = tcga.clinical
    # A0SB: IHC ER+/PR+/HER2 IHC Positive, T1c, N0 (i-), post, LumA
    assert (c.loc[PRIMARY[0], ["er", "pr", "her2", "t_stage", "node_status"]].tolist()
            == [1, 1, 1, 1, 0])
    assert c.loc[PRIMARY[0], "menopause"] == "post" and c.loc[PRIMARY[0], "pam50"] == "LumA"
    # A0SD: HER2 IHC equivocal, in situ hybridisation positive -> positive; N1a -> node 1
    assert c.loc[PRIMARY[1], "her2"] == 1 and c.loc[PRIMARY[1], "node_status"] == 1
    assert c.loc[PRIMARY[1], "subtype"] == "HER2+" and c.loc[PRIMARY[1], "radiotherapy"] == 1
    # A04P: ER missing in the clinical field, paper's ER_Status_nature2012 Negative; PR
    # indeterminate; TX, NX; peri-menopausal is neither pre nor post
    row = c.loc[PRIMARY[2]]
    assert row["er"] == 0 and row["her2"] == 0 and row["pam50"] == "Her2"
    assert row[["pr", "t_stage", "node_status", "menopause"]].isna().all()
    # A0B3 has no clinical row at all
    assert c.loc[PRIMARY[3]].isna().all()
    assert c.loc[PRIMARY[0], "age"] == 70.0


def test_truncated_expression_after_download_is_caught(tcga):
    path = cache.cohort_dir(xena.NAME) / xena.EXPRESSION.fname
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 40])
    with pytest.raises(CorruptCacheError, match="tmeprog cohorts fetch tcga_brca"):
        load_cohort("tcga_brca")


def test_truncated_gzip_placed_by_hand_is_caught():
    d = install(xena.NAME, xena.FILES, "xena")
    blob = gzip.compress((FIX / "xena" / "HiSeqV2").read_bytes() * 50)
    (d / xena.EXPRESSION.fname).write_bytes(blob[: len(blob) // 2])
    with pytest.raises(CorruptCacheError, match="truncated or corrupted"):
        load_cohort("tcga_brca")


def test_offline_without_cache_says_what_to_do(monkeypatch):
    def offline(rf, folder):
        raise requests.ConnectionError("Name or service not known")

    monkeypatch.setattr(cache, "_retrieve", offline)
    with pytest.raises(DownloadError) as err:
        load_cohort("tcga_brca")
    msg = str(err.value)
    assert "could not reach tcga.xenahubs.net" in msg
    assert "tmeprog cohorts fetch tcga_brca" in msg
    assert str(cache.cohort_dir("tcga_brca")) in msg


def test_sample_type_codes():
    codes = xena.sample_type_code(pd.Index(["TCGA-A1-A0SB-01", "TCGA-A2-A04P-11", "x"]))
    assert codes.tolist() == ["01", "11", None]
