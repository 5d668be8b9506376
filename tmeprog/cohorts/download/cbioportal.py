"""METABRIC from the cBioPortal datahub study ``brca_metabric`` (and other studies in its format).

cBioPortal staging files:

``data_clinical_patient.txt`` / ``data_clinical_sample.txt``
    Four ``#`` header lines (display names, descriptions, datatypes, priorities), then a
    tab-separated table keyed by ``PATIENT_ID`` (and ``SAMPLE_ID``). Copies in circulation differ:
    ``OS_STATUS`` is ``1:DECEASED``/``0:LIVING`` or plain ``DECEASED``/``LIVING``; relapse
    (``RFS_MONTHS``/``RFS_STATUS``) and ``LYMPH_NODES_EXAMINED_POSITIVE`` exist only in recent
    copies; some copies have old-Mac ``\\r`` line ends. All are read.
``data_mrna_illumina_microarray.txt`` (``data_expression_median.txt`` in older copies)
    ``Hugo_Symbol``, ``Entrez_Gene_Id``, then one column per sample: Illumina HumanHT-12 v3 log2
    intensities as normalised by Curtis et al. 2012 (cBioPortal profile "mRNA expression
    (Illumina)": "Expression log intensity levels").

The datahub keeps these files in Git LFS; they are fetched at a fixed commit, so each has a known
SHA-256 (the LFS object id).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from tmeprog.cohorts.download import cache
from tmeprog.cohorts.download.cache import RemoteFile
from tmeprog.cohorts.download.parsing import (
    clean,
    grade,
    prepare_expression,
    read_matrix,
    read_text,
    read_tsv_text,
    receptor,
    receptor_columns,
    status01,
    survival,
    to_num,
    yes_no,
)
from tmeprog.cohorts.model import Cohort, CohortMeta, EndpointInfo, coerce_clinical
from tmeprog.errors import InputError

NAME = "metabric"
_MEDIA = "https://media.githubusercontent.com/media/cBioPortal/datahub"


def _datahub(commit: str, fname: str, sha256: str) -> RemoteFile:
    return RemoteFile(fname, f"{_MEDIA}/{commit}/public/brca_metabric/{fname}", sha256)


PATIENT = _datahub("d929ed17aab43699abb97abbc27d63dbeebbc070", "data_clinical_patient.txt",
                   "f01fde122007c133af67fc92e2b50d569c63295fe9b8e7d65ea8e89afe5dc47f")
SAMPLE = _datahub("cdf9012c43f28fde9b6846a0e832dc8352173d4f", "data_clinical_sample.txt",
                  "5cfc42c40dc59f86d5657b63ffbc0bfb2f698ac1ec15dc925aef69d19b9e37cb")
EXPRESSION = _datahub("f13fd2d3c07a189717b23a8581379ac9492bfab0",
                      "data_mrna_illumina_microarray.txt",
                      "61e5930d1fef5bde93e8f5870088443f595e555e321550f7a9b6f72979991003")
FILES = (PATIENT, SAMPLE, EXPRESSION)
EXPRESSION_NAMES = ("data_mrna_illumina_microarray.txt", "data_expression_median.txt",
                    "data_expression.txt")

PAM50 = {"luma": "LumA", "lumb": "LumB", "her2": "Her2", "basal": "Basal", "normal": "Normal",
         "claudin-low": "claudin-low"}

DEFINITIONS = {
    "os": "overall survival: death from any cause (OS_STATUS deceased), time OS_MONTHS as "
          "published (months)",
    "dss": "disease-specific survival: death from breast cancer (VITAL_STATUS 'Died of "
           "Disease'); deaths from other causes censored at death; time OS_MONTHS",
    "rfs": "relapse-free survival as published by cBioPortal: event RFS_STATUS '1:Recurred', "
           "time RFS_MONTHS",
}

META = CohortMeta(
    source="cBioPortal datahub, study brca_metabric (data_clinical_patient.txt, "
           "data_clinical_sample.txt, data_mrna_illumina_microarray.txt)",
    platform="Illumina HumanHT-12 v3 microarray; log2 intensity as normalised by Curtis et al. "
             "2012 (cBioPortal profile 'mRNA expression (Illumina)')",
    scale="log2",
    citation="Curtis C et al. Nature 2012;486:346-352. doi:10.1038/nature10983; Pereira B et "
             "al. Nat Commun 2016;7:11479. doi:10.1038/ncomms11479; Cerami E et al. Cancer "
             "Discov 2012;2:401-404 (cBioPortal)",
    licence="ODbL 1.0 (cBioPortal datahub)",
    description="METABRIC primary breast tumours: Illumina expression, OS/DSS (and RFS where "
                "the copy has it), PAM50 + claudin-low, therapies",
)


def read_cbioportal_table(path: Path, key: str, cohort: str = NAME) -> pd.DataFrame:
    """Read a cBioPortal clinical table (``#`` header lines, any line ends) as strings.

    Parameters
    ----------
    path : Path
        ``data_clinical_patient.txt`` or ``data_clinical_sample.txt``.
    key : str
        The id column that must be present (``PATIENT_ID`` or ``SAMPLE_ID``).
    cohort : str
        Cohort name, for messages.
    """
    with cache.reading(cohort, path):
        tab = read_tsv_text(read_text(path), comment="#")
    if key not in tab.columns:
        raise InputError(
            f"{path}: no {key!r} column after the '#' header lines (found "
            f"{list(tab.columns[:5])}); is this a cBioPortal clinical file?"
        )
    cache.check_last_line(cohort, path, tab.shape[1])
    tab[key] = tab[key].str.strip()
    return tab[tab[key] != ""]


def _col(tab: pd.DataFrame, name: str) -> pd.Series:
    if name in tab.columns:
        return tab[name]
    return pd.Series(pd.NA, index=tab.index, dtype="string")


def patient_frame(patient: pd.DataFrame, sample: pd.DataFrame | None) -> pd.DataFrame:
    """One row per patient: the patient table joined with its first primary sample's row."""
    p = patient.drop_duplicates("PATIENT_ID").set_index("PATIENT_ID")
    if sample is None or "PATIENT_ID" not in sample.columns:
        return p
    s = sample.copy()
    s["PATIENT_ID"] = s["PATIENT_ID"].str.strip()
    if "SAMPLE_TYPE" in s.columns:
        prim = clean(s["SAMPLE_TYPE"]).str.lower().str.startswith("primary").fillna(False)
        s = s[prim.to_numpy()]
    s = s.drop_duplicates("PATIENT_ID").set_index("PATIENT_ID")
    s = s.drop(columns=[c for c in s.columns if c in p.columns])
    return p.join(s, how="left")


def metabric_clinical(tab: pd.DataFrame) -> pd.DataFrame:
    """Map joined patient+sample columns to the vocabulary.

    ER from the sample's ``ER_STATUS`` (``+``/``-``), else the patient's ``ER_IHC``; PR and HER2
    from ``PR_STATUS`` and ``HER2_STATUS`` (``HER2_SNP6`` is copy number, not status);
    ``TUMOR_STAGE`` is the overall stage, not the T category, so ``t_stage`` is left out.
    """
    er = receptor(_col(tab, "ER_STATUS")).fillna(receptor(_col(tab, "ER_IHC")))
    pr = receptor(_col(tab, "PR_STATUS"))
    her2 = receptor(_col(tab, "HER2_STATUS"))
    nodes = to_num(_col(tab, "LYMPH_NODES_EXAMINED_POSITIVE"))
    pam = clean(_col(tab, "CLAUDIN_SUBTYPE")).str.lower().map(PAM50).astype("string")
    meno = clean(_col(tab, "INFERRED_MENOPAUSAL_STATE")).str.lower()
    out = pd.DataFrame({
        "age": to_num(_col(tab, "AGE_AT_DIAGNOSIS")),
        **receptor_columns(er, pr, her2),
        "grade": grade(_col(tab, "GRADE")),
        "tumor_size_mm": to_num(_col(tab, "TUMOR_SIZE")),
        "node_status": (nodes > 0).astype("Int64").where(nodes.notna()),
        "n_nodes": nodes,
        "pam50": pam,
        "menopause": meno.where(meno.isin(["pre", "post"])),
        "chemotherapy": yes_no(_col(tab, "CHEMOTHERAPY")),
        "hormone_therapy": yes_no(_col(tab, "HORMONE_THERAPY")),
        "radiotherapy": yes_no(_col(tab, "RADIO_THERAPY")),
    }, index=tab.index)
    return coerce_clinical(out)


def metabric_endpoints(tab: pd.DataFrame, report: list[str]) -> tuple[pd.DataFrame, dict]:
    """OS, DSS and (when present) RFS in months from the patient table."""
    cols: dict[str, pd.Series] = {}
    os_t = to_num(_col(tab, "OS_MONTHS"))
    os_e = status01(_col(tab, "OS_STATUS"), ("deceased", "dead"), ("living", "alive"))
    cols["os_time"], cols["os_event"] = survival(os_t, os_e, "os", report)
    names = ["os"]
    if "VITAL_STATUS" in tab.columns:
        dss_e = status01(tab["VITAL_STATUS"], ("died of disease",),
                         ("living", "died of other causes"))
        cols["dss_time"], cols["dss_event"] = survival(os_t, dss_e, "dss", report)
        names.append("dss")
    if {"RFS_MONTHS", "RFS_STATUS"} <= set(tab.columns):
        rfs_e = status01(tab["RFS_STATUS"], ("recurred",), ("not recurred",))
        cols["rfs_time"], cols["rfs_event"] = survival(to_num(tab["RFS_MONTHS"]), rfs_e, "rfs",
                                                       report)
        names.append("rfs")
    info = {n: EndpointInfo(n, "survival", DEFINITIONS[n]) for n in names}
    return pd.DataFrame(cols, index=tab.index), info


def read_cbioportal_expression(path: Path, cohort: str = NAME) -> pd.DataFrame:
    """Samples x genes from a cBioPortal expression file (``Hugo_Symbol`` [``Entrez_Gene_Id``]).

    Rows without a symbol keep their Entrez id, which gene harmonisation maps to a symbol.
    """
    with open(path, encoding="utf-8", errors="replace") as fh:
        header = fh.readline().rstrip("\r\n").split("\t")
    if not header or header[0] != "Hugo_Symbol":
        raise InputError(f"{path}: the first column is {header[0]!r}, not 'Hugo_Symbol'; is this "
                         "a cBioPortal expression file?")
    n_ids = 2 if len(header) > 1 and header[1] == "Entrez_Gene_Id" else 1
    cache.check_last_line(cohort, path, len(header))
    with cache.reading(cohort, path):
        values, ids = read_matrix(path, n_ids)
    genes = clean(ids.iloc[:, 0])
    if n_ids == 2:
        entrez = pd.to_numeric(ids.iloc[:, 1], errors="coerce").astype("Int64").astype("string")
        genes = genes.fillna(entrez)
    keep = genes.notna().to_numpy()
    expr = values.loc[keep].T
    expr.columns = genes[keep].to_numpy()
    expr.index = expr.index.str.strip()
    expr.index.name = "sample_id"
    return expr


def parse_cbioportal(patient: Path, sample: Path | None = None, expression: Path | None = None,
                     name: str = NAME, meta: CohortMeta | None = None) -> Cohort:
    """Build a cohort from cBioPortal clinical tables and, optionally, an expression file.

    Parameters
    ----------
    patient : Path
        ``data_clinical_patient.txt``.
    sample : Path, optional
        ``data_clinical_sample.txt`` (receptor status, grade, size).
    expression : Path, optional
        Expression file; when given, the cohort holds the samples that have expression.
    name : str
        Cohort name.
    meta : CohortMeta, optional
        Provenance; METABRIC's by default.

    Returns
    -------
    Cohort
        Indexed by ``PATIENT_ID`` (METABRIC sample ids equal patient ids).
    """
    report: list[str] = []
    ptab = read_cbioportal_table(patient, "PATIENT_ID", name)
    stab = read_cbioportal_table(sample, "SAMPLE_ID", name) if sample is not None else None
    tab = patient_frame(ptab, stab)
    report.append(f"clinical: {len(tab)} patients in {patient.name}"
                  + (f", {len(stab)} samples in {sample.name}" if stab is not None else ""))
    expr = None
    if expression is not None:
        expr = read_cbioportal_expression(expression, name)
        if expr.index.has_duplicates:
            raise InputError(f"{expression}: duplicated sample columns "
                             f"{expr.index[expr.index.duplicated()][:3].tolist()}")
        n_clin = int(expr.index.isin(tab.index).sum())
        report.append(f"expression: {expr.shape[0]} samples, {n_clin} with a clinical record")
        expr = prepare_expression(expr, name, "log2 intensity", transform=False, report=report)
        tab = tab.reindex(expr.index)
    tab.index.name = "sample_id"
    clin = metabric_clinical(tab)
    ends, info = metabric_endpoints(tab, report)
    if expr is not None:
        expr = expr.astype(float)
    return Cohort(name=name, expression=expr, clinical=clin, endpoints=ends, endpoint_info=info,
                  meta=replace(meta or META), report=report)


def load_cbioportal_folder(folder: Path, name: str | None = None) -> Cohort:
    """Load a cBioPortal study folder (clinical tables and, if present, Illumina expression)."""
    folder = Path(folder)
    patient = folder / PATIENT.fname
    if not patient.is_file():
        raise InputError(f"{folder}: no {PATIENT.fname}; not a cBioPortal study folder")
    sample = folder / SAMPLE.fname
    expr = next((folder / n for n in EXPRESSION_NAMES if (folder / n).is_file()), None)
    study = folder / "meta_study.txt"
    is_metabric = study.is_file() and "brca_metabric" in read_text(study)
    meta = replace(META, source=f"cBioPortal study folder {folder.name}") if is_metabric else \
        CohortMeta(source=f"cBioPortal study folder {folder.name}",
                   platform="see the study's meta files", scale="log2" if expr else "none",
                   description=f"cBioPortal study {folder.name}")
    return parse_cbioportal(patient, sample if sample.is_file() else None, expr,
                            name=name or folder.name, meta=meta)


def load_metabric() -> Cohort:
    """Load METABRIC from the cache, downloading the datahub files first when missing."""
    paths = cache.ensure(NAME, FILES)
    return parse_cbioportal(paths[PATIENT.fname], paths[SAMPLE.fname], paths[EXPRESSION.fname])
