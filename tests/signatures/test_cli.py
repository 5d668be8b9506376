"""`tmeprog signatures list`."""

import json

from typer.testing import CliRunner

from tmeprog.cli import app
from tmeprog.signatures import load_catalogue


def test_list_json_matches_catalogue():
    res = CliRunner().invoke(app, ["signatures", "list", "--json"])
    assert res.exit_code == 0, res.output
    recs = json.loads(res.stdout)
    cat = load_catalogue()
    assert [r["name"] for r in recs] == cat.names()
    by = {r["name"]: r for r in recs}
    assert by["estimate_immune"]["n_genes"] == 141
    assert by["estimate_immune"]["reference"]["doi"] == "10.1038/ncomms3612"
    assert by["mcp_fibroblasts"]["compartment"] == "stromal"
    assert {"name", "compartment", "n_genes", "reference"} <= set(recs[0])


def test_list_table_and_compartment_filter():
    res = CliRunner().invoke(app, ["signatures", "list", "-c", "metabolic"],
                             env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "process_glycolysis" in res.stdout and "cell_caf" not in res.stdout
    bad = CliRunner().invoke(app, ["signatures", "list", "-c", "tumour"])
    assert bad.exit_code == 2
