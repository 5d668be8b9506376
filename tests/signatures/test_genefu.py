"""The bundled genefu tables: verbatim copies of the shared reference, mapped to current symbols."""

from __future__ import annotations

import pandas as pd
import pytest

from tmeprog.cohorts.gene_map import is_current_symbol
from tmeprog.errors import InputError
from tmeprog.signatures.genefu import (
    REFERENCES,
    SIGNATURE_FILES,
    breast_signature,
    data_dir,
    pam50_model,
)

FILES = ["pam50_centroids.tsv", "pam50_centroids_map.tsv", "pam50_params.txt",
         "pam50.robust_centroids.tsv", "pam50.robust_centroids_map.tsv",
         "pam50.robust_params.txt", "sig.oncotypedx.tsv", "sig.gene70.tsv", "sig.ggi.tsv",
         "sig.endoPredict.tsv"]


@pytest.mark.shared_data
@pytest.mark.parametrize("name", FILES)
def test_bundled_file_is_a_verbatim_copy(shared_data, name):
    shared = (shared_data / "reference" / "genefu" / name).read_bytes()
    assert data_dir().joinpath(name).read_bytes() == shared


def test_notice_states_licence_and_citations():
    text = data_dir().joinpath("NOTICE.md").read_text(encoding="utf-8")
    assert "Artistic License 2.0" in text
    for doi in ("10.1093/bioinformatics/btv693", *(r.doi for r in REFERENCES.values())):
        assert doi in text


def test_pam50_model_parameters_come_from_the_params_files():
    plain, robust = pam50_model("plain"), pam50_model("robust")
    assert (plain.std, robust.std) == ("none", "robust")
    assert plain.rescale_q == robust.rescale_q == 0.05
    assert plain.mins == 5 and plain.method_cor == "spearman"
    assert is_current_symbol(plain.centroids.index).all()
    assert plain.centroids.index.is_unique and len(plain.centroids) == 50
    renamed = plain.original[plain.original != plain.centroids.index]
    assert dict(renamed) == {"NUF2": "CDCA1", "NDC80": "KNTC2", "ORC6": "ORC6L"}
    with pytest.raises(InputError):
        pam50_model("scaled")


@pytest.mark.parametrize("name", sorted(SIGNATURE_FILES))
def test_signature_tables_map_to_unique_current_symbols(name):
    tab = breast_signature(name)
    assert tab["symbol"].is_unique
    assert is_current_symbol(tab["symbol"]).all()
    raw = pd.read_csv(data_dir().joinpath(SIGNATURE_FILES[name]), sep="\t", dtype=str,
                      keep_default_na=False)
    # every kept row is one of genefu's rows, in genefu's order
    key = "probe" if "probe" in raw.columns else "probe.affy"
    pos = [raw.index[raw[key] == p][0] for p in tab[key]]
    assert pos == sorted(pos)
    assert len(tab) >= 0.7 * raw["EntrezGene.ID"].replace("NA", pd.NA).dropna().nunique()


def test_recurrence_score_weights_are_genefu_weights():
    tab = breast_signature("oncotypedx").set_index("genefu_symbol")
    raw = pd.read_csv(data_dir().joinpath("sig.oncotypedx.tsv"), sep="\t").set_index("symbol")
    pd.testing.assert_series_equal(tab["weight"], raw["weight"], check_names=False)
    assert tab.loc["CTSL2", "symbol"] == "CTSV"  # the current symbol of CTSL2
