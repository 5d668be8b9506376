"""The cited gene-signature catalogue: bundled signatures plus the user's own GMT sets.

Each bundled signature is one record of ``data/catalogue.json``: its genes (current HGNC
symbols), compartment, the publication(s) it comes from (DOI and PMID), and a note saying how the
list was derived (which table or set, which symbols were updated). ``scripts/
check_signature_symbols.R`` checks the symbols against org.Hs.eg.db.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from tmeprog.errors import InputError
from tmeprog.signatures.gmt import read_gmt, write_gmt

COMPARTMENTS = ("immune", "stromal", "vascular", "metabolic", "signalling", "proliferation")
"""Compartments of the bundled signatures (the TME feature tags)."""

USER_COMPARTMENT = "user"
"""Default compartment of signatures added from a user's GMT file."""

_DATA_FILE = "catalogue.json"


@dataclass(frozen=True)
class Reference:
    """A publication a signature comes from."""

    citation: str
    doi: str | None = None
    pmid: str | None = None

    @property
    def url(self) -> str | None:
        """The DOI resolver link, if there is a DOI."""
        return f"https://doi.org/{self.doi}" if self.doi else None

    @property
    def label(self) -> str:
        """Short label: first author and year, e.g. ``Becht 2016``."""
        author = self.citation.split(",")[0].split()[0] if self.citation else "?"
        year = re.search(r"\b(19|20)\d\d\b", self.citation)
        return f"{author} {year.group(0)}" if year else author

    def to_record(self) -> dict:
        """A JSON-ready dict."""
        return {"citation": self.citation, "doi": self.doi, "pmid": self.pmid}


@dataclass(frozen=True)
class Signature:
    """One gene signature.

    Parameters
    ----------
    name : str
        Unique name, e.g. ``cell_caf``.
    genes : tuple of str
        Gene symbols, unique.
    compartment : str
        One of :data:`COMPARTMENTS`, or ``"user"`` for user-added sets.
    references : tuple of Reference
        Source publications, the primary one first.
    description, source, note : str
        What it measures; which published list it is; how the list was derived.
    weights : tuple of float, optional
        Per-gene weights aligned with ``genes`` (non-zero; the sign is the direction).
    renamed : tuple of (str, str)
        (published symbol, current symbol) pairs for symbols updated from the source.
    """

    name: str
    genes: tuple[str, ...]
    compartment: str
    references: tuple[Reference, ...] = ()
    description: str = ""
    source: str = ""
    note: str = ""
    weights: tuple[float, ...] | None = None
    renamed: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "genes", tuple(self.genes))
        object.__setattr__(self, "references", tuple(self.references))
        object.__setattr__(self, "renamed", tuple(tuple(p) for p in self.renamed))
        where = f"signature '{self.name}'"
        if not self.name or any(c.isspace() for c in self.name):
            raise InputError(f"{where}: a signature name must be non-empty without spaces.")
        if not self.genes:
            raise InputError(f"{where} has no genes; give at least one gene symbol.")
        if any(not g or any(c.isspace() for c in g) for g in self.genes):
            raise InputError(f"{where}: empty gene symbol or symbol with spaces; fix the list.")
        if len(set(self.genes)) != len(self.genes):
            dup = sorted({g for g in self.genes if self.genes.count(g) > 1})
            raise InputError(f"{where}: duplicated genes {dup}; list each gene once.")
        if self.compartment not in (*COMPARTMENTS, USER_COMPARTMENT):
            raise InputError(f"{where}: unknown compartment '{self.compartment}'; use one of "
                             f"{', '.join((*COMPARTMENTS, USER_COMPARTMENT))}.")
        if self.weights is not None:
            w = tuple(float(x) for x in self.weights)
            if len(w) != len(self.genes):
                raise InputError(f"{where}: {len(w)} weights for {len(self.genes)} genes; "
                                 "give one weight per gene.")
            if any(x == 0 or not math.isfinite(x) for x in w):
                raise InputError(f"{where}: weights must be finite and non-zero.")
            object.__setattr__(self, "weights", w)

    @property
    def n_genes(self) -> int:
        """Number of genes."""
        return len(self.genes)

    @property
    def reference(self) -> Reference | None:
        """The primary reference (first one), if any."""
        return self.references[0] if self.references else None

    @property
    def direction(self) -> tuple[int, ...]:
        """Per-gene direction, +1 or -1 (all +1 for an unweighted signature)."""
        if self.weights is None:
            return (1,) * len(self.genes)
        return tuple(1 if w > 0 else -1 for w in self.weights)

    @property
    def renamed_map(self) -> dict[str, str]:
        """Published symbol -> current symbol, for the symbols that were updated."""
        return dict(self.renamed)

    def to_record(self) -> dict:
        """A JSON-ready dict of every field (the canonical content used by the fingerprint)."""
        return {
            "name": self.name, "compartment": self.compartment, "description": self.description,
            "genes": list(self.genes),
            "weights": list(self.weights) if self.weights is not None else None,
            "references": [r.to_record() for r in self.references],
            "source": self.source, "note": self.note, "renamed": dict(self.renamed),
        }


