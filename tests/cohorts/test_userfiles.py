import importlib.util
import os

import numpy as np
import pandas as pd
import pytest

from tests.conftest import FIXTURES
from tmeprog.cohorts import load_cohort
from tmeprog.cohorts.user_clinical import map_clinical, read_clinical_table
from tmeprog.cohorts.userfiles import load_user_cohort
from tmeprog.errors import InputError

_spec = importlib.util.spec_from_file_location(
    "make_fixtures", FIXTURES / "userfiles" / "make_fixtures.py")
mf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mf)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return mf.write_fixtures(tmp_path_factory.mktemp("userfiles"))


@pytest.fixture(scope="module")
def reference(files):
    return load_user_cohort(files["tsv"], clinical=files["clinical"])


def _write(path, text):
    path.write_text(text)
    return path


# ----------------------------------------------------------------------------- formats


def test_tsv_genes_x_samples(reference):
    c = reference
    truth = mf.expression_log2()
    assert c.expression.shape == (6, 1200)
    assert list(c.samples) == mf.SAMPLES
    assert {"FYB1", "CCN4", "TP53"} <= set(c.expression.columns)
    np.testing.assert_array_equal(c.expression["CCN4"].to_numpy(), truth.loc["WISP1"].to_numpy())
    assert c.meta.scale == "log2" and c.meta.extra["orientation"] == "genes_x_samples"
    text = "\n".join(c.report)
    assert "genes x samples; detected" in text and "scale log2" in text


@pytest.mark.parametrize("key", ["csv", "tsv_gz", "parquet", "r_style"])
def test_other_formats_give_the_same_matrix(files, reference, key):
    c = load_user_cohort(files[key])
    pd.testing.assert_frame_equal(c.expression, reference.expression)


def test_orientation_detected_and_overridable(files):
    c = load_user_cohort(files["csv"])
    assert c.meta.extra["orientation"] == "samples_x_genes"
    # stating the wrong orientation takes 6 sample ids as genes: far too few
    with pytest.raises(InputError, match="recognisable genes"):
        load_user_cohort(files["csv"], orientation="genes_x_samples")
    with pytest.raises(InputError, match="orientation="):
        load_user_cohort(files["csv"], orientation="sideways")


def test_counts_and_h5ad(files):
    raw = mf.counts()
    cpm = raw / raw.sum(axis=0) * 1e6
    want = np.log2(cpm + 1).T
    c = load_user_cohort(files["counts"])
    assert c.meta.extra["input_scale"] == "counts" and c.meta.scale == "log2"
    np.testing.assert_allclose(c.expression.to_numpy(), want.to_numpy(), rtol=1e-12)
    h = load_user_cohort(files["h5ad"])
    np.testing.assert_allclose(h.expression.to_numpy(), want.to_numpy(), rtol=1e-6)
    # h5ad obs columns are read as clinical columns
    assert h.clinical["er"].tolist() == [1, 0, 1, 1, 0, 1]
    assert h.endpoints["os_event"].sum() == 2


def test_probe_ids_with_annotation_file(files, reference):
    with pytest.raises(InputError, match="annotation="):
        load_user_cohort(files["probes"])
    c = load_user_cohort(files["probes"], annotation=files["annotation"])
    # probes 3 and 4 have several / no symbols and are dropped
    assert c.n_genes == 1198
    pd.testing.assert_frame_equal(c.expression, reference.expression.drop(
        columns=reference.expression.columns[[3, 4]]))
    assert any("probe ids replaced" in line for line in c.report)


def test_text_numbers_are_correctly_rounded(tmp_path):
    rng = np.random.default_rng(3)
    genes = mf.gene_symbols()
    txt = [[f"{v:.17g}" for v in row] for row in rng.normal(8, 2, size=(len(genes), 3))]
    p = tmp_path / "e.tsv"
    p.write_text("gene\tA\tB\tC\n" + "".join(
        g + "\t" + "\t".join(r) + "\n" for g, r in zip(genes, txt, strict=True)))
    c = load_user_cohort(p)
    want = np.array([[float(x) for x in r] for r in txt]).T  # Python's correctly rounded float
    np.testing.assert_array_equal(c.expression.to_numpy(), want)


