import csv
import io
import shutil
import statistics

import numpy as np
import pandas as pd
import pytest

from tests.cohorts.download.conftest import FIX, install, unhashed
from tmeprog.cohorts import load_cohort
from tmeprog.cohorts.download import cbioportal, sniff_cohort_file
from tmeprog.cohorts.download.cbioportal import load_cbioportal_folder, parse_cbioportal
from tmeprog.errors import InputError

CB = FIX / "cbioportal"


def _fixture_cohort(folder=CB):
    return parse_cbioportal(folder / "data_clinical_patient.txt",
                            folder / "data_clinical_sample.txt",
                            folder / "data_mrna_illumina_microarray.txt")


def test_fixture_samples_and_genes():
    c = _fixture_cohort()
    assert list(c.samples) == ["MB-0000", "MB-0002", "MB-0005", "MB-0006", "MB-0008"]
    assert "TP53" in c.expression.columns  # blank Hugo_Symbol, Entrez 7157
    assert "MKI67" not in c.expression.columns  # has an NA value
    # two GAPDH rows: the one with the higher mean is kept
    np.testing.assert_array_equal(c.expression["GAPDH"], [13.1, 13.0, 13.3, 12.9, 13.2])
    assert c.expression.columns.is_unique


def test_fixture_endpoints():
    c = _fixture_cohort()
    e = c.endpoints
    # MB-0006 has OS_MONTHS 0: missing for os and dss; MB-0008 has no vital status: no dss
    assert e["os_event"].tolist()[:3] == [0, 0, 1] and np.isnan(e.loc["MB-0006", "os_time"])
    assert e.loc["MB-0008", "os_event"] == 1
    assert e.loc["MB-0000", "os_time"] == 140.5
    assert e["dss_event"].tolist()[:3] == [0, 0, 1] and e["dss_event"].iloc[3:].isna().all()
    assert e.loc["MB-0005", "rfs_time"] == 151.28 and e.loc["MB-0005", "rfs_event"] == 1
    assert set(c.endpoint_info) == {"os", "dss", "rfs"}


def test_fixture_clinical():
    c = _fixture_cohort().clinical
    assert c["er"].tolist() == [1, 1, 1, 0, 1]  # MB-0008: blank ER_STATUS, ER_IHC 'Positve'
    assert c["her2"].tolist() == [0, 0, 0, 1, 1]
    assert c["pr"].tolist() == [0, 1, 1, 0, 1]
    assert c["subtype"].tolist() == ["HR+/HER2-", "HR+/HER2-", "HR+/HER2-", "HER2+", "HER2+"]
    assert c["pam50"].tolist()[:3] == ["claudin-low", "LumA", "LumB"]
    assert pd.isna(c.loc["MB-0006", "pam50"])  # 'NC' (not classified)
    assert c["n_nodes"].tolist()[:4] == [10, 0, 1, 3] and pd.isna(c.loc["MB-0008", "n_nodes"])
    assert c["node_status"].tolist()[:4] == [1, 0, 1, 1]
    assert c["menopause"].tolist() == ["post", "pre", "pre", "pre", "post"]
    assert c["chemotherapy"].tolist() == [0, 0, 1, 1, 0]
    assert c["grade"].tolist()[:3] == [3, 3, 2] and pd.isna(c.loc["MB-0006", "grade"])
    assert "t_stage" not in c.columns  # TUMOR_STAGE is the overall stage


@pytest.mark.parametrize("newline", ["\r", "\r\n"])
def test_line_endings_do_not_matter(tmp_path, newline):
    for f in CB.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes().replace(b"\n", newline.encode()))
    a, b = _fixture_cohort(), _fixture_cohort(tmp_path)
    pd.testing.assert_frame_equal(a.clinical, b.clinical)
    pd.testing.assert_frame_equal(a.endpoints, b.endpoints)


def test_clinical_only_and_folder_sniffing(tmp_path):
    shutil.copy(CB / "data_clinical_patient.txt", tmp_path)
    assert sniff_cohort_file(tmp_path) is load_cbioportal_folder
    c = load_cbioportal_folder(tmp_path)
    assert c.expression is None and c.n_samples == 6  # MTS-T0058 kept, without data
    assert c.endpoints.loc["MTS-T0058"].isna().all()


def test_not_a_cbioportal_file(tmp_path):
    p = tmp_path / "data_clinical_patient.txt"
    p.write_text("a\tb\n1\t2\n")
    with pytest.raises(InputError, match="PATIENT_ID"):
        parse_cbioportal(p)


def test_registry_loads_cached_files(monkeypatch):
    files = unhashed(cbioportal.FILES)
    monkeypatch.setattr(cbioportal, "FILES", files)
    install(cbioportal.NAME, files, "cbioportal")
    c = load_cohort("metabric")
    assert c.n_samples == 5 and c.meta.licence.startswith("ODbL")


def test_datahub_urls_are_pinned_with_hashes():
    for f in cbioportal.FILES:
        assert f.url.startswith("https://media.githubusercontent.com/media/cBioPortal/datahub/")
        assert f.url.endswith(f"/public/brca_metabric/{f.fname}")
        assert len(f.sha256) == 64


# ---- the real METABRIC clinical files (old-Mac line ends, plain DECEASED/LIVING) ----------

def _plain_patient_table(path):
    """Independent reading: split on any line end, drop '#' lines, csv module."""
    text = path.read_bytes().decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    body = "\n".join(ln for ln in text.split("\n") if ln and not ln.startswith("#"))
    return list(csv.DictReader(io.StringIO(body), delimiter="\t"))


def test_real_metabric_clinical(shared_data):
    folder = shared_data / "cohorts" / "metabric"
    rows = _plain_patient_table(folder / "data_clinical_patient.txt")
    c = load_cbioportal_folder(folder)
    assert c.n_samples == len(rows)
    with_os = [r for r in rows if r["OS_MONTHS"] and float(r["OS_MONTHS"]) > 0
               and r["OS_STATUS"] in ("DECEASED", "LIVING")]
    s = c.summary()["endpoints"]
    assert s["os"]["n"] == len(with_os)
    assert s["os"]["events"] == sum(r["OS_STATUS"] == "DECEASED" for r in with_os)
    assert s["os"]["median_follow_up_months"] == pytest.approx(
        statistics.median(float(r["OS_MONTHS"]) for r in with_os))
    dss = [r for r in with_os if r["VITAL_STATUS"] not in ("", "NA")]
    assert s["dss"]["n"] == len(dss)
    assert s["dss"]["events"] == sum(r["VITAL_STATUS"] == "Died of Disease" for r in dss)
    pam = pd.Series([r["CLAUDIN_SUBTYPE"] for r in rows if r["CLAUDIN_SUBTYPE"] not in ("", "NC")])
    assert c.clinical["pam50"].value_counts().sort_index().to_dict() == \
        pam.value_counts().sort_index().to_dict()
    chemo = sum(r["CHEMOTHERAPY"] == "YES" for r in rows)
    assert int(c.clinical["chemotherapy"].sum()) == chemo
