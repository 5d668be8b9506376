"""Every sample needs a clinical row: counts, examples and the case / white-space hint."""

import pandas as pd
import pytest

from tests.cohorts.test_userfiles import mf
from tmeprog.cohorts.id_matching import check_clinical_rows
from tmeprog.cohorts.userfiles import load_user_cohort
from tmeprog.errors import InputError


def test_every_sample_with_a_row_passes():
    ids = pd.Index(["a", "b", "c"])
    assert check_clinical_rows(ids, pd.Index(["c", "b", "a", "extra"]), "c.tsv", "x") is None


def test_missing_rows_are_counted_and_shown():
    ids = pd.Index([f"S{i}" for i in range(10)])
    with pytest.raises(InputError) as exc:
        check_clinical_rows(ids, ids[:3], "clinical file 'c.tsv'", "expression file 'e.tsv'",
                            id_column="patient")
    msg = str(exc.value)
    assert "clinical file 'c.tsv' (id column 'patient'): 7 of 10 samples of expression file " \
           "'e.tsv' have no clinical row" in msg
    assert "'S3', 'S4', 'S5', 'S6', 'S7' ... (7 in all)" in msg
    assert "--allow-missing-covariates" in msg and "match a clinical id" not in msg


@pytest.mark.parametrize("rows", [["s1", "s2", "S3"], [" S1", "S 2", "S3"], ["S 1", "s2", "S3"]])
def test_case_or_white_space_mismatch_gets_a_hint(rows):
    ids = pd.Index(["S1", "S2", "S3"])
    with pytest.raises(InputError, match=r"2 of 3 samples .*2 of them match a clinical id when "
                                         r"case and white space are ignored \(e\.g\. 'S1' vs"):
        check_clinical_rows(ids, pd.Index(rows), "c.tsv", "e.tsv")


def test_allowed_missing_rows_give_a_report_line():
    ids = pd.Index(["a", "b", "c", "d"])
    line = check_clinical_rows(ids, pd.Index(["a"]), "c.tsv", "e.tsv", allow_missing=True)
    assert line.startswith("c.tsv: 3 of 4 samples of e.tsv have no clinical row")
    assert "imputed (--allow-missing-covariates)" in line


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return mf.write_fixtures(tmp_path_factory.mktemp("ids"))


def test_loader_refuses_a_partly_matching_clinical_table(files, tmp_path):
    p = tmp_path / "clin.csv"
    mf.clinical().iloc[:4].to_csv(p, index=False)
    with pytest.raises(InputError, match=r"clin.csv \(id column 'SAMPLE_ID'\): 2 of 6 samples "
                                         r"of expression file 'expr_genes_x_samples.tsv' have "
                                         r"no clinical row, e.g\. 'PT-005', 'PT-006'"):
        load_user_cohort(files["tsv"], clinical=p)
    c = load_user_cohort(files["tsv"], clinical=p, allow_missing_covariates=True)
    assert c.n_samples == 6 and c.endpoints["os_time"].isna().sum() == 2
    assert c.clinical.loc[["PT-005", "PT-006"]].isna().all().all()
    assert any("2 of 6 samples" in line and "imputed" in line for line in c.report)


def test_loader_hints_at_lower_case_ids(files, tmp_path):
    clin = mf.clinical()
    clin["SAMPLE_ID"] = clin["SAMPLE_ID"].str.lower()
    p = tmp_path / "lower.tsv"
    clin.to_csv(p, sep="\t", index=False)
    with pytest.raises(InputError, match=r"6 of 6 samples .*6 of them match a clinical id .*"
                                         r"'PT-001' vs 'pt-001'"):
        load_user_cohort(files["tsv"], clinical=p)


def test_feature_table_with_a_partial_clinical_table(tmp_path):
    feats = pd.DataFrame({"sample_id": ["A", "B", "C"], "sig": [0.1, 0.2, 0.3]})
    fp = tmp_path / "f.tsv"
    feats.to_csv(fp, sep="\t", index=False)
    cp = tmp_path / "c.tsv"
    pd.DataFrame({"sample_id": ["A", "B"], "age": [50, 60]}).to_csv(cp, sep="\t", index=False)
    with pytest.raises(InputError, match=r"1 of 3 samples of feature table 'f.tsv' .*'C'"):
        load_user_cohort(fp, kind="features", clinical=cp)