def test_folder_and_registry_entry_point(files, tmp_path, reference):
    d = tmp_path / "mycohort"
    d.mkdir()
    os.symlink(files["tsv"], d / "expression.tsv")
    os.symlink(files["clinical"], d / "clinical.tsv")
    c = load_cohort(d)
    assert c.name == "mycohort" and "os" in c.endpoint_info
    pd.testing.assert_frame_equal(c.expression, reference.expression)
    c2 = load_cohort(str(files["tsv"]), clinical=files["clinical"], name="x")
    assert c2.name == "x"


# ----------------------------------------------------------------------------- clinical


def test_clinical_vocabulary_and_join(reference):
    c = reference
    cl = c.clinical
    assert cl["er"].tolist()[:5] == [1, 0, 1, 0, 1] and pd.isna(cl["er"].iloc[5])
    assert cl["grade"].tolist()[:5] == [1, 2, 3, 3, 2]
    assert cl["age"].tolist() == [51, 63, 44, 70, 58, 39]
    np.testing.assert_array_equal(c.endpoints["os_time"], [12.5, 40, 7.25, 80, 33, 61])
    np.testing.assert_array_equal(c.endpoints["os_event"], [1, 0, 1, 0, 0, 1])
    assert c.endpoints["pcr"].isna().sum() == 1
    assert c.endpoint_info["os"].kind == "survival" and c.endpoint_info["pcr"].kind == "binary"
    text = "\n".join(c.report)
    assert "6 of 6 samples matched" in text and "1 rows without expression dropped" in text


def test_clinical_days_and_cbioportal_layout(tmp_path):
    # cBioPortal: '#' header block, CR line endings, '0:LIVING' statuses
    rows = ["#Patient Identifier\tOS days\tstatus", "#x\tx\tx", "#STRING\tNUMBER\tSTRING",
            "#1\t1\t1", "PATIENT_ID\tOS_DAYS\tOS_STATUS", "P1\t365.25\t1:DECEASED",
            "P2\t730.5\t0:LIVING", "P3\tNA\tNA"]
    p = tmp_path / "patients.txt"
    p.write_bytes("\r".join(rows).encode())
    tab = read_clinical_table(p).set_index("PATIENT_ID")
    _, ends, info, _, _ = map_clinical(tab, "patients.txt")
    np.testing.assert_allclose(ends["os_time"].to_numpy()[:2], [12.0, 24.0])
    assert ends["os_event"].tolist()[:2] == [1.0, 0.0] and ends.loc["P3"].isna().all()
    assert "days" in info["os"].definition


def test_samples_without_clinical_rows_need_the_flag(files, tmp_path):
    clin = mf.clinical().iloc[:4]
    p = tmp_path / "clin.csv"
    clin.to_csv(p, index=False)
    with pytest.raises(InputError, match="2 of 6 samples .*--allow-missing-covariates"):
        load_user_cohort(files["tsv"], clinical=p)
    c = load_user_cohort(files["tsv"], clinical=p, allow_missing_covariates=True)
    assert c.n_samples == 6 and c.endpoints["os_time"].isna().sum() == 2
    assert any("2 of 6 samples" in line and "imputed" in line for line in c.report)


def test_metabric_clinical_tables(shared_data):
    d = shared_data / "cohorts" / "metabric"
    samp = read_clinical_table(d / "data_clinical_sample.txt").set_index("SAMPLE_ID")
    clin, _, _, _, _ = map_clinical(samp, "sample table")
    raw = samp["ER_STATUS"].value_counts()
    assert int((clin["er"] == 1).sum()) == raw["+"] and int((clin["er"] == 0).sum()) == raw["-"]
    assert set(clin["subtype"].dropna()) == {"HR+/HER2-", "HER2+", "TNBC"}
    pat = read_clinical_table(d / "data_clinical_patient.txt")
    assert pat.shape[0] > 2000 and "OS_MONTHS" in pat.columns  # CR line endings survived
    # the source holds a patient with 0 months of follow-up: one clear error naming them
    zero = pat.loc[pd.to_numeric(pat["OS_MONTHS"]) <= 0, "PATIENT_ID"].tolist()
    with pytest.raises(InputError, match="zero or negative survival time") as err:
        map_clinical(pat.set_index("PATIENT_ID"), "patient table")
    assert zero and zero[0] in str(err.value)
    ok = pat[~pat["PATIENT_ID"].isin(zero)].set_index("PATIENT_ID")
    clin, ends, info, _, _ = map_clinical(ok, "patient table")
    dead = ok["OS_STATUS"].str.contains("DECEASED").fillna(False)
    assert int(ends["os_event"].sum()) == int(dead.sum())
    assert {"os", "dss"} <= set(info)
    assert set(clin["pam50"].dropna()) == {"LumA", "LumB", "Her2", "Basal", "Normal",
                                           "claudin-low"}


