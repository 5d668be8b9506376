"""--duplicates and --allow-missing-covariates on the commands that read expression files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tmeprog.cli import app

runner = CliRunner()


def _text(res) -> str:
    return " ".join(res.output.split())


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from tmeprog.cohorts import load_cohort

    d = tmp_path_factory.mktemp("flags")
    c = load_cohort("gse4335")
    e = c.expression.iloc[:30].T.rename_axis("gene")  # genes x samples, 30 samples
    dup = d / "dup.tsv"
    pd.concat([e, e.loc[["CD8A"]] + 1.0]).to_csv(dup, sep="\t")
    clin = d / "part.csv"
    c.clinical.iloc[:20].rename_axis("sample_id").to_csv(clin)
    plain = d / "plain.tsv"
    e.to_csv(plain, sep="\t")
    return {"dup": dup, "gene": "CD8A", "clinical": clin, "plain": plain,
            "samples": list(e.columns)}


def test_features_duplicates_flag(files, tmp_path):
    out = tmp_path / "f.tsv"
    res = runner.invoke(app, ["features", str(files["dup"]), "-o", str(out)])
    assert res.exit_code == 2
    assert f"{files['gene']} (2 copies)" in _text(res) and "--duplicates mean" in _text(res)
    assert not out.exists()
    res = runner.invoke(app, ["features", str(files["dup"]), "-o", str(out), "--duplicates",
                              "mean"])
    assert res.exit_code == 0, res.output
    assert len(pd.read_csv(out, sep="\t")) == 30
    res = runner.invoke(app, ["features", str(files["dup"]), "-o", str(tmp_path / "g.tsv"),
                              "--duplicates", "sum"])
    assert res.exit_code == 2 and "use one of error, mean, max-variance" in _text(res)


def test_subtypes_and_signatures_check_take_the_flag(files, tmp_path):
    out = tmp_path / "s.tsv"
    res = runner.invoke(app, ["subtypes", str(files["dup"]), "-o", str(out)])
    assert res.exit_code == 2 and "appear more than once" in _text(res)
    res = runner.invoke(app, ["subtypes", str(files["dup"]), "-o", str(out), "--duplicates",
                              "max-variance", "--centring", "none"])
    assert res.exit_code == 0, res.output
    assert len(pd.read_csv(out, sep="\t")) == 30
    res = runner.invoke(app, ["signatures", "check", str(files["dup"]), "--duplicates", "mean"])
    assert res.exit_code == 0, res.output


def test_features_allow_missing_covariates(files, tmp_path):
    out = tmp_path / "f.tsv"
    args = ["features", str(files["plain"]), "-o", str(out), "--clinical",
            str(files["clinical"])]
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    assert "10 of 30 samples" in _text(res) and "--allow-missing-covariates" in _text(res)
    res = runner.invoke(app, args + ["--allow-missing-covariates"])
    assert res.exit_code == 0, res.output
    assert np.array_equal(pd.read_csv(out, sep="\t")["sample_id"], files["samples"])


def test_cohorts_show_takes_the_flag(files):
    res = runner.invoke(app, ["cohorts", "show", str(files["plain"]), "--clinical",
                              str(files["clinical"]), "--allow-missing-covariates"])
    assert res.exit_code == 0, res.output
    assert "10 of 30 samples" in _text(res)
