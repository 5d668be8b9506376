import csv

import numpy as np
import pandas as pd
import pytest

from tests.cohorts.download.conftest import FIX, install
from tmeprog.cohorts import load_cohort
from tmeprog.cohorts.download import ispy2, sniff_cohort_file
from tmeprog.cohorts.download.ispy2 import load_ispy2_table
from tmeprog.errors import InputError

TABLE = FIX / "ispy2" / "ISPY2_clinical_signatures.csv"


def _rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def test_table_fixture():
    c = load_ispy2_table(TABLE)
    rows = _rows(TABLE)
    assert list(c.samples) == [r["patient"][1:] for r in rows]  # R's 'X' prefix removed
    assert c.expression is None and c.name == "ISPY2_clinical_signatures"
    assert c.endpoints["pcr"].tolist() == [float(r["pCR"]) for r in rows]
    assert list(c.features.columns) == ["ICS5_score", "Chemokine12_score", "Mod10_ECM",
                                        "TIE2.Y992"]
    assert np.isnan(c.features.loc["100899", "TIE2.Y992"])
    assert c.features.loc["102011", "ICS5_score"] == 1.219
    cl = c.clinical
    assert cl["hr"].tolist() == [0, 1, 1, 0] and cl["her2"].tolist() == [0, 0, 0, 1]
    assert cl["subtype"].tolist() == ["TNBC", "HR+/HER2-", "HR+/HER2-", "HER2+"]
    assert cl["arm"].tolist() == ["Ganitumab", "Ganetespib", "Ctr", "TDM1/P"]
    assert pd.isna(cl.loc["700502", "pam50"]) and cl.loc["103939", "pam50"] == "LumB"
    assert c.endpoint_info["pcr"].kind == "binary"
    assert any("MP2" in r for r in c.report)


def test_table_needs_pcr(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text('"patient";"HR"\n"X1";1\n')
    with pytest.raises(InputError, match="pCR"):
        load_ispy2_table(p)


def test_sniffing(tmp_path):
    assert sniff_cohort_file(TABLE) is load_ispy2_table
    other = tmp_path / "expr.tsv"
    other.write_text("gene\tS1\nESR1\t1.0\n")
    assert sniff_cohort_file(other) is None
    assert sniff_cohort_file(FIX / "geo" / "GSE25066_series_matrix.txt") is None


def test_real_shared_table(shared_data):
    path = shared_data / "cohorts" / "ispy2" / "ISPY2_clinical_signatures_dev.csv"
    rows = _rows(path)
    c = load_ispy2_table(path)
    assert c.n_samples == len(rows)
    assert c.binary("pcr").sum() == sum(r["pCR"] == "1" for r in rows)
    assert (c.clinical["hr"] == 1).sum() == sum(r["HR"] == "1" for r in rows)
    tn = sum(r["Receptor.Subtype"] == "TN" for r in rows)
    assert (c.clinical["subtype"] == "TNBC").sum() == tn
    assert c.clinical["arm"].value_counts().to_dict() == \
        pd.Series([r["Arm..short.name."] for r in rows]).value_counts().to_dict()
    # every score column with more than two values, read independently, is a feature
    def as_float(v):
        try:
            return float(v)
        except ValueError:
            return None
    numeric = [k for k in rows[0] if all(as_float(r[k]) is not None or r[k] == "NA"
                                         for r in rows)]
    scores = [k for k in numeric if len({r[k] for r in rows} - {"NA"}) > 2]
    assert list(c.features.columns) == scores
    got = c.features["Chemokine12_score"].to_numpy()
    np.testing.assert_array_equal(got, [float(r["Chemokine12_score"]) for r in rows])


@pytest.fixture
def ispy2_geo():
    install(ispy2.NAME, ispy2.FILES, "ispy2")
    return load_cohort("ispy2")


def test_geo_cohort(ispy2_geo):
    c = ispy2_geo
    assert list(c.samples) == ["100899", "102011", "103939", "700501", "700502"]
    assert "999999" not in c.expression.index  # expression without annotation
    assert "MKI67" in c.expression.columns  # its only missing value was in 999999
    assert c.expression.loc["700502", "ERBB2"] == 3.8
    assert c.endpoints["pcr"].tolist()[:4] == [0, 1, 0, 1] and np.isnan(c.endpoints["pcr"].iloc[4])
    assert c.clinical["arm"].tolist()[0] == "Paclitaxel + Ganitumab"
    assert c.clinical["subtype"].tolist() == ["TNBC", "HR+/HER2-", "HR+/HER2-", "TNBC", "HER2+"]


def test_table_and_geo_ids_agree(ispy2_geo):
    table = load_ispy2_table(TABLE)
    assert set(table.samples) <= set(ispy2_geo.samples)
