import json

import pandas as pd
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
