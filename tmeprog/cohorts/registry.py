"""The cohort registry: every named cohort, offline or downloadable, and ``load_cohort``."""

from __future__ import annotations

import difflib
from pathlib import Path

from tmeprog.cohorts.download import sniff_cohort_file  # also registers downloadable cohorts
from tmeprog.cohorts.entries import REGISTRY, CohortEntry, register
from tmeprog.cohorts.model import Cohort
from tmeprog.cohorts.userfiles import load_user_cohort
from tmeprog.errors import UnknownCohortError

__all__ = ["REGISTRY", "CohortEntry", "cohort_names", "describe", "get_entry", "load_cohort",
           "register"]


def cohort_names() -> list[str]:
    """All registered cohort names."""
    return list(REGISTRY)


def get_entry(name: str) -> CohortEntry:
    """The registry entry of ``name``; unknown names raise with the nearest suggestion."""
    key = name.lower()
    if key in REGISTRY:
        return REGISTRY[key]
    near = difflib.get_close_matches(key, list(REGISTRY), n=1, cutoff=0.5)
    hint = f"; did you mean {near[0]!r}?" if near else ""
    raise UnknownCohortError(
        f"unknown cohort {name!r}{hint} Known cohorts: {', '.join(REGISTRY)}. "
        "A path to an existing file is also accepted."
    )


def load_cohort(name_or_path: str | Path, **kwargs) -> Cohort:
    """Load a cohort by registry name, or from a user file.

    Parameters
    ----------
    name_or_path : str or Path
        A registered name (``tmeprog cohorts list``) or the path of an expression file,
        a feature table, or a cohort folder.
    **kwargs
        Passed to the user-file loader (``clinical=``, ``scale=``, ``orientation=`` ...).

    Returns
    -------
    Cohort
    """
    p = Path(name_or_path)
    key = str(name_or_path).lower()
    if key in REGISTRY and not kwargs:
        return REGISTRY[key].load()
    if p.exists() and not kwargs:
        loader = sniff_cohort_file(p)
        if loader is not None:
            return loader(p)
    if p.exists() or p.suffix or kwargs:
        return load_user_cohort(p, **kwargs)
    return get_entry(str(name_or_path)).load()


def describe(name: str) -> dict:
    """Listing record of one cohort: name, sizes, endpoints, source, offline, cached.

    Sizes and endpoints come from the loaded data when the cohort is available offline or
    cached; otherwise they are ``None`` (nothing is downloaded).
    """
    entry = get_entry(name)
    cached = bool(entry.is_cached())
    rec = {"name": entry.name, "n_samples": None, "n_genes": None, "endpoints": [],
           "source": None, "offline": entry.offline, "cached": cached,
           "description": entry.description}
    if cached:
        c = entry.load()
        rec.update(n_samples=c.n_samples, n_genes=c.n_genes,
                   endpoints=sorted(c.endpoint_info), source=c.meta.source)
    return rec
