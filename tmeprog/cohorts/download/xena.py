"""TCGA-BRCA from the UCSC Xena TCGA hub.

Files (``https://tcga.xenahubs.net/download/``):

``TCGA.BRCA.sampleMap/HiSeqV2.gz``
    Genes (HUGO symbols) x samples, ``log2(RSEM normalized count + 1)``, Illumina HiSeq 2000
    RNA-seq, UNC RSEM pipeline (Xena dataset "gene expression RNAseq (IlluminaHiSeq)").
``TCGA.BRCA.sampleMap/BRCA_clinicalMatrix``
    One row per sample (``sampleID``), TCGA clinical fields plus the 2012 Nature paper's columns
    and ``PAM50Call_RNAseq``.
``survival/BRCA_survival.txt``
    The TCGA Pan-Cancer Clinical Data Resource (Liu et al. 2018) curated endpoints: ``OS``,
    ``DSS``, ``DFI``, ``PFI`` (1 event, 0 censored) and ``*.time`` in days.

Only primary tumours are kept (TCGA sample-type code ``01``: ``TCGA-XX-XXXX-01``); normal tissue
(``11``) and metastases (``06``) are dropped. Xena republishes these files under the same URLs,
so their hashes are recorded at first download.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pandas as pd

from tmeprog.cohorts.download import cache
from tmeprog.cohorts.download.cache import RemoteFile
from tmeprog.cohorts.download.parsing import (
    clean,
    leading_int,
    prepare_expression,
    read_matrix,
    read_text,
    read_tsv_text,
    receptor,
    receptor_columns,
    survival,
    to_num,
    yes_no,
)
from tmeprog.cohorts.model import Cohort, CohortMeta, EndpointInfo, coerce_clinical
from tmeprog.cohorts.vocabulary import DAYS_PER_MONTH
from tmeprog.errors import InputError

NAME = "tcga_brca"
HUB = "https://tcga.xenahubs.net/download"
EXPRESSION = RemoteFile("HiSeqV2.gz", f"{HUB}/TCGA.BRCA.sampleMap/HiSeqV2.gz")
CLINICAL = RemoteFile("BRCA_clinicalMatrix", f"{HUB}/TCGA.BRCA.sampleMap/BRCA_clinicalMatrix")
SURVIVAL = RemoteFile("BRCA_survival.txt", f"{HUB}/survival/BRCA_survival.txt")
FILES = (EXPRESSION, CLINICAL, SURVIVAL)

PAM50 = ("LumA", "LumB", "Her2", "Basal", "Normal")
_BARCODE = re.compile(r"^TCGA-[A-Z0-9]{2}-[A-Z0-9]{4}-(\d{2})", re.IGNORECASE)

ENDPOINTS = {
    "os": ("OS", "overall survival: death from any cause (TCGA-CDR 'OS'); OS.time in days "
                 "divided by 30.4375 to months"),
    "dss": ("DSS", "disease-specific survival: death from breast cancer (TCGA-CDR 'DSS'; deaths "
                   "from other causes censored); DSS.time in days divided by 30.4375"),
    "dfs": ("DFI", "disease-free interval (TCGA-CDR 'DFI'): local recurrence, distant "
                   "metastasis or new primary breast tumour after the patient was made "
                   "disease-free by initial treatment; deaths without such an event are "
                   "censored and patients never disease-free are missing; DFI.time in days "
                   "divided by 30.4375"),
}

META = CohortMeta(
    source="UCSC Xena TCGA hub: TCGA.BRCA.sampleMap/HiSeqV2, BRCA_clinicalMatrix; "
           "survival/BRCA_survival.txt (TCGA Pan-Cancer Clinical Data Resource)",
    platform="Illumina HiSeq 2000 RNA-seq, RSEM gene-level normalized counts (UNC pipeline); "
             "values log2(norm_count + 1)",
    scale="log2",
    citation="Cancer Genome Atlas Network. Nature 2012;490:61-70. doi:10.1038/nature11412; "
             "Liu J et al. Cell 2018;173:400-416. doi:10.1016/j.cell.2018.02.052; Goldman MJ "
             "et al. Nat Biotechnol 2020;38:675-678. doi:10.1038/s41587-020-0546-8 (Xena)",
    licence="TCGA open-access data (NIH/NCI GDC data use policy; cite TCGA)",
    description="TCGA breast invasive carcinoma, primary tumours, RNA-seq with OS/DSS/DFI",
)


def sample_type_code(ids: pd.Index) -> pd.Series:
    """TCGA sample-type code (``01`` primary tumour, ``11`` normal ...) of each barcode."""
    return pd.Series([(m.group(1) if (m := _BARCODE.match(str(s))) else None) for s in ids],
                     index=ids, dtype="object")


def _col(tab: pd.DataFrame, *names: str) -> pd.Series:
    """The first of ``names`` present in ``tab`` (as strings), or an all-missing column."""
    for n in names:
        if n in tab.columns:
            return tab[n]
    return pd.Series(pd.NA, index=tab.index, dtype="string")


def _either(*series: pd.Series) -> pd.Series:
    """Positive when any source says positive, negative when some says negative and none positive.

    Used for HER2: IHC 3+ is positive, IHC 0/1+ negative, and in situ hybridisation decides the
    equivocal ones (and overrides a negative IHC when amplified).
    """
    out = pd.Series(pd.NA, index=series[0].index, dtype="Int64")
    for s in series:
        out[(s == 0).fillna(False)] = 0
    for s in series:
        out[(s == 1).fillna(False)] = 1
    return out


def tcga_clinical(tab: pd.DataFrame) -> pd.DataFrame:
    """Map the Xena ``BRCA_clinicalMatrix`` (strings, indexed by sample) to the vocabulary.

    ER/PR come from the clinical IHC fields (``breast_carcinoma_*_receptor_status``), with the
    2012 paper's ``*_Status_nature2012`` where those are missing; HER2 combines IHC
    (``lab_proc_her2_neu_immunohistochemistry_receptor_status``) and in situ hybridisation
    (``lab_procedure_her2_neu_in_situ_hybrid_outcome_type``), then ``HER2_Final_Status_nature2012``.
    """
    er = receptor(_col(tab, "breast_carcinoma_estrogen_receptor_status"))
    er = er.fillna(receptor(_col(tab, "ER_Status_nature2012")))
    pr = receptor(_col(tab, "breast_carcinoma_progesterone_receptor_status"))
    pr = pr.fillna(receptor(_col(tab, "PR_Status_nature2012")))
    her2 = _either(receptor(_col(tab, "lab_proc_her2_neu_immunohistochemistry_receptor_status")),
                   receptor(_col(tab, "lab_procedure_her2_neu_in_situ_hybrid_outcome_type")))
    her2 = her2.fillna(receptor(_col(tab, "HER2_Final_Status_nature2012")))
    age = to_num(_col(tab, "age_at_initial_pathologic_diagnosis"))
    age = age.fillna(to_num(_col(tab, "Age_at_Initial_Pathologic_Diagnosis_nature2012")))
    pam50 = clean(_col(tab, "PAM50Call_RNAseq"))
    meno = clean(_col(tab, "menopause_status")).str.lower()
    menopause = pd.Series(pd.NA, index=tab.index, dtype="string")
    menopause[meno.str.startswith("pre").fillna(False)] = "pre"
    menopause[meno.str.startswith("post").fillna(False)] = "post"
    n_nodes = to_num(_col(tab, "number_of_lymphnodes_positive_by_he"))
    node = leading_int(_col(tab, "pathologic_N"), "N", 0, 3)
    node_status = (node > 0).astype("Int64").where(node.notna())
    node_status = node_status.fillna((n_nodes > 0).astype("Int64").where(n_nodes.notna()))
    out = pd.DataFrame({
        "age": age,
        **receptor_columns(er, pr, her2),
        "t_stage": leading_int(_col(tab, "pathologic_T"), "T", 1, 4),
        "node_status": node_status,
        "n_nodes": n_nodes,
        "pam50": pam50.where(pam50.isin(PAM50)),
        "menopause": menopause,
        "radiotherapy": yes_no(_col(tab, "radiation_therapy")),
    }, index=tab.index)
    return coerce_clinical(out)


def tcga_endpoints(tab: pd.DataFrame, report: list[str]) -> pd.DataFrame:
    """OS, DSS and DFI (as ``dfs``) in months from ``BRCA_survival.txt`` (strings, by sample)."""
    cols = {}
    for name, (src, _) in ENDPOINTS.items():
        t = to_num(_col(tab, f"{src}.time")) / DAYS_PER_MONTH
        e = to_num(_col(tab, src))
        cols[f"{name}_time"], cols[f"{name}_event"] = survival(t, e, name, report)
    return pd.DataFrame(cols, index=tab.index)


def _read_indexed(cohort: str, path: Path, id_col: str) -> pd.DataFrame:
    with cache.reading(cohort, path):
        tab = read_tsv_text(read_text(path))
    if id_col not in tab.columns:
        raise cache.CorruptCacheError(
            f"{path} has no {id_col!r} column (found {list(tab.columns[:5])}...); it is not the "
            f"expected Xena file: delete it and run `tmeprog cohorts fetch {cohort}`"
        )
    cache.check_last_line(cohort, path, tab.shape[1])
    tab = tab.set_index(id_col)
    tab.index = tab.index.str.strip()
    return tab[~tab.index.duplicated()]


def parse_tcga_brca(expression: Path, clinical: Path, survival_file: Path,
                    name: str = NAME) -> Cohort:
    """Build the TCGA-BRCA cohort from the three Xena files.

    Parameters
    ----------
    expression, clinical, survival_file : Path
        ``HiSeqV2.gz``, ``BRCA_clinicalMatrix`` and ``BRCA_survival.txt`` as published.
    name : str
        Cohort name.

    Returns
    -------
    Cohort
        Primary tumours with expression; clinical and endpoints missing where Xena has no row.
    """
    report: list[str] = []
    with cache.reading(name, expression):
        values, ids = read_matrix(expression, 1)
    genes = ids.iloc[:, 0].str.strip()
    keep = genes.notna() & ~genes.str.startswith("?").fillna(True)
    expr = values.loc[keep.to_numpy()].T
    expr.columns = genes[keep].to_numpy()
    codes = sample_type_code(expr.index)
    primary = (codes == "01").to_numpy()
    report.append(f"samples: {len(expr)} in {expression.name}, {int(primary.sum())} primary "
                  "tumours (sample type 01) kept")
    if not primary.any():
        raise InputError(f"{expression}: no primary-tumour TCGA barcodes (TCGA-XX-XXXX-01) in "
                         "the header; is this the Xena HiSeqV2 file?")
    expr = expr.loc[primary]
    expr.index.name = "sample_id"
    expr = prepare_expression(expr, name, "log2(norm_count + 1)", transform=False, report=report)

    clin_tab = _read_indexed(name, clinical, "sampleID")
    surv_tab = _read_indexed(name, survival_file, "sample")
    idx = expr.index
    report.append(f"clinical: {int(idx.isin(clin_tab.index).sum())} of {len(idx)} samples in "
                  f"{clinical.name}; survival: {int(idx.isin(surv_tab.index).sum())} in "
                  f"{survival_file.name}")
    clin = tcga_clinical(clin_tab.reindex(idx))
    ends = tcga_endpoints(surv_tab.reindex(idx), report)
    info = {k: EndpointInfo(k, "survival", d) for k, (_, d) in ENDPOINTS.items()}
    return Cohort(name=name, expression=expr.astype(float), clinical=clin, endpoints=ends,
                  endpoint_info=info, meta=replace(META), report=report)


def load_tcga_brca() -> Cohort:
    """Load TCGA-BRCA from the cache, downloading the Xena files first when missing."""
    paths = cache.ensure(NAME, FILES)
    return parse_tcga_brca(paths[EXPRESSION.fname], paths[CLINICAL.fname],
                           paths[SURVIVAL.fname])