# ----------------------------------------------------------------------------- feature tables


def test_feature_table(tmp_path):
    p = _write(tmp_path / "scores.csv",
               '"patient";"pCR";"HR";"HER2";"Arm";"Immune_score";"ECM_score";"note"\n'
               '"X1";1;0;0;"Ctr";0.5;-1.25;"a"\n"X2";0;1;0;"Pembro";1.5;0.25;"b"\n'
               '"X3";NA;1;1;"Ctr";NA;2;"c"\n')
    c = load_user_cohort(p, kind="features")
    assert c.expression is None and list(c.features.columns) == ["Immune_score", "ECM_score"]
    np.testing.assert_array_equal(c.features["ECM_score"], [-1.25, 0.25, 2.0])
    assert c.clinical["subtype"].tolist() == ["TNBC", "HR+/HER2-", "HER2+"]
    assert c.binary("pcr").tolist()[:2] == [1.0, 0.0]
    assert any("note" in line for line in c.report)  # the ignored text column is reported


def test_feature_table_numbers_round_trip_exactly(tmp_path):
    # 17 significant digits: every float64 written this way must be read back bit for bit
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 2)) * 10.0 ** rng.integers(-6, 6, size=(300, 2))
    rows = "".join(f"S{i},{float(a)!r},{b:.17g},{'NA' if i == 7 else 'x'}\n"
                   for i, (a, b) in enumerate(x))
    p = _write(tmp_path / "f.csv", "sample_id,f1,f2,note\n" + rows)
    c = load_user_cohort(p, kind="features")
    np.testing.assert_array_equal(c.features[["f1", "f2"]].to_numpy(), x)
    assert "note" not in c.features.columns


def test_ispy2_feature_table(shared_data):
    c = load_user_cohort(shared_data / "cohorts" / "ispy2" / "ISPY2_clinical_signatures_dev.csv",
                         kind="features")
    assert c.n_samples == 692 and c.features.shape[1] >= 20
    assert "Chemokine12_score" in c.features.columns
    assert c.endpoint_info["pcr"].kind == "binary" and c.endpoints["pcr"].notna().all()
    assert set(c.clinical["arm"].dropna()) and set(c.clinical["subtype"].dropna()) == {
        "HR+/HER2-", "HER2+", "TNBC"}


# ----------------------------------------------------------------------------- bad input


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_user_cohort(tmp_path / "nope.tsv")
    with pytest.raises(InputError, match="is empty"):
        load_user_cohort(_write(tmp_path / "empty.tsv", ""))
    with pytest.raises(InputError, match="no data rows"):
        load_user_cohort(_write(tmp_path / "header.tsv", "gene\tA\tB\n"))
    with pytest.raises(InputError, match="unsupported file type"):
        load_user_cohort(_write(tmp_path / "x.xlsx", "junk"))


def test_non_numeric_cell_is_named(tmp_path):
    ex = mf.expression_log2().astype(object)
    ex.iloc[17, 4] = "n.d."
    p = tmp_path / "bad.tsv"
    ex.to_csv(p, sep="\t")
    with pytest.raises(InputError) as err:
        load_user_cohort(p)
    msg = str(err.value)
    assert "'n.d.'" in msg and repr(ex.index[17]) in msg and "'PT-005'" in msg
    assert "line 19" in msg


def test_duplicated_sample_ids(files, tmp_path):
    ex = mf.expression_log2()
    ex.columns = ["A", "B", "C", "A", "E", "F"]
    p = tmp_path / "dup.tsv"
    ex.to_csv(p, sep="\t")
    with pytest.raises(InputError, match=r"duplicated sample ids \['A'\]"):
        load_user_cohort(p)
    clin = pd.concat([mf.clinical(), mf.clinical().iloc[[2]]])
    q = tmp_path / "dupclin.tsv"
    clin.to_csv(q, sep="\t", index=False)
    with pytest.raises(InputError, match=r"duplicated sample ids \['PT-003'\]"):
        load_user_cohort(files["tsv"], clinical=q)


