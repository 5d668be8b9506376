"""Offline breast cohorts shipped by the SurvSet package, mapped to tmeprog's vocabulary.

SurvSet stores each data set as one table: ``pid``, ``event``, ``time``, then ``fac_*`` (factors)
and ``num_*`` (numeric) columns; expression columns are ``num_HS_<SYMBOL>`` (``num_<accession>``
for ``vdv``, whose GenBank / RefSeq accessions are mapped to Entrez genes by the offline table
``data/vdv_accessions.tsv.gz``, built from org.Hs.eg.db by ``scripts/build_accession_map.R``).
The mapping of each source column to the vocabulary, and what each endpoint is, is written out
below per cohort.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

import pandas as pd
from SurvSet.data import SurvLoader

from tmeprog.cohorts.genes import harmonise_genes
from tmeprog.cohorts.model import Cohort, CohortMeta, EndpointInfo, coerce_clinical
from tmeprog.cohorts.vocabulary import DAYS_PER_MONTH, receptor_subtype

EXPR_PREFIX = "num_HS_"


@dataclass(frozen=True)
class BundledSpec:
    """How to turn one SurvSet table into a cohort."""

    survset_name: str
    endpoint: str
    definition: str
    time_divisor: float
    clinical: Callable[[pd.DataFrame], pd.DataFrame]
    meta: CohortMeta
    expr_prefix: str = EXPR_PREFIX
    annotation: str = ""  # packaged table mapping probe ids to Entrez genes ("" = symbols)


def _num(s: pd.Series) -> pd.Series:
    # Source spellings of missing ("missing", "na", "x") are not numbers: coerce to NaN.
    return pd.to_numeric(s.astype(str), errors="coerce")


def _clin_gse1992(d: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "age": _num(d["num_age"]),
        "er": _num(d["fac_er_positive"]),
        "grade": _num(d["fac_grade"]),
        # Size codes of the source: 1 <=2 cm, 2 >2-5 cm, 3 >5 cm, 4 chest wall/skin: T1-T4.
        "t_stage": _num(d["fac_size"]),
        "node_status": _num(d["fac_node_status"]),
    })


def _clin_gse4335(d: pd.DataFrame) -> pd.DataFrame:
    n = _num(d["fac_node_status"])  # N category 0/1/2
    return pd.DataFrame({
        "age": _num(d["num_age"]),
        "er": _num(d["fac_er_status"]),
        "grade": _num(d["fac_grade"]),
        "t_stage": _num(d["fac_tumor_size"]),
        "node_status": (n > 0).astype("Int64").where(n.notna()),
    })


def _clin_gse3143(d: pd.DataFrame) -> pd.DataFrame:
    lev = _num(d["fac_erlev"])  # ER level 0-3; 0 is negative
    return pd.DataFrame({"er": (lev > 0).astype(float).where(lev.notna())})


def _clin_vdv(d: pd.DataFrame) -> pd.DataFrame:
    # SurvSet's vdv carries no covariate; by design every patient was lymph-node negative and
    # younger than 55 (van 't Veer 2002), which is stated in the metadata, not invented per row.
    return pd.DataFrame(index=d.index)


def _receptors_and_nodes(er: pd.Series, pr: pd.Series, nodes: pd.Series
                         ) -> dict[str, pd.Series]:
    """``er``, ``pr`` (positive at 10 fmol or more), ``hr`` (either positive), ``node_status``
    and ``n_nodes`` (positive lymph nodes) of the German and Rotterdam tables."""
    er = (_num(er) >= 10).astype(float)
    pr = (_num(pr) >= 10).astype(float)
    nodes = _num(nodes)
    return {"er": er, "pr": pr, "hr": ((er == 1) | (pr == 1)).astype(float),
            "node_status": (nodes > 0).astype(float), "n_nodes": nodes}


def _clin_gbsg2(d: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "age": _num(d["num_age"]),
        **_receptors_and_nodes(d["num_estrec"], d["num_progrec"], d["num_pnodes"]),
        "grade": d["fac_tgrade"].map({"I": 1, "II": 2, "III": 3}),
        "tumor_size_mm": _num(d["num_tsize"]),
        "menopause": d["fac_menostat"].str.lower(),
        "hormone_therapy": d["fac_horTh"].map({"yes": 1, "no": 0}),
    })


def _clin_rott2(d: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "age": _num(d["num_age"]),
        **_receptors_and_nodes(d["num_estrogen"], d["num_progesterone"], d["num_nodes"]),
        "grade": _num(d["fac_grade"]),
        "t_stage": d["fac_tsize"].map({"<=20mm": 1, ">20-50mmm": 2, ">50mm": 3}),
        "menopause": d["fac_meno"].str.lower(),
        "hormone_therapy": d["fac_hormon"].map({"yes": 1, "no": 0}),
        "chemotherapy": d["fac_chemo"].map({"yes": 1, "no": 0}),
    })


BUNDLED: dict[str, BundledSpec] = {
    "gse1992": BundledSpec(
        "gse1992", "rfs",
        "relapse-free survival: relapse at any site or death of disease (source column "
        "RFS_event), time RFS_months; months as published",
        1.0, _clin_gse1992,
        CohortMeta(
            source="SurvSet 'gse1992' (survJamda.data; GEO GSE1992, UNC)",
            platform="Agilent two-colour oligonucleotide arrays (UNC), log2 ratio vs reference",
            scale="log2_ratio",
            citation="Hu Z et al. BMC Genomics 2006;7:96. doi:10.1186/1471-2164-7-96 "
                     "(PMID 16643655)",
            licence="GPL (>= 2) (survJamda.data); GEO public",
            description="UNC breast tumours, mixed subtypes; 124 patients with RFS",
        ),
    ),
    "gse4335": BundledSpec(
        "gse4335", "os",
        "overall survival as coded by survJamda.data's status column (0 alive, 1 event; the "
        "source legend lists A/AWD/DOD/DOC), time Overall_survival (months) as published",
        1.0, _clin_gse4335,
        CohortMeta(
            source="SurvSet 'gse4335' (survJamda.data; GEO GSE4335, Stanford/Norway)",
            platform="Stanford cDNA two-colour arrays, log2 ratio vs reference",
            scale="log2_ratio",
            citation="Sorlie T et al. PNAS 2003;100:8418-8423. doi:10.1073/pnas.0932692100 "
                     "(PMID 12829800)",
            licence="GPL (>= 2) (survJamda.data); GEO public",
            description="Norway/Stanford locally advanced breast tumours; 115 patients with OS",
        ),
    ),
    "gse3143": BundledSpec(
        "gse3143", "os",
        "overall survival: death (Status 1=dead), time SurvivalTime (months) as published",
        1.0, _clin_gse3143,
        CohortMeta(
            source="SurvSet 'gse3143' (survJamda.data; GEO GSE3143, Duke)",
            platform="Affymetrix HG-U95Av2, log2 intensity",
            scale="log2",
            citation="Bild AH et al. Nature 2006;439:353-357. doi:10.1038/nature04296 "
                     "(PMID 16273092)",
            licence="GPL (>= 2) (survJamda.data); GEO public",
            description="Duke breast tumours; 158 patients with OS; ER level 0-3 (0 negative)",
        ),
    ),
    "vdv": BundledSpec(
        "vdv", "dmfs",
        "distant-metastasis-free interval: distant metastasis as first event (event=1; all 34 "
        "within 5 years), censored otherwise (metastasis-free for at least 5 years); time in "
        "years in the source, multiplied by 12 to months",
        1 / 12, _clin_vdv,
        CohortMeta(
            source="SurvSet 'vdv' (randomForestSRC::vdv; van 't Veer 2002, Rosetta Inpharmatics)",
            platform="Agilent/Rosetta 25k oligonucleotide two-colour arrays, log2 ratio vs "
                     "pooled reference (4,705 probes; accessions mapped to genes offline)",
            scale="log2_ratio",
            citation="van 't Veer LJ et al. Nature 2002;415:530-536. doi:10.1038/415530a "
                     "(PMID 11823860)",
            licence="GPL (>= 3) (randomForestSRC)",
            description="NKI lymph-node-negative breast tumours, patients < 55 years; 78 "
                        "patients with distant-metastasis-free follow-up; no covariates",
        ),
        expr_prefix="num_",
        annotation="vdv_accessions.tsv.gz",
    ),
    "gbsg2": BundledSpec(
        "GBSG2", "rfs",
        "recurrence-free survival: recurrence or death (cens=1); time in days in the source, "
        "divided by 30.4375 to months",
        DAYS_PER_MONTH, _clin_gbsg2,
        CohortMeta(
            source="SurvSet 'GBSG2' (TH.data / pec::GBSG2, German Breast Cancer Study Group 2)",
            platform="none (clinical only)",
            scale="none",
            citation="Schumacher M et al. J Clin Oncol 1994;12:2086-2093. "
                     "doi:10.1200/JCO.1994.12.10.2086 (PMID 7931478)",
            licence="GPL-2 (TH.data)",
            description="node-positive breast cancer trial, 686 patients; ER/PR positive at "
                        ">= 10 fmol/mg",
        ),
    ),
    "rott2": BundledSpec(
        "rott2", "os",
        "overall survival: death (osi 'deceased'), time os in months as published",
        1.0, _clin_rott2,
        CohortMeta(
            source="SurvSet 'rott2' (AF::rott2, Rotterdam tumour bank)",
            platform="none (clinical only)",
            scale="none",
            citation="Royston P, Altman DG. BMC Med Res Methodol 2013;13:33. "
                     "doi:10.1186/1471-2288-13-33; Royston P, Lambert PC, Stata Press 2011",
            licence="GPL (>= 2) (AF)",
            description="Rotterdam primary breast cancer, 2,982 patients; ER/PR positive at "
                        ">= 10 fmol/l",
        ),
    ),
}


def probe_annotation(table: str) -> pd.Series:
    """Probe id -> Entrez gene id (as text) from a packaged accession table.

    Parameters
    ----------
    table : str
        File name under ``tmeprog/cohorts/data`` (e.g. ``vdv_accessions.tsv.gz``).

    Returns
    -------
    pandas.Series
        Indexed by the cohort's probe identifiers; ``attrs["source"]`` is the table's source line.
    """
    path = resources.files("tmeprog.cohorts").joinpath("data", table)
    with path.open("rb") as fh:
        raw = gzip.decompress(fh.read()).decode("utf-8")
    lines = raw.splitlines()
    header = [ln[1:].strip() for ln in lines if ln.startswith("#")]
    tab = pd.read_csv(io.StringIO(raw), sep="\t", comment="#", dtype=str)
    out = pd.Series(tab["entrez"].to_numpy(), index=tab["id"].to_numpy(), name="entrez")
    out.attrs["source"] = next((h.split(":", 1)[1].strip() for h in header
                                if h.startswith("source:")), "unknown")
    return out


def vdv_probe_ids() -> list[str]:
    """The probe identifiers of SurvSet's ``vdv`` table (input of the accession-table build)."""
    raw = load_survset_table("vdv")
    return [c[4:] for c in raw.columns if c.startswith("num_")]


