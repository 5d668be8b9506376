"""The bundled catalogue: required signatures, citations, schema invariants and the API."""

import re

import pytest

from tmeprog.errors import InputError
from tmeprog.signatures import COMPARTMENTS, Catalogue, Signature, load_catalogue, write_gmt

REQUIRED = {
    "cell_caf": "stromal", "cell_tam_m2": "immune", "cell_endothelial": "vascular",
    "cell_adipocyte": "stromal", "cell_t": "immune", "cell_cd8_t": "immune",
    "cell_treg": "immune", "cell_mdsc": "immune", "cell_nk": "immune", "cell_b": "immune",
    "estimate_stromal": "stromal", "estimate_immune": "immune",
    "pathway_tgfb": "signalling", "pathway_pi3k_akt": "signalling", "pathway_nfkb": "signalling",
    "pathway_hypoxia": "signalling", "pathway_wnt": "signalling",
    "process_emt": "stromal", "process_ecm_stiffness": "stromal", "process_mmp": "stromal",
    "process_angiogenesis": "vascular", "process_glycolysis": "metabolic",
    "process_inflammation": "immune", "process_ifng": "immune", "process_checkpoint": "immune",
    "process_proliferation": "proliferation", "til_signature": "immune",
}
MCP = ["mcp_t_cells", "mcp_cd8_t_cells", "mcp_cytotoxic_lymphocytes", "mcp_nk_cells",
       "mcp_b_lineage", "mcp_monocytic_lineage", "mcp_myeloid_dendritic_cells",
       "mcp_neutrophils", "mcp_endothelial_cells", "mcp_fibroblasts"]
SYMBOL = re.compile(r"^[A-Z0-9][A-Za-z0-9.\-]*$")


@pytest.fixture()
def cat():
    return load_catalogue()


def test_required_signatures_and_compartments(cat):
    for name, comp in REQUIRED.items():
        assert cat.get(name).compartment == comp, name
    for name in MCP:
        assert name in cat
    assert {s.compartment for s in cat} <= set(COMPARTMENTS)
    assert len(cat) == len(set(cat.names()))


def test_every_signature_is_cited_and_documented(cat):
    for s in cat:
        assert s.references, s.name
        for r in s.references:
            assert re.fullmatch(r"10\.\d{4,9}/\S+", r.doi), (s.name, r.doi)
            assert re.fullmatch(r"\d{7,8}", r.pmid), (s.name, r.pmid)
            assert r.citation and r.url == f"https://doi.org/{r.doi}"
        assert len(s.note) > 40 and s.source and s.description, s.name
        assert all(SYMBOL.match(g) for g in s.genes), s.name
        # every symbol update is documented and applied
        for published, current in s.renamed:
            assert current in s.genes and published not in s.genes
            assert f"{published} -> {current}" in s.note


def test_known_sizes_and_members(cat):
    assert cat.get("estimate_stromal").n_genes == 141
    assert cat.get("estimate_immune").n_genes == 141
    assert cat.get("mcp_cd8_t_cells").genes == ("CD8B",)
    assert cat.get("process_ifng").genes == ("IFNG", "STAT1", "IDO1", "CXCL10", "CXCL9",
                                             "HLA-DRA")
    glyco = set(cat.get("process_glycolysis").genes)
    assert {"SLC16A1", "SLC16A3", "CA9", "LDHA"} <= glyco
    assert {"CD274", "PDCD1", "CTLA4", "LAG3", "HAVCR2", "TIGIT"} <= set(
        cat.get("process_checkpoint").genes)
    assert {"LOX", "LOXL2", "COL1A1", "PTK2", "ITGB1"} <= set(
        cat.get("process_ecm_stiffness").genes)
    til = set(cat.get("til_signature").genes)
    for pop in ["mcp_t_cells", "mcp_cd8_t_cells", "mcp_cytotoxic_lymphocytes", "mcp_nk_cells",
                "mcp_b_lineage"]:
        assert set(cat.get(pop).genes) <= til
    # current symbols, with the published ones recorded
    assert "FYB1" in cat.get("estimate_immune").genes
    assert cat.get("estimate_immune").renamed_map == {"FYB": "FYB1"}


def test_as_dict_by_compartment_and_fresh_copies(cat):
    d = cat.as_dict()
    assert list(d) == cat.names() and d["cell_cd8_t"] == list(cat.get("cell_cd8_t").genes)
    groups = cat.by_compartment()
    assert list(groups)[:2] == ["immune", "stromal"]
    assert sorted(n for ns in groups.values() for n in ns) == sorted(cat.names())
    assert cat.names("vascular") == groups["vascular"]
    other = load_catalogue()
    other.add(Signature("mine", ("A1BG", "A2M"), "user"))
    assert "mine" not in cat and "mine" not in load_catalogue()


def test_unknown_name_suggests(cat):
    with pytest.raises(InputError, match="did you mean 'cell_caf'"):
        cat.get("cell_cafs")


def test_fingerprint_is_content_hash(cat):
    fp = cat.fingerprint()
    assert re.fullmatch(r"[0-9a-f]{64}", fp)
    assert load_catalogue().fingerprint() == fp
    # order-independent, content-dependent
    assert Catalogue(reversed(list(cat))).fingerprint() == fp
    s = cat.get("cell_cd8_t")
    changed = Catalogue(x if x.name != s.name else Signature(
        s.name, s.genes[:-1], s.compartment, s.references, s.description, s.source, s.note)
        for x in cat)
    assert changed.fingerprint() != fp


def test_add_gmt_and_round_trip(cat, tmp_path):
    p = write_gmt({"my_set": ["CD3E", "CD3D", "CD2"], "other": ["COL1A1"]}, tmp_path / "u.gmt")
    n0 = len(cat)
    assert cat.add_gmt(p) == ["my_set", "other"]
    assert len(cat) == n0 + 2
    assert cat.get("my_set").genes == ("CD3E", "CD3D", "CD2")
    assert cat.get("my_set").compartment == "user" and cat.get("my_set").references == ()
    with pytest.raises(InputError, match="already in the catalogue"):
        cat.add_gmt(p)
    cat.add_gmt(p, compartment="immune", overwrite=True)
    assert cat.get("my_set").compartment == "immune"
    out = cat.subset(["cell_caf", "my_set"]).to_gmt(tmp_path / "out.gmt")
    from tmeprog.signatures import read_gmt
    assert read_gmt(out) == {"cell_caf": list(cat.get("cell_caf").genes),
                             "my_set": ["CD3E", "CD3D", "CD2"]}


@pytest.mark.parametrize("kwargs, msg", [
    ({"genes": ()}, "no genes"),
    ({"genes": ("A", "A")}, "duplicated"),
    ({"compartment": "tumour"}, "unknown compartment"),
    ({"weights": (1.0,)}, "weights for 2 genes"),
    ({"weights": (1.0, 0.0)}, "non-zero"),
    ({"name": "has space"}, "without spaces"),
])
def test_signature_validation(kwargs, msg):
    base = {"name": "x", "genes": ("A", "B"), "compartment": "immune"}
    with pytest.raises(InputError, match=msg):
        Signature(**{**base, **kwargs})


def test_direction_from_weights():
    s = Signature("w", ("A", "B", "C"), "signalling", weights=(2.5, -1.0, 0.3))
    assert s.direction == (1, -1, 1)
    assert Signature("u", ("A", "B"), "immune").direction == (1, 1)
