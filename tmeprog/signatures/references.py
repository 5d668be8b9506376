"""Bundled reference matrices: quanTIseq's TIL10 signature and PROGENy's footprint weights.

Both are unmodified copies of the published files (``data/quantiseq/``, BSD-3-Clause;
``data/progeny/``, Apache-2.0; each folder holds its licence and a README naming the source
commit). Symbols that are outdated aliases are renamed to current HGNC symbols on loading, with
the table ``data/reference_symbols.json`` (the same mapping :mod:`tmeprog.cohorts.gene_map`
applies to expression data, so reference and data meet on one vocabulary).

References
----------
Finotello F et al. Genome Med 2019;11:34. doi:10.1186/s13073-019-0638-6 (quanTIseq).
Schubert M et al. Nat Commun 2018;9:20. doi:10.1038/s41467-017-02391-6 (PROGENy).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import pandas as pd


def _data(*parts: str):
    return resources.files("tmeprog.signatures").joinpath("data", *parts)


@lru_cache(maxsize=1)
def _renames() -> dict:
    return json.loads(_data("reference_symbols.json").read_text("utf-8"))


def _gene_list(name: str, renames: dict[str, str]) -> tuple[str, ...]:
    lines = _data("quantiseq", name).read_text("utf-8").splitlines()
    return tuple(renames.get(g, g) for g in (s.strip() for s in lines) if g)


@dataclass(frozen=True)
class TIL10:
    """quanTIseq's TIL10 reference.

    Attributes
    ----------
    signature : pandas.DataFrame
        Genes x 10 cell types (quanTIseq's column names, e.g. ``T.cells.CD8``), TPM.
    mrna_scaling : pandas.Series
        mRNA content of each cell type, indexed like the signature's columns.
    rnaseq_removed : tuple of str
        Genes quanTIseq leaves out for RNA-seq data (``TIL10_rmgenes.txt``).
    tumour_removed : tuple of str
        Genes left out for tumour samples (``TIL10_TCGA_aberrant_immune_genes.txt``).
    """

    signature: pd.DataFrame
    mrna_scaling: pd.Series
    rnaseq_removed: tuple[str, ...]
    tumour_removed: tuple[str, ...]


@lru_cache(maxsize=1)
def load_til10() -> TIL10:
    """The bundled TIL10 reference, symbols current (a cached, read-only object)."""
    ren = _renames()["quantiseq"]
    text = _data("quantiseq", "TIL10_signature.txt").read_text("utf-8")
    sig = pd.read_csv(io.StringIO(text), sep="\t", index_col=0, engine="pyarrow")
    sig.index = pd.Index([ren.get(g, g) for g in sig.index.astype(str)], name="gene")
    text = _data("quantiseq", "TIL10_mRNA_scaling.txt").read_text("utf-8")
    scale = pd.read_csv(io.StringIO(text), sep="\t", header=None, index_col=0).iloc[:, 0]
    scale = scale.reindex(sig.columns).astype(float)
    if scale.isna().any() or sig.index.has_duplicates:
        raise RuntimeError("the bundled TIL10 files are inconsistent; reinstall tmeprog")
    return TIL10(signature=sig.astype(float), mrna_scaling=scale,
                 rnaseq_removed=_gene_list("TIL10_rmgenes.txt", ren),
                 tumour_removed=_gene_list("TIL10_TCGA_aberrant_immune_genes.txt", ren))


@lru_cache(maxsize=1)
def load_progeny() -> pd.DataFrame:
    """PROGENy human top-100 weights: genes x 14 pathways (0 where a gene is not a footprint
    gene of the pathway), symbols current; pathway names as published (``TGFb``, ``NFkB``)."""
    ren = _renames()["progeny"]
    text = _data("progeny", "PROGENy_human_top100_14pathways.csv").read_text("utf-8")
    w = pd.read_csv(io.StringIO(text), index_col=0, engine="pyarrow")
    w.index = pd.Index([ren.get(g, g) for g in w.index.astype(str)], name="gene")
    if w.index.has_duplicates:
        raise RuntimeError("the bundled PROGENy weights repeat a gene; reinstall tmeprog")
    return w.astype(float)
