"""The method registry: every scoring, deconvolution and pathway-activity method, with its
reference.

This is the one place methods are listed. Each :class:`Method` names its callable by import
path (resolved only when asked, so listing methods imports no kernel), the publication it
implements (DOI), and whether it is *cohort-dependent*: whether a score needs a per-gene
reference estimated on samples (frozen at fit, so a patient scored alone still gets the number
they get inside a cohort). ``tmeprog signatures methods`` prints the registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from tmeprog.errors import InputError
from tmeprog.signatures.catalogue import Reference
from tmeprog.signatures.references import PROGENY_REFERENCE, QUANTISEQ_REFERENCE

KINDS = ("scoring", "deconvolution", "activity")
"""Kinds of method: signature scoring, cell-fraction deconvolution, pathway activity."""


@dataclass(frozen=True)
class Method:
    """One registered method.

    Parameters
    ----------
    name : str
        Name used in APIs and configs (``method="gsva"``).
    kind : str
        One of :data:`KINDS`.
    target : str
        ``"module:attribute"`` of the function or class implementing it.
    reference : Reference
        The publication implemented.
    cohort_dependent : bool
        Whether scores depend on reference samples (then frozen at fit).
    summary : str
        One line: what the method computes.
    """

    name: str
    kind: str
    target: str
    reference: Reference
    cohort_dependent: bool
    summary: str

    def load(self):
        """The implementing function or class (imported on first use)."""
        module, attr = self.target.split(":")
        return getattr(import_module(module), attr)

    def to_record(self) -> dict:
        """A JSON-ready dict."""
        return {"name": self.name, "kind": self.kind, "target": self.target,
                "cohort_dependent": self.cohort_dependent, "summary": self.summary,
                "reference": self.reference.to_record()}


_METHODS: tuple[Method, ...] = (
    Method("ssgsea", "scoring", "tmeprog.features.ssgsea:ssgsea_chunk",
           Reference("Barbie DA, Tamayo P, Boehm JS, et al. Systematic RNA interference reveals "
                     "that oncogenic KRAS-driven cancers require TBK1. Nature 2009;462:108-112",
                     "10.1038/nature08460", "19847166"),
           False, "single-sample GSEA enrichment score (GSVA's ssgsea, unnormalised)"),
    Method("singscore", "scoring", "tmeprog.features.singscore:singscore_chunk",
           Reference("Foroutan M, Bhuva DD, Lyu R, et al. Single sample scoring of molecular "
                     "phenotypes. BMC Bioinformatics 2018;19:404",
                     "10.1186/s12859-018-2435-4", "30400809"),
           False, "centred, scaled mean within-sample rank (up/down signatures)"),
    Method("zscore", "scoring", "tmeprog.features.zscore:ZScoreReference",
           Reference("Lee E, Chuang HY, Kim JW, Ideker T, Lee D. Inferring pathway activity "
                     "toward precise disease classification. PLoS Comput Biol 2008;4:e1000217",
                     "10.1371/journal.pcbi.1000217", "18989396"),
           True, "mean z-score against per-gene mean/sd frozen at fit (weights allowed)"),
    Method("gsva", "scoring", "tmeprog.features.gsva:GSVAReference",
           Reference("Hänzelmann S, Castelo R, Guinney J. GSVA: gene set variation analysis "
                     "for microarray and RNA-seq data. BMC Bioinformatics 2013;14:7",
                     "10.1186/1471-2105-14-7", "23323831"),
           True, "GSVA: Gaussian kernel CDF per gene against reference samples frozen at fit, "
                 "rank, max-difference random walk"),
    Method("quantiseq", "deconvolution", "tmeprog.features.deconvolution:QuanTIseq",
           QUANTISEQ_REFERENCE, False,
           "absolute fractions of 10 immune cell types and other cells: constrained least "
           "squares on TIL10 with mRNA scaling (arrays: quantile target frozen at fit)"),
    Method("progeny", "activity", "tmeprog.features.progeny:Progeny",
           PROGENY_REFERENCE, True,
           "14 pathway activities: footprint-weighted sum of expression centred on per-gene "
           "means frozen at fit, scaled by the training SD of each pathway"),
)


def methods(kind: str | None = None) -> list[Method]:
    """Registered methods, optionally of one kind only.

    Parameters
    ----------
    kind : {"scoring", "deconvolution", "activity"}, optional

    Returns
    -------
    list of Method
    """
    if kind is not None and kind not in KINDS:
        raise InputError(f"unknown method kind {kind!r}; use one of {', '.join(KINDS)}.")
    return [m for m in _METHODS if kind is None or m.kind == kind]


def method_names(kind: str) -> tuple[str, ...]:
    """Names of the registered methods of one kind, in registry order."""
    return tuple(m.name for m in methods(kind))


def get_method(name: str, kind: str | None = None) -> Method:
    """The registered method called ``name`` (of ``kind`` when given).

    Raises
    ------
    InputError
        Unknown name (the message lists the known ones).
    """
    for m in methods(kind):
        if m.name == name:
            return m
    known = ", ".join(m.name for m in methods(kind))
    what = f"{kind} method" if kind else "method"
    raise InputError(f"unknown {what} {name!r}; choose one of {known} "
                     "(see `tmeprog signatures methods`).")
