"""The method registry: every scoring, deconvolution and pathway-activity method, with its
reference.

The methods are listed in one place, ``methods.toml`` beside this module. Each
:class:`Method` names its callable by import path (resolved only when asked, so listing methods
imports no kernel), the publication it implements (DOI), and whether it is *cohort-dependent*:
whether a score needs a per-gene reference estimated on samples (frozen at fit, so a patient
scored alone still gets the number they get inside a cohort). ``tmeprog signatures methods``
prints the registry.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import import_module, resources

from tmeprog.errors import InputError
from tmeprog.signatures.catalogue import Reference

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


def _read_methods() -> tuple[Method, ...]:
    """The methods listed in ``methods.toml``, in its order."""
    rows = tomllib.loads(resources.files("tmeprog.features").joinpath("methods.toml")
                         .read_text(encoding="utf-8"))["method"]
    return tuple(Method(r["name"], r["kind"], r["target"],
                        Reference(r["citation"], r["doi"], r["pmid"]), r["cohort_dependent"],
                        r["summary"])
                 for r in rows)


_METHODS = _read_methods()


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