def load_survset_table(survset_name: str) -> pd.DataFrame:
    """The raw SurvSet table of one data set."""
    return SurvLoader().load_dataset(ds_name=survset_name)["df"]


def load_bundled(name: str) -> Cohort:
    """Load one bundled cohort by its tmeprog name (``gse1992``, ``gbsg2`` ...)."""
    spec = BUNDLED[name]
    raw = load_survset_table(spec.survset_name)
    raw["pid"] = raw["pid"].astype(str)
    raw = raw.set_index("pid")
    raw.index.name = "sample_id"
    report: list[str] = [f"read SurvSet table {spec.survset_name!r}: {len(raw)} rows"]

    clinical = coerce_clinical(spec.clinical(raw))
    if {"hr", "her2"} <= set(clinical.columns):
        clinical["subtype"] = receptor_subtype(clinical["hr"], clinical["her2"])
    e = spec.endpoint
    endpoints = pd.DataFrame({
        f"{e}_time": raw["time"].astype(float) / spec.time_divisor,
        f"{e}_event": raw["event"].astype(float),
    }, index=raw.index)

    expression = None
    pre = spec.expr_prefix
    expr_cols = [c for c in raw.columns if c.startswith(pre)]
    if expr_cols:
        expr = raw[expr_cols].astype(float)
        expr.columns = [c[len(pre):] for c in expr_cols]
        annotation = None
        if spec.annotation:
            annotation = probe_annotation(spec.annotation)
            report.append(f"genes: probe accessions mapped to Entrez genes by "
                          f"{spec.annotation} ({annotation.attrs['source']}); "
                          f"{int(expr.columns.isin(annotation.index).sum())} of "
                          f"{expr.shape[1]} probes have a gene")
        expression, gene_report = harmonise_genes(expr, annotation=annotation)
        report.extend(gene_report.lines())
    return Cohort(
        name=name,
        expression=expression,
        clinical=clinical,
        endpoints=endpoints,
        endpoint_info={e: EndpointInfo(e, "survival", spec.definition)},
        meta=spec.meta,
        report=report,
    )
