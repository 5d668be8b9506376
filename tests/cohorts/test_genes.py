import csv
import gzip
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from tmeprog.cohorts import load_cohort
from tmeprog.cohorts.gene_map import gene_map_version, is_current_symbol, map_identifiers
from tmeprog.cohorts.genes import harmonise_genes


def _raw_table():
    """The committed table read with the csv module (independent of the package's reader)."""
    path = resources.files("tmeprog.cohorts").joinpath("data", "gene_map.tsv.gz")
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    header = [ln for ln in lines if ln.startswith("#")]
    body = [ln for ln in lines if not ln.startswith("#")]
    rows = list(csv.reader(body[1:], delimiter="\t", quoting=csv.QUOTE_NONE))
    return header, body[0].split("\t"), rows


def test_table_header_size_and_invariants():
    header, cols, rows = _raw_table()
    assert cols == ["id", "kind", "symbol"]
    assert any("org.Hs.eg.db" in h for h in header)
    assert "org.Hs.eg.db" in gene_map_version()
    path = resources.files("tmeprog.cohorts").joinpath("data", "gene_map.tsv.gz")
    assert len(path.read_bytes()) < 2_000_000
    ids = [r[0] for r in rows]
    assert len(ids) == len(set(ids))
    by_kind = {}
    for r in rows:
        by_kind.setdefault(r[1], set()).add(r[0])
    assert set(by_kind) == {"symbol", "alias", "ensembl", "entrez", "ambiguous"}
    # an alias is never also a current symbol
    assert not by_kind["alias"] & by_kind["symbol"]
    assert len(by_kind["symbol"]) > 40_000
    amb = [r for r in rows if r[1] == "ambiguous"]
    assert amb and all("|" in r[2] for r in amb)


@pytest.mark.parametrize("name", ["gse1992", "gse4335", "gse3143"])
def test_bundled_cohorts_are_current_symbols(name):
    c = load_cohort(name)
    frac = is_current_symbol(c.expression.columns).mean()
    assert frac >= 0.95, frac
    assert any("aliases renamed" in line for line in c.report)


def test_aliases_and_ids_map_to_current_symbols():
    ids = pd.Index(["FYB", "wisp1", "ENSG00000141510.17", "7157", "HLA_A", "TP53", "NOTAGENE1"])
    mapped, kinds = map_identifiers(ids)
    assert mapped.tolist()[:6] == ["FYB1", "CCN4", "TP53", "TP53", "HLA-A", "TP53"]
    assert kinds.tolist() == ["alias", "alias", "ensembl", "entrez", "symbol", "symbol",
                              "unknown"]
    assert pd.isna(mapped.iloc[6])


def test_current_symbol_that_is_an_alias_elsewhere_is_not_remapped():
    # TRAF2, SOD2 and ALG2 are also listed as aliases of TANK, SOD2-OT1 and PDCD6
    mapped, kinds = map_identifiers(pd.Index(["TRAF2", "SOD2", "ALG2", "c1orf112"]))
    assert mapped.tolist() == ["TRAF2", "SOD2", "ALG2", "C1orf112"]
    assert (kinds == "symbol").all()


def test_ambiguous_alias_is_left_unmapped_and_counted():
    # AIM1 names CRYBG1, AURKB and SLC45A2
    mapped, kinds = map_identifiers(pd.Index(["AIM1"]))
    assert pd.isna(mapped.iloc[0]) and kinds.iloc[0] == "unknown"
    expr = pd.DataFrame(np.ones((2, 2)), columns=["AIM1", "TP53"])
    out, rep = harmonise_genes(expr)
    assert rep.n_ambiguous == 1 and "AIM1" in out.columns
    assert "AIM1" in " ".join(rep.lines())


