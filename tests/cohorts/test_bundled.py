import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tmeprog.cli import app
from tmeprog.cohorts import load_cohort
from tmeprog.errors import UnknownCohortError

EXPECTED = {"gse1992": (124, "rfs", 35), "gse4335": (115, "os", 38), "gse3143": (158, "os", 50),
            "gbsg2": (686, "rfs", 299), "rott2": (2982, "os", 1272), "vdv": (78, "dmfs", 34)}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bundled_cohort_shape(name):
    c = load_cohort(name)
    n, endpoint, events = EXPECTED[name]
    assert c.n_samples == n
    y = c.survival(endpoint)
    assert y["event"].sum() == events
    assert (y["time"] > 0).all() and np.isfinite(y["time"]).all()
    assert c.clinical.index.equals(c.endpoints.index)
    if name.startswith("gse") or name == "vdv":
        assert c.expression.shape == (n, c.n_genes)
        assert c.n_genes > (2500 if name == "vdv" else 8000)
        assert c.expression.columns.is_unique
        assert np.isfinite(c.expression.to_numpy()).all()
    else:
        assert c.expression is None


def test_gbsg2_time_converted_to_months():
    c = load_cohort("gbsg2")
    # GBSG2 follow-up ends near 2,659 days = 87.4 months
    assert c.endpoints["rfs_time"].max() == pytest.approx(2659 / 30.4375)


def test_clinical_vocabulary_values():
    c = load_cohort("gse1992")
    assert set(c.clinical["er"].dropna().unique()) <= {0, 1}
    assert set(c.clinical["grade"].dropna().unique()) <= {1, 2, 3}
    assert c.clinical["er"].isna().sum() == 2  # the two 'missing' of the source
    r = load_cohort("rott2")
    assert set(r.clinical["t_stage"].dropna().unique()) == {1, 2, 3}


def test_unknown_cohort_suggests_nearest():
    with pytest.raises(UnknownCohortError, match="did you mean 'gse1992'"):
        load_cohort("gse1993")


def test_cli_list_json_offline():
    res = CliRunner().invoke(app, ["cohorts", "list", "--json"])
    assert res.exit_code == 0, res.output
    recs = {r["name"]: r for r in json.loads(res.stdout)}
    for name in ("gse1992", "gse4335", "gse3143"):
        assert recs[name]["n_samples"] == EXPECTED[name][0]
        assert recs[name]["offline"] and recs[name]["cached"]
        assert recs[name]["endpoints"] == [EXPECTED[name][1]]
        assert recs[name]["n_genes"] > 8000


def test_cli_show_states_endpoint_definition():
    res = CliRunner().invoke(app, ["cohorts", "show", "gbsg2", "--json"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.stdout)
    assert "days" in info["endpoints"]["rfs"]["definition"]
    assert info["endpoints"]["rfs"]["events"] == 299


def test_cli_unknown_cohort_is_one_clear_error():
    res = CliRunner().invoke(app, ["cohorts", "show", "metabrik"])
    assert res.exit_code == 2
    assert "unknown cohort" in res.output


def test_vdv_endpoint_is_distant_metastasis_in_months():
    c = load_cohort("vdv")
    y = c.survival("dmfs")
    # van 't Veer 2002: 34 of 78 patients had a distant metastasis within 5 years, the other 44
    # were metastasis-free for at least 5 years; the source times are years
    assert y["time"][y["event"]].max() < 60 <= y["time"][~y["event"]].min()
    assert y["time"].max() == pytest.approx(13.42 * 12)
    assert c.clinical.shape == (78, 0)
    assert c.meta.scale == "log2_ratio"
    assert np.abs(c.expression.to_numpy()).max() <= np.log2(100) + 1e-6  # ratios capped at 100


def test_vdv_accessions_agree_with_genefu_gene70_annotation():
    """The offline accession table against an independent annotation: genefu's 70-gene table
    (the signature was found on this cohort) lists each probe's Entrez gene."""
    from tmeprog.cohorts.bundled import probe_annotation
    from tmeprog.signatures.genefu import data_dir

    ann = probe_annotation("vdv_accessions.tsv.gz")
    with data_dir().joinpath("sig.gene70.tsv").open("r", encoding="utf-8") as fh:
        g70 = pd.read_csv(fh, sep="\t")
    g70 = g70[g70["EntrezGene.ID"].notna()]
    both = g70[g70["probe"].isin(ann.index)]
    assert len(both) >= 40
    expect = both["EntrezGene.ID"].astype(float).astype(int).astype(str).to_numpy()
    assert (ann.loc[both["probe"]].to_numpy() == expect).all()
    assert not ann.index.str.startswith("Contig").any()  # Rosetta contigs have no accession


def test_vdv_keeps_gene70_genes_as_symbols():
    c = load_cohort("vdv")
    for sym in ("ALDH4A1", "FGF18", "MMP9", "ESM1"):
        assert sym in c.expression.columns
