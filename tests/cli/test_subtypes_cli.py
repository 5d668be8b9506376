"""``tmeprog subtypes``: the interface other tools rely on, and one clear error per bad input."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tmeprog.cli import app

runner = CliRunner()
INTERFACE = ["sample_id", "pam50", "pam50_confidence", "pam50_genes", "er_expression"]


@pytest.fixture(scope="module")
def gse1992():
    from tmeprog.cohorts import load_cohort

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_cohort("gse1992")


def _write(expr: pd.DataFrame, path) -> str:
    t = expr.T
    t.index.name = "gene"
    t.to_csv(path, sep="\t")
    return str(path)


def _genes(c, n=3000, drop=()):
    from tmeprog.features.subtypes.receptors import RECEPTOR_GENES
    from tmeprog.signatures.genefu import pam50_model

    pam = [g for g in pam50_model().centroids.index if g in c.expression.columns]
    extra = [g for genes in RECEPTOR_GENES.values() for g in genes if g not in pam]
    rest = [g for g in c.expression.columns if g not in pam and g not in extra][:n]
    keep = rest + extra + [g for g in pam if g not in drop]
    return c.expression[keep]


def test_cohort_name_writes_the_interface_columns(tmp_path):
    out = tmp_path / "calls.parquet"
    res = runner.invoke(app, ["subtypes", "gse1992", "-o", str(out)])
    assert res.exit_code == 0, res.output
    t = pd.read_parquet(out)
    assert list(t.columns[:4]) == INTERFACE[:4] and "er_expression" in t.columns
    assert len(t) == 124 and t["sample_id"].is_unique
    assert set(t["pam50"]) <= {"LumA", "LumB", "Her2", "Basal", "Normal"}
    assert set(t["er_expression"].dropna().astype(int)) == {0, 1}
    assert (t["pam50_genes"] == 48).all()
    text = " ".join(res.output.split())
    assert "Basal" in text and "agreement" in text and "48 of 50 genes" in text
    assert {"rs", "rs_group", "gene70_score", "ggi_raw", "ggi", "ep"} <= set(t.columns)


def test_file_with_scale_and_json_summary(tmp_path, gse1992):
    path = _write(_genes(gse1992), tmp_path / "expr.tsv")
    clin = gse1992.clinical[["er"]].rename_axis("sample_id").reset_index()
    clin.to_csv(tmp_path / "clin.tsv", sep="\t", index=False)
    out = tmp_path / "calls.tsv"
    res = runner.invoke(app, ["subtypes", path, "--scale", "log2_ratio", "--clinical",
                              str(tmp_path / "clin.tsv"), "-o", str(out), "--json",
                              "--no-signatures"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["n_samples"] == 124 and summary["genes"]["present"] == 48
    assert summary["er_agreement"]["n"] == 122
    assert summary["er_for_balancing"] == "recorded+expression"  # 2 samples lack ER
    t = pd.read_csv(out, sep="\t")
    assert list(t.columns[:4]) == INTERFACE[:4] and "rs" not in t.columns
    # same calls as the bundled cohort: the file holds the same values
    again = tmp_path / "again.parquet"
    assert runner.invoke(app, ["subtypes", "gse1992", "-o", str(again)]).exit_code == 0
    assert (pd.read_parquet(again)["pam50"].to_numpy() == t["pam50"].to_numpy()).all()


def _fails(args, out, *needles):
    res = runner.invoke(app, [*args, "-o", str(out)])
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.split())
    assert text.count("error:") == 1
    for n in needles:
        assert n in text, text
    assert not out.exists()


def test_too_few_pam50_genes(tmp_path, gse1992):
    from tmeprog.signatures.genefu import pam50_model

    pam = list(pam50_model().centroids.index)
    path = _write(_genes(gse1992, drop=pam[4:]), tmp_path / "expr.tsv")
    _fails(["subtypes", path, "--scale", "log2_ratio"], tmp_path / "o.parquet",
           "of the 50 PAM50 genes are present", "annotation")


def test_single_sample_with_median_centring(tmp_path, gse1992):
    path = _write(_genes(gse1992).iloc[[0]], tmp_path / "one.tsv")
    _fails(["subtypes", path, "--scale", "log2_ratio", "--centring", "median"],
           tmp_path / "o.parquet", "at least 10 samples", "centring='none'")


def test_single_sample_without_centring_gets_its_cohort_call(tmp_path, gse1992):
    expr = _genes(gse1992)
    whole, one = tmp_path / "whole.parquet", tmp_path / "one.parquet"
    for src, out in ((expr, whole), (expr.iloc[[3]], one)):
        path = _write(src, tmp_path / f"{out.stem}.tsv")
        res = runner.invoke(app, ["subtypes", path, "--scale", "log2_ratio", "--centring",
                                  "none", "-o", str(out)])
        assert res.exit_code == 0, res.output
    alone, within = pd.read_parquet(one), pd.read_parquet(whole).iloc[[3]]
    assert alone["pam50"].iloc[0] == within["pam50"].iloc[0]
    np.testing.assert_allclose(alone["pam50_confidence"], within["pam50_confidence"])
    assert alone["er_expression"].isna().all()  # a mixture needs a cohort
    assert "rs" not in alone.columns


def test_one_er_class_under_balanced_centring(tmp_path, gse1992):
    path = _write(_genes(gse1992), tmp_path / "expr.tsv")
    clin = pd.DataFrame({"sample_id": gse1992.samples, "er": 1})
    clin.to_csv(tmp_path / "clin.tsv", sep="\t", index=False)
    _fails(["subtypes", path, "--scale", "log2_ratio", "--clinical", str(tmp_path / "clin.tsv")],
           tmp_path / "o.parquet", "ER-positive", "mixed reference")


def test_probe_ids_without_annotation(tmp_path, gse1992):
    expr = _genes(gse1992)
    expr.columns = [f"{1000000 + i}_at" for i in range(expr.shape[1])]
    path = _write(expr, tmp_path / "probes.tsv")
    _fails(["subtypes", path, "--scale", "log2_ratio"], tmp_path / "o.parquet", "annotation")


def test_existing_output_is_kept(tmp_path):
    out = tmp_path / "calls.csv"
    out.write_text("mine\n")
    res = runner.invoke(app, ["subtypes", "gse4335", "-o", str(out)])
    assert res.exit_code == 2 and "--overwrite" in res.output
    assert out.read_text() == "mine\n"