class Catalogue:
    """An ordered, name-indexed collection of :class:`Signature`.

    Parameters
    ----------
    signatures : iterable of Signature
        Initial content; names must be unique.
    """

    def __init__(self, signatures: Iterable[Signature] = ()) -> None:
        self._sigs: dict[str, Signature] = {}
        for s in signatures:
            self.add(s)

    def add(self, signature: Signature, *, overwrite: bool = False) -> None:
        """Add one signature; an existing name is an error unless ``overwrite``."""
        if signature.name in self._sigs and not overwrite:
            raise InputError(f"a signature named '{signature.name}' is already in the "
                             "catalogue; rename yours or pass overwrite=True.")
        self._sigs[signature.name] = signature

    def get(self, name: str) -> Signature:
        """The signature called ``name``.

        Raises
        ------
        InputError
            No such signature (the message suggests the nearest names).
        """
        try:
            return self._sigs[name]
        except KeyError:
            close = difflib.get_close_matches(name, list(self._sigs), n=3)
            hint = f" did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise InputError(f"unknown signature '{name}';{hint} "
                             "see `tmeprog signatures list`.") from None

    __getitem__ = get

    def __contains__(self, name: object) -> bool:
        return name in self._sigs

    def __iter__(self) -> Iterator[Signature]:
        return iter(self._sigs.values())

    def __len__(self) -> int:
        return len(self._sigs)

    def __repr__(self) -> str:
        return f"Catalogue({len(self)} signatures)"

    def names(self, compartment: str | None = None) -> list[str]:
        """Signature names in catalogue order, optionally of one compartment only."""
        return [s.name for s in self if compartment is None or s.compartment == compartment]

    def as_dict(self) -> dict[str, list[str]]:
        """Name -> genes."""
        return {s.name: list(s.genes) for s in self}

    def by_compartment(self) -> dict[str, list[str]]:
        """Compartment -> signature names (bundled compartments first, in their fixed order)."""
        out: dict[str, list[str]] = {}
        order = {c: i for i, c in enumerate(COMPARTMENTS)}
        for s in sorted(self, key=lambda s: order.get(s.compartment, len(order))):
            out.setdefault(s.compartment, []).append(s.name)
        return out

    def subset(self, names: Iterable[str]) -> Catalogue:
        """A new catalogue with the named signatures, in the order given."""
        return Catalogue(self.get(n) for n in names)

    def add_gmt(self, path: str | os.PathLike, compartment: str = USER_COMPARTMENT, *,
                overwrite: bool = False) -> list[str]:
        """Add every set of a GMT file as a signature (column 2 is ignored).

        Parameters
        ----------
        path : str or path-like
            The GMT file.
        compartment : str, default "user"
            Compartment given to the added signatures.
        overwrite : bool, default False
            Replace signatures of the same name; without it a clash is an error and nothing is
            added.

        Returns
        -------
        list of str
            The names added.
        """
        sets = read_gmt(path)
        clash = [n for n in sets if n in self._sigs]
        if clash and not overwrite:
            raise InputError(f"{path}: set names {clash} are already in the catalogue; "
                             "rename them in the file or pass overwrite=True.")
        src = f"GMT file {Path(path).name}"
        new = [Signature(name=n, genes=tuple(g), compartment=compartment, source=src,
                         note=f"added from {src}") for n, g in sets.items()]
        for s in new:
            self.add(s, overwrite=True)
        return [s.name for s in new]

    def to_gmt(self, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Write the catalogue as a GMT file (column 2: the primary DOI link or the source)."""
        desc = {s.name: (s.reference.url if s.reference and s.reference.url else s.source)
                or s.name for s in self}
        return write_gmt(self.as_dict(), path, descriptions=desc, overwrite=overwrite)

    def records(self) -> list[dict]:
        """Every signature as a JSON-ready dict, in catalogue order."""
        return [s.to_record() for s in self]

    def fingerprint(self) -> str:
        """SHA-256 (hex) of the canonical content: changes whenever any gene, weight, name,
        compartment or citation changes; independent of catalogue order."""
        canon = json.dumps(sorted(self.records(), key=lambda r: r["name"]), sort_keys=True,
                           separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256(canon.encode("ascii")).hexdigest()


def _parse(doc: Mapping) -> tuple[Signature, ...]:
    refs = {k: Reference(v["citation"], v.get("doi"), v.get("pmid"))
            for k, v in doc.get("references", {}).items()}
    out = []
    for rec in doc["signatures"]:
        name = rec.get("name", "?")
        missing = [k for k in rec.get("references", []) if k not in refs]
        if missing:
            raise InputError(f"signature '{name}' cites unknown references {missing}.")
        genes = tuple(rec["genes"])
        weights = None
        if rec.get("weights") is not None:
            w = rec["weights"]
            weights = tuple(w[g] for g in genes) if isinstance(w, Mapping) else tuple(w)
        elif rec.get("direction") is not None:
            d = rec["direction"]
            weights = tuple(d[g] for g in genes) if isinstance(d, Mapping) else tuple(d)
        out.append(Signature(
            name=name, genes=genes, compartment=rec["compartment"],
            references=tuple(refs[k] for k in rec.get("references", [])),
            description=rec.get("description", ""), source=rec.get("source", ""),
            note=rec.get("note", ""), weights=weights,
            renamed=tuple(rec.get("renamed", {}).items())))
    return tuple(out)


@lru_cache(maxsize=1)
def _bundled() -> tuple[Signature, ...]:
    text = resources.files("tmeprog.signatures").joinpath("data", _DATA_FILE).read_text("utf-8")
    return _parse(json.loads(text))


def load_catalogue() -> Catalogue:
    """The bundled catalogue (a fresh, independent :class:`Catalogue` on each call).

    Returns
    -------
    Catalogue
        Every bundled signature, in the order of the data file.
    """
    return Catalogue(_bundled())
