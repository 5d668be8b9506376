"""Downloadable public cohorts: TCGA-BRCA, METABRIC, I-SPY2 and GSE25066.

Importing this package registers them in :mod:`tmeprog.cohorts.entries`. Files are cached under
``$TMEPROG_DATA_DIR/<cohort>/`` (default ``./data``); ``tmeprog cohorts fetch NAME`` downloads
them, and loading a cohort whose files are missing downloads them first.

========== ==================================================== =========================
name       source                                               endpoints
========== ==================================================== =========================
tcga_brca  UCSC Xena TCGA hub (HiSeqV2, clinical matrix,        os, dss, dfs
           TCGA-CDR survival)
metabric   cBioPortal datahub ``brca_metabric``                  os, dss (, rfs)
ispy2      NCBI GEO GSE194040                                   pcr
gse25066   NCBI GEO GSE25066 + GPL96 annotation                 pcr, drfs
========== ==================================================== =========================
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from tmeprog.cohorts.download import cache, cbioportal, geo, ispy2, xena
from tmeprog.cohorts.download.cache import CorruptCacheError, RemoteFile
from tmeprog.cohorts.download.cbioportal import load_cbioportal_folder, load_metabric
from tmeprog.cohorts.download.geo import load_gse25066
from tmeprog.cohorts.download.ispy2 import load_ispy2, load_ispy2_table
from tmeprog.cohorts.download.xena import load_tcga_brca
from tmeprog.cohorts.entries import CohortEntry, register
from tmeprog.cohorts.model import Cohort

#: name -> (files, loader, description)
SOURCES: dict[str, tuple[Sequence[RemoteFile], Callable[[], Cohort], str]] = {
    xena.NAME: (xena.FILES, load_tcga_brca,
                "TCGA-BRCA primary tumours, RNA-seq (UCSC Xena), OS/DSS/DFI"),
    cbioportal.NAME: (cbioportal.FILES, load_metabric,
                      "METABRIC, Illumina arrays (cBioPortal datahub), OS/DSS"),
    ispy2.NAME: (ispy2.FILES, load_ispy2,
                 "I-SPY2 neoadjuvant trial, Agilent arrays (GEO GSE194040), pCR"),
    geo.GSE25066: (geo.GSE25066_FILES, load_gse25066,
                   "Hatzis 2011 neoadjuvant chemotherapy, HG-U133A (GEO GSE25066), pCR/DRFS"),
}


def fetch_cohort(name: str) -> list[Path]:
    """Download (or verify) every file of a downloadable cohort; return the cached paths."""
    return cache.fetch(name, SOURCES[name][0])


def _register() -> None:
    for name, (files, loader, description) in SOURCES.items():
        register(CohortEntry(
            name=name,
            offline=False,
            description=description,
            load=loader,
            is_cached=partial(cache.is_cached, name, files),
            fetch=partial(fetch_cohort, name),
        ))


def sniff_cohort_file(path: str | Path) -> Callable[[Path], Cohort] | None:
    """A loader for a path in one of the public formats this package reads, else ``None``.

    Recognised: a cBioPortal study folder (``data_clinical_patient.txt`` inside) and an I-SPY2
    clinical table with signature scores (a header with ``pCR`` and ``HR``/``HER2``).
    The registry's ``load_cohort(path)`` can call this before the generic user-file loader.
    """
    p = Path(path)
    if p.is_dir() and (p / cbioportal.PATIENT.fname).is_file():
        return load_cbioportal_folder
    if p.is_file() and ispy2.looks_like_ispy2_table(p):
        return load_ispy2_table
    return None


_register()

__all__ = ["CorruptCacheError", "RemoteFile", "SOURCES", "fetch_cohort", "load_cbioportal_folder",
           "load_gse25066", "load_ispy2", "load_ispy2_table", "load_metabric", "load_tcga_brca",
           "sniff_cohort_file"]
