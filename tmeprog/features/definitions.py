"""The TME feature set: stable public names, the signature behind each, and its compartment."""

from __future__ import annotations

import numpy as np

#: Compartments a feature can belong to (``clinical`` is used by the model layer).
COMPARTMENTS = ("immune", "stromal", "vascular", "metabolic", "signalling", "proliferation",
                "prognostic", "clinical", "user")

#: Features scored directly from one catalogue signature with the chosen method:
#: feature name -> catalogue signature name.
SIGNATURE_FEATURES: dict[str, str] = {
    "til_density": "til_signature",
    **{f: f for f in (
        "cell_caf", "cell_tam_m2", "cell_endothelial", "cell_adipocyte", "cell_t", "cell_cd8_t",
        "cell_treg", "cell_mdsc", "cell_nk", "cell_b",
        "pathway_tgfb", "pathway_pi3k_akt", "pathway_nfkb", "pathway_hypoxia", "pathway_wnt",
        "process_emt", "process_ecm_stiffness", "process_mmp", "process_angiogenesis",
        "process_glycolysis", "process_inflammation", "process_ifng", "process_checkpoint",
        "process_proliferation",
    )},
}

#: ESTIMATE features (Yoshihara 2013): always single-sample ssGSEA enrichment scores, as
#: ESTIMATE defines them, whatever the chosen method.
ESTIMATE_FEATURES: dict[str, str] = {
    "immune_score": "estimate_immune",
    "stromal_score": "estimate_stromal",
}

#: Features derived from other features.
DERIVED_FEATURES = ("estimate_score", "tumor_purity", "stromal_fraction")

#: Compartment of the features that are not a catalogue signature's own.
DERIVED_COMPARTMENTS: dict[str, str] = {
    "til_density": "immune",
    "immune_score": "immune",
    "stromal_score": "stromal",
    "estimate_score": "stromal",
    "tumor_purity": "stromal",
    "stromal_fraction": "stromal",
}

#: quanTIseq cell fractions and derived fractions (``deconvolution="quantiseq"``).
FRACTION_FEATURES: tuple[str, ...] = (
    "frac_b_cells", "frac_macrophages_m1", "frac_macrophages_m2", "frac_monocytes",
    "frac_neutrophils", "frac_nk_cells", "frac_t_cells_cd4", "frac_t_cells_cd8", "frac_tregs",
    "frac_dendritic_cells", "frac_other", "til_fraction", "immune_fraction",
)

#: PROGENy pathway activities (``pathways="progeny"``), in the model's pathway order.
PROGENY_FEATURES: tuple[str, ...] = tuple(f"progeny_{p}" for p in (
    "egfr", "hypoxia", "jak_stat", "mapk", "nfkb", "pi3k", "tgfb", "tnfa", "trail", "vegf",
    "p53", "androgen", "estrogen", "wnt"))

# Immune cells are immune; Other (tumour and stroma, the non-immune remainder) is stromal,
# like tumour purity; pathway footprints are signalling.
DERIVED_COMPARTMENTS.update({f: "immune" for f in FRACTION_FEATURES})
DERIVED_COMPARTMENTS["frac_other"] = "stromal"
DERIVED_COMPARTMENTS.update({f: "signalling" for f in PROGENY_FEATURES})

#: All default feature names, in table order.
DEFAULT_FEATURES: tuple[str, ...] = (
    "til_density", "immune_score", "stromal_score", "estimate_score", "tumor_purity",
    "stromal_fraction",
    *[f for f in SIGNATURE_FEATURES if f != "til_density"],
)


def estimate_purity(estimate_score):
    """ESTIMATE tumour purity: ``cos(0.6049872018 + 0.0001467884 * ESTIMATE score)``.

    The formula was fit on Affymetrix arrays over ESTIMATE's 10,412 common genes (Yoshihara
    2013, doi:10.1038/ncomms3612). Enrichment scores grow with the number of genes ranked, so on
    other platforms or gene universes the formula leaves its calibrated range: the result is
    clipped to [0, 1] and then only ranks samples (it is not a calibrated fraction).
    """
    raw = np.cos(0.6049872018 + 0.0001467884 * np.asarray(estimate_score, dtype=float))
    return np.clip(raw, 0.0, 1.0)
