"""Overlap of the catalogue with independent public copies of the source gene lists.

The catalogue was authored from the publications and their packages; these tests read other
copies of the same sources (shared real-data folder, skipped when absent) and measure agreement
after mapping the published symbols through each signature's documented symbol updates.
"""

import pandas as pd
import pytest
from scipy.stats import hypergeom

from tmeprog.signatures import load_catalogue, read_gmt

# The reference copy of MCP-counter's genes.txt spells Entrez 8436 (SDPR, now CAVIN2) as "C".
MCP_COPY_FIX = {"C": "CAVIN2"}
HALLMARK = {
    "pathway_tgfb": "TGF_BETA_SIGNALING", "pathway_pi3k_akt": "PI3K_AKT_MTOR_SIGNALING",
    "pathway_nfkb": "TNFA_SIGNALING_VIA_NFKB", "pathway_hypoxia": "HYPOXIA",
    "pathway_wnt": "WNT_BETA_CATENIN_SIGNALING", "process_emt": "EPITHELIAL_MESENCHYMAL_TRANSITION",
    "process_inflammation": "IL6_JAK_STAT3_SIGNALING",
}
PROGENY = {"pathway_tgfb": "TGFb", "pathway_pi3k_akt": "PI3K", "pathway_nfkb": "NFkB",
           "pathway_hypoxia": "Hypoxia", "pathway_wnt": "WNT"}


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


@pytest.fixture(scope="module")
def to_current(cat):
    alias = {}
    for s in cat:
        alias.update(s.renamed_map)
    return lambda genes: {alias.get(g, g) for g in genes}


def jaccard(a, b):
    return len(a & b) / len(a | b)


def test_estimate(shared_data, cat, to_current):
    ref = read_gmt(shared_data / "reference" / "ESTIMATE_SI_geneset.gmt")
    for ours, theirs in [("estimate_stromal", "StromalSignature"),
                         ("estimate_immune", "ImmuneSignature")]:
        j = jaccard(to_current(ref[theirs]), set(cat.get(ours).genes))
        print(f"\n{ours} vs {theirs}: Jaccard {j:.3f}")
        assert j >= 0.9


def test_mcp_counter(shared_data, cat, to_current):
    ref = pd.read_csv(shared_data / "reference" / "MCPcounter_genes.txt", sep="\t")
    assert ref["Cell population"].nunique() == 10
    for pop, genes in ref.groupby("Cell population")["HUGO symbols"]:
        ours = "mcp_" + pop.lower().replace(" ", "_")
        theirs = to_current(MCP_COPY_FIX.get(g, g) for g in genes)
        mine = set(cat.get(ours).genes)
        j = jaccard(theirs, mine)
        print(f"\n{ours}: Jaccard {j:.3f}; only in reference: {sorted(theirs - mine)}")
        assert j >= 0.8


def test_hallmark(shared_data, cat, to_current):
    ref = read_gmt(shared_data / "reference" / "h.all.v7.0.symbols.gmt")
    for ours, key in HALLMARK.items():
        j = jaccard(to_current(ref["HALLMARK_" + key]), set(cat.get(ours).genes))
        print(f"\n{ours} vs HALLMARK_{key}: Jaccard {j:.3f}")
        assert j >= 0.9
    # the curated lists' claims about their hallmark origin hold
    assert set(cat.get("cell_adipocyte").genes) <= to_current(ref["HALLMARK_ADIPOGENESIS"])
    hall = to_current(ref["HALLMARK_GLYCOLYSIS"]) | to_current(ref["HALLMARK_HYPOXIA"])
    assert set(cat.get("process_glycolysis").genes) - hall == {"SLC16A1", "CA9", "SLC9A1"}


def test_progeny_footprints(shared_data, cat, to_current):
    """The hallmark pathway sets share PROGENy footprint genes far beyond chance where both
    describe transcriptional responses (TGF-beta, NF-kB, hypoxia); PROGENy's PI3K and WNT
    footprints and the hallmark PI3K/WNT member lists do not overlap (different definitions)."""
    ref = pd.read_csv(shared_data / "reference" / "PROGENy_human_top100_14pathways.csv",
                      index_col=0)
    n_genome = 20000
    pvals = {}
    for ours, key in PROGENY.items():
        top = to_current(ref.index[ref[key] != 0])
        sig = set(cat.get(ours).genes)
        k = len(top & sig)
        pvals[ours] = hypergeom.sf(k - 1, n_genome, len(top), len(sig))
        print(f"\n{ours} vs PROGENy {key} top-{len(top)}: {k} shared "
              f"(chance {len(top) * len(sig) / n_genome:.2f}), Jaccard {jaccard(top, sig):.3f}, "
              f"enrichment p {pvals[ours]:.1e}")
    for ours in ["pathway_tgfb", "pathway_nfkb", "pathway_hypoxia"]:
        assert pvals[ours] < 1e-6
