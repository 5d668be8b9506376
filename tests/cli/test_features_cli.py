import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tmeprog.cli import app

runner = CliRunner()


def test_features_writes_table_and_refuses_overwrite(tmp_path):
    out = tmp_path / "f.tsv"
    res = runner.invoke(app, ["features", "gse4335", "-o", str(out)])
    assert res.exit_code == 0, res.output
    t = pd.read_csv(out, sep="\t")
    assert t.shape[0] == 115 and t.columns[0] == "sample_id"
    assert "til_density" in t.columns and "process_proliferation" in t.columns
    before = out.read_bytes()
    res = runner.invoke(app, ["features", "gse4335", "-o", str(out)])
    assert res.exit_code == 2 and "--overwrite" in res.output
    assert out.read_bytes() == before


def test_features_with_user_gmt(tmp_path):
    gmt = tmp_path / "mine.gmt"
    gmt.write_text("MY_T\tdesc\tCD3D\tCD3E\tCD2\tCD8A\n")
    out = tmp_path / "f.csv"
    res = runner.invoke(app, ["features", "gse1992", "-o", str(out), "--signatures", str(gmt)])
    assert res.exit_code == 0, res.output
    assert "MY_T" in pd.read_csv(out).columns


def test_features_bad_suffix_writes_nothing(tmp_path):
    out = tmp_path / "f.xlsx"
    res = runner.invoke(app, ["features", "gse4335", "-o", str(out)])
    assert res.exit_code == 2 and ".parquet" in res.output
    assert not out.exists()


def test_signatures_check_json_names_missing_genes():
    res = runner.invoke(app, ["signatures", "check", "gse3143", "--json"])
    assert res.exit_code == 0, res.output
    rows = {r["feature"]: r for r in json.loads(res.stdout)}
    assert rows["process_checkpoint"]["ok"] is False
    assert "CD274" in rows["process_checkpoint"]["missing"]
    assert rows["immune_score"]["n_genes"] == 141


def test_features_passes_stil_through_and_calibrates(tmp_path):
    import numpy as np

    from tmeprog.cohorts import load_cohort

    c = load_cohort("gse1992")
    expr = c.expression.T  # genes x samples, as GEO-style files come
    expr.index.name = "gene"
    expr.to_csv(tmp_path / "expr.tsv", sep="\t")
    rng = np.random.default_rng(0)
    cd8 = c.expression["CD8A"].to_numpy()
    stil = np.clip(10 + 15 * (cd8 - cd8.mean()) / cd8.std() + rng.normal(0, 5, len(cd8)), 0, 90)
    clin = pd.DataFrame({"sample_id": c.samples, "stil_pct": stil.round(1)})
    clin.to_csv(tmp_path / "clin.tsv", sep="\t", index=False)
    out = tmp_path / "f.tsv"
    res = runner.invoke(app, ["features", str(tmp_path / "expr.tsv"), "--clinical",
                              str(tmp_path / "clin.tsv"), "-o", str(out), "--calibrate-til"])
    assert res.exit_code == 0, res.output
    t = pd.read_csv(out, sep="\t").set_index("sample_id")
    assert np.allclose(t.loc[c.samples, "stil_pct"], stil.round(1))
    cal = t["til_density_stil_pct"]
    assert cal.between(0, 100).all()
    assert t[["til_density", "til_density_stil_pct"]].corr(method="spearman").iloc[0, 1] > 0.9


SHARED_QS = (Path(__file__).resolve().parents[2].parent / "shared" / "data" / "reference"
             / "quantiseq")


@pytest.mark.skipif(not SHARED_QS.is_dir(), reason="shared reference data absent")
def test_features_adds_quantiseq_fractions_and_progeny(tmp_path):
    from tmeprog.features.definitions import FRACTION_FEATURES, PROGENY_FEATURES

    out = tmp_path / "f.tsv"
    args = ["features", str(SHARED_QS / "quanTIseq_gene_tpm.txt"), "--deconvolution",
            "quantiseq", "--pathways", "progeny", "-o", str(out)]
    res = runner.invoke(app, args)  # aliases of one symbol with different values: a rule
    assert res.exit_code == 2 and "--duplicates mean" in res.output and not out.exists()
    res = runner.invoke(app, args + ["--duplicates", "mean"])
    assert res.exit_code == 0, res.output
    t = pd.read_csv(out, sep="\t", index_col=0)
    assert set(FRACTION_FEATURES) <= set(t.columns) and set(PROGENY_FEATURES) <= set(t.columns)
    want = pd.read_csv(SHARED_QS / "quanTIseq_cell_fractions.txt", sep="\t", index_col=0)
    cols = [c for c in FRACTION_FEATURES if c not in ("til_fraction", "immune_fraction")]
    assert (t[cols].to_numpy() - want.to_numpy()).__abs__().max() < 0.005
    assert "til_density" in t.columns  # the other features are still there


def test_features_refuses_to_deconvolve_log_ratios(tmp_path):
    out = tmp_path / "f.tsv"
    res = runner.invoke(app, ["features", "gse1992", "--deconvolution", "quantiseq",
                              "-o", str(out)])
    assert res.exit_code == 2 and "log ratios" in res.output
    assert not out.exists()


def test_signatures_methods_lists_every_method_with_a_doi():
    res = runner.invoke(app, ["signatures", "methods", "--json"])
    assert res.exit_code == 0, res.output
    rows = {r["name"]: r for r in json.loads(res.output)}
    assert set(rows) == {"ssgsea", "singscore", "zscore", "gsva", "quantiseq", "progeny"}
    assert rows["quantiseq"]["reference"]["doi"] == "10.1186/s13073-019-0638-6"
    assert rows["progeny"]["reference"]["doi"] == "10.1038/s41467-017-02391-6"
    assert rows["gsva"]["cohort_dependent"] and not rows["ssgsea"]["cohort_dependent"]
    res = runner.invoke(app, ["signatures", "methods", "--kind", "nonsense"])
    assert res.exit_code == 2