def test_mcpcounter_entrez_and_ensembl_agree_with_symbols(shared_data):
    tab = pd.read_csv(shared_data / "reference" / "MCPcounter_genes.txt", sep="\t", dtype=str)
    sym_col = next(c for c in tab.columns if "symbol" in c.lower())
    ent_col = next(c for c in tab.columns if "entrez" in c.lower())
    ens_col = next(c for c in tab.columns if "ensembl" in c.lower())
    tab = tab.dropna(subset=[sym_col, ent_col, ens_col])
    via_symbol, _ = map_identifiers(pd.Index(tab[sym_col]))
    via_entrez, k_ent = map_identifiers(pd.Index(tab[ent_col]))
    via_ens, k_ens = map_identifiers(pd.Index(tab[ens_col]))
    ok = via_symbol.notna() & via_entrez.notna()
    assert ok.mean() > 0.9
    assert (via_symbol[ok] == via_entrez[ok]).mean() > 0.97
    ok2 = via_symbol.notna() & via_ens.notna()
    assert ok2.mean() > 0.8
    assert (via_symbol[ok2] == via_ens[ok2]).mean() > 0.97
    assert (k_ent[ok] == "entrez").all() and (k_ens[ok2] == "ensembl").all()


def test_estimate_outdated_aliases_become_current(shared_data):
    genes = set()
    with open(shared_data / "reference" / "ESTIMATE_SI_geneset.gmt") as fh:
        for line in fh:
            genes.update(line.rstrip("\n").split("\t")[2:])
    genes.discard("")
    mapped, kinds = map_identifiers(pd.Index(sorted(genes)))
    assert {"FYB", "WISP1"} <= genes
    assert (mapped.notna()).mean() > 0.97
    assert is_current_symbol(mapped.dropna()).all()
    assert (kinds == "alias").sum() >= 2


def test_duplicates_collapse_to_highest_mean_column():
    rng = np.random.default_rng(0)
    vals = rng.normal(size=(5, 5))
    vals[:, 1] += 3.0  # FYB1 (current) has the highest mean of the FYB1 group
    expr = pd.DataFrame(vals, columns=["FYB", "FYB1", "fyb", "TP53", "ENSG00000141510"])
    out, rep = harmonise_genes(expr)
    assert list(out.columns) == ["FYB1", "TP53"]
    np.testing.assert_array_equal(out["FYB1"].to_numpy(), vals[:, 1])
    tp53 = 3 if vals[:, 3].mean() >= vals[:, 4].mean() else 4
    np.testing.assert_array_equal(out["TP53"].to_numpy(), vals[:, tp53])
    assert rep.n_duplicates_collapsed == 3
    assert rep.n_renamed_alias == 2 and rep.n_mapped_ids == 1 and rep.n_current == 2
    assert rep.n_input == 5 and rep.n_output == 2


def test_duplicate_tie_keeps_first_column():
    vals = np.array([[1.0, 2.0, 5.0], [3.0, 2.0, 5.0]])
    expr = pd.DataFrame(vals, columns=["FYB", "FYB1", "TP53"])
    out, _ = harmonise_genes(expr)  # both FYB1 columns have mean 2
    np.testing.assert_array_equal(out["FYB1"].to_numpy(), [1.0, 3.0])


def test_unknown_symbol_like_kept_and_junk_dropped():
    cols = ["TP53", "MYNEWGENE7", "1007_s_at", "ENSG99999999999", "123456789", " "]
    expr = pd.DataFrame(np.ones((2, len(cols))), columns=cols)
    out, rep = harmonise_genes(expr)
    assert list(out.columns) == ["TP53", "MYNEWGENE7"]
    assert rep.n_unknown_kept == 1 and rep.n_dropped_unmapped == 4
    assert rep.n_recognised == 1
    text = " ".join(rep.lines())
    assert "MYNEWGENE7" in text and "1007_s_at" in text


def test_probe_annotation():
    expr = pd.DataFrame(np.arange(12.0).reshape(2, 6),
                        columns=["p1", "p2", "p3", "p4", "AFFX-CTRL", "p6"])
    ann = pd.Series({"p1": "FYB", "p2": "TP53", "p3": "A /// B", "p4": "", "p6": "EGFR"})
    out, rep = harmonise_genes(expr, annotation=ann)
    assert list(out.columns) == ["FYB1", "TP53", "EGFR"]
    np.testing.assert_array_equal(out["EGFR"].to_numpy(), [5.0, 11.0])
    assert rep.n_via_annotation == 3 and rep.n_dropped_unmapped == 3


def test_map_identifiers_is_fast():
    import time

    ids = pd.Index([f"GENE{i}" for i in range(20_000)] + ["TP53"] * 1000)
    map_identifiers(ids[:10])  # table loaded once
    t0 = time.perf_counter()
    map_identifiers(ids)
    assert time.perf_counter() - t0 < 1.0