@pytest.mark.parametrize("edit, message", [
    ({"OS_MONTHS": ("PT-002", "0")}, "zero or negative survival time"),
    ({"OS_MONTHS": ("PT-002", "-3")}, "zero or negative survival time"),
    ({"OS_MONTHS": ("PT-003", "")}, "event value but no time"),
    ({"OS_STATUS": ("PT-003", "2")}, "event values must be 0 or 1"),
    ({"OS_STATUS": ("PT-003", "maybe")}, "event values must be 0 or 1"),
    ({"OS_MONTHS": ("PT-003", "soon")}, "non-numeric survival time"),
    ({"pCR": ("PT-001", "partial")}, "pCR values must be 0 or 1"),
])
def test_bad_clinical_values(files, tmp_path, edit, message):
    clin = mf.clinical().set_index("SAMPLE_ID")
    for col, (sid, val) in edit.items():
        clin.loc[sid, col] = val
    p = tmp_path / "clin.tsv"
    clin.reset_index().to_csv(p, sep="\t", index=False)
    with pytest.raises(InputError, match=message):
        load_user_cohort(files["tsv"], clinical=p)


def test_low_sample_overlap(files, tmp_path):
    clin = mf.clinical()
    clin["SAMPLE_ID"] = ["PT-001"] + [f"Z{i}" for i in range(len(clin) - 1)]
    p = tmp_path / "clin.tsv"
    clin.to_csv(p, sep="\t", index=False)
    with pytest.raises(InputError, match=r"5 of 6 samples .* have no clinical row"):
        load_user_cohort(files["tsv"], clinical=p)


def test_too_few_genes(tmp_path):
    ex = mf.expression_log2().iloc[:900]
    p = tmp_path / "small.tsv"
    ex.to_csv(p, sep="\t")
    with pytest.raises(InputError, match="only 900 of 900 identifiers are recognisable"):
        load_user_cohort(p)


def test_ambiguous_scale_asks_for_scale(tmp_path):
    ex = mf.expression_log2() / 4.0  # range 0-4: log10-like, no clear scale
    p = tmp_path / "amb.tsv"
    ex.to_csv(p, sep="\t")
    with pytest.raises(InputError, match="scale="):
        load_user_cohort(p)
    c = load_user_cohort(p, scale="log2")
    assert "stated by the user" in "\n".join(c.report)


def test_missing_values_dropped_or_filled_and_counted(tmp_path):
    ex = mf.expression_log2()
    ex.iloc[10, :3] = np.nan  # 50% missing: gene dropped
    ex.iloc[11, 0] = np.nan  # 1 of 6 missing (17%): filled with the gene median
    p = tmp_path / "na.tsv"
    ex.to_csv(p, sep="\t")
    c = load_user_cohort(p)
    assert c.n_genes == 1199 and ex.index[10] not in c.expression.columns
    assert c.expression[ex.index[11]].iloc[0] == pytest.approx(ex.iloc[11, 1:].median())
    text = "\n".join(c.report)
    assert "dropped 1 genes missing" in text and "filled 1 missing" in text


def test_clinical_values_parsed_once_per_distinct_text_match_cell_by_cell():
    from tmeprog.cohorts.user_clinical import _parse_distinct, _parse_value

    rng = np.random.default_rng(1)
    texts = {"er": ["Positive", "neg", "1", None, "unknown"],
             "node_status": ["N0", "N1", "pN2a", "0", None],
             "grade": ["G1", "2", "III", None],
             "t_stage": ["T1", "t2", "T3b", None],
             "age": ["45", "61.5", " 70 ", None, "na"],
             "subtype": ["TNBC", "HR+/HER2-", "her2+", None]}
    for col, pool in texts.items():
        s = pd.Series(rng.choice(np.array(pool, dtype=object), 500), dtype="string")
        got, want = _parse_value(col, s), _parse_distinct(col, s)
        pd.testing.assert_series_equal(got, want, obj=col)
