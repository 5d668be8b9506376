"""Breast-cancer reference data from genefu: PAM50 centroids and four prognostic signatures.

The tables in ``data/genefu/`` are verbatim copies of genefu's data objects (Artistic-2.0, see
``data/genefu/NOTICE.md``). Their gene symbols date from 2002-2009, so each row is mapped to a
current HGNC symbol through its Entrez id with the project's offline gene map (the same map
cohorts are harmonised with); rows without an Entrez id fall back to their symbol. Rows that do
not map, and later rows naming an already used gene (several probes of one gene), are dropped,
as genefu does when it maps a signature to a platform by Entrez id.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from tmeprog.cohorts.gene_map import resolve_identifiers
from tmeprog.errors import InputError
from tmeprog.signatures.catalogue import Reference

GENEFU = Reference(
    "Gendoo DMA, Ratanasirigulchai N, Schröder MS et al. Genefu: an R/Bioconductor package for "
    "computation of gene expression-based signatures in breast cancer. Bioinformatics "
    "2016;32:1097-1099", "10.1093/bioinformatics/btv693")

#: Original publication of each table.
REFERENCES: dict[str, Reference] = {
    "pam50": Reference("Parker JS, Mullins M, Cheang MCU et al. Supervised risk predictor of "
                       "breast cancer based on intrinsic subtypes. J Clin Oncol 2009;27:1160-1167",
                       "10.1200/JCO.2008.18.1370"),
    "oncotypedx": Reference("Paik S, Shak S, Tang G et al. A multigene assay to predict "
                            "recurrence of tamoxifen-treated, node-negative breast cancer. N Engl "
                            "J Med 2004;351:2817-2826", "10.1056/NEJMoa041588"),
    "gene70": Reference("van 't Veer LJ, Dai H, van de Vijver MJ et al. Gene expression profiling "
                        "predicts clinical outcome of breast cancer. Nature 2002;415:530-536",
                        "10.1038/415530a"),
    "ggi": Reference("Sotiriou C, Wirapati P, Loi S et al. Gene expression profiling in breast "
                     "cancer: understanding the molecular basis of histologic grade to improve "
                     "prognosis. J Natl Cancer Inst 2006;98:262-272", "10.1093/jnci/djj052"),
    "endopredict": Reference("Filipits M, Rudas M, Jakesz R et al. A new molecular predictor of "
                             "distant recurrence in ER-positive, HER2-negative breast cancer adds "
                             "independent information to conventional clinical risk factors. Clin "
                             "Cancer Res 2011;17:6012-6020", "10.1158/1078-0432.CCR-11-0926"),
}

#: Bundled file of each signature table.
SIGNATURE_FILES = {"oncotypedx": "sig.oncotypedx.tsv", "gene70": "sig.gene70.tsv",
                   "ggi": "sig.ggi.tsv", "endopredict": "sig.endoPredict.tsv"}
PAM50_FILES = {"plain": "pam50", "robust": "pam50.robust"}
PAM50_CLASSES = ("Basal", "Her2", "LumA", "LumB", "Normal")


def data_dir():
    """The bundled genefu folder (an importlib resources path)."""
    return resources.files("tmeprog.signatures").joinpath("data", "genefu")


def _read(name: str) -> pd.DataFrame:
    with data_dir().joinpath(name).open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, sep="\t", dtype=str, keep_default_na=False)


def _entrez_text(values: pd.Series) -> pd.Series:
    v = values.astype(str).str.strip()
    return v.where(~v.isin(["", "NA", "nan"]), "")


def map_to_symbols(entrez: pd.Series, fallback: pd.Series | None = None) -> pd.Series:
    """Current HGNC symbols of Entrez ids (``fallback`` symbols where the id is missing).

    Parameters
    ----------
    entrez : pandas.Series of str
        Entrez gene ids; ``NA`` or empty where unknown.
    fallback : pandas.Series of str, optional
        Symbols to resolve where the Entrez id is missing or unknown to the gene map.

    Returns
    -------
    pandas.Series
        Current symbols (missing where neither resolves), same index.
    """
    ids = _entrez_text(entrez)
    out = pd.Series(pd.NA, index=entrez.index, dtype=object)
    have = ids != ""
    if have.any():
        r = resolve_identifiers(ids[have].to_numpy())
        ok = (r["kind"] == "entrez").to_numpy()
        out[have[have].index[ok]] = r["symbol"].to_numpy()[ok]
    if fallback is not None:
        todo = out.isna() & fallback.notna()
        fb = fallback[todo].astype(str).str.strip()
        fb = fb[~fb.isin(["", "NA"])]
        if len(fb):
            r = resolve_identifiers(fb.to_numpy())
            ok = r["kind"].isin(["symbol", "alias"]).to_numpy()
            out[fb.index[ok]] = r["symbol"].to_numpy()[ok]
    return out


def _first_per_symbol(tab: pd.DataFrame) -> pd.DataFrame:
    tab = tab[tab["symbol"].notna()]
    return tab[~tab["symbol"].duplicated()].reset_index(drop=True)


@dataclass(frozen=True)
class PAM50Model:
    """genefu's PAM50 model: centroids on current symbols and the classifier parameters.

    Attributes
    ----------
    centroids : pandas.DataFrame
        Genes (current symbols) x subtypes ``Basal, Her2, LumA, LumB, Normal``.
    original : pandas.Series
        The symbol each row had in genefu's table (``CDCA1``, ``KNTC2``, ``ORC6L`` were renamed).
    std : str
        ``none`` (plain) or ``robust`` (quantile rescaling of every gene before correlating).
    rescale_q : float
        Total tail mass of the robust rescaling (quantiles ``q/2`` and ``1 - q/2``).
    mins : int
        genefu's ``mins`` parameter: the smallest number of genes tmeprog accepts.
    """

    centroids: pd.DataFrame
    original: pd.Series
    std: str
    rescale_q: float
    mins: int
    method_cor: str

    @property
    def reference(self) -> Reference:
        """The publication of the centroids."""
        return REFERENCES["pam50"]


def _params(text: str) -> dict[str, str]:
    parts = text.split()
    out = {}
    for i, tok in enumerate(parts[:-1]):
        if tok.endswith("="):
            out[tok[:-1]] = parts[i + 1]
    return out


@lru_cache(maxsize=2)
def pam50_model(variant: str = "plain") -> PAM50Model:
    """The bundled PAM50 model, ``plain`` (genefu ``pam50``) or ``robust`` (``pam50.robust``)."""
    if variant not in PAM50_FILES:
        raise InputError(f"PAM50 variant {variant!r}; use 'plain' or 'robust'")
    stem = PAM50_FILES[variant]
    cent = _read(f"{stem}_centroids.tsv").set_index("probe")
    gmap = _read(f"{stem}_centroids_map.tsv").set_index("probe").loc[cent.index]
    par = _params(data_dir().joinpath(f"{stem}_params.txt").read_text(encoding="utf-8"))
    symbols = map_to_symbols(gmap["EntrezGene.ID"], pd.Series(cent.index, index=cent.index))
    if symbols.isna().any() or symbols.duplicated().any():  # pragma: no cover - bundled data
        raise RuntimeError(f"{stem}: PAM50 genes do not map to 50 distinct current symbols")
    values = cent[list(PAM50_CLASSES)].astype(float)
    values.index = pd.Index(symbols.to_numpy(), name="gene")
    original = pd.Series(cent.index.to_numpy(), index=values.index, name="genefu_symbol")
    return PAM50Model(values, original, par["std"], float(par["rescale.q"]),
                      int(float(par["mins"])), par["method.cor"])


@lru_cache(maxsize=8)
def breast_signature(name: str) -> pd.DataFrame:
    """One prognostic signature table with a ``symbol`` column of current symbols.

    Parameters
    ----------
    name : {"oncotypedx", "gene70", "ggi", "endopredict"}

    Returns
    -------
    pandas.DataFrame
        genefu's columns (its ``symbol`` renamed ``genefu_symbol``) plus ``symbol``; one row
        per gene (first probe of a gene kept, rows that map to no current symbol dropped), in
        the table's order.
    """
    if name not in SIGNATURE_FILES:
        raise InputError(f"unknown breast signature {name!r}; known: {sorted(SIGNATURE_FILES)}")
    tab = _read(SIGNATURE_FILES[name]).rename(columns={"symbol": "genefu_symbol"})
    fallback = tab.get("genefu_symbol", tab.get("HUGO.gene.symbol"))
    tab = tab.assign(symbol=map_to_symbols(tab["EntrezGene.ID"], fallback).to_numpy())
    for col in ("weight", "a", "b", "correlation", "average.good.prognosis.profile", "grade"):
        if col in tab.columns:
            tab[col] = pd.to_numeric(tab[col].replace("NA", np.nan), errors="coerce")
    return _first_per_symbol(tab)


def signature_reference(name: str) -> Reference:
    """The original publication of a bundled table (``pam50`` or a signature name)."""
    if name not in REFERENCES:
        raise InputError(f"no reference for {name!r}; known: {sorted(REFERENCES)}")
    return REFERENCES[name]
