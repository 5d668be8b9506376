"""Registered cohorts: the entry record and the table every named cohort is listed in.

The ground floor of the registry: bundled cohorts are listed here, downloadable ones add
themselves with :func:`register` when :mod:`tmeprog.cohorts.download` is imported, and
:mod:`tmeprog.cohorts.registry` looks names up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tmeprog.cohorts.bundled import BUNDLED, load_bundled
from tmeprog.cohorts.model import Cohort


@dataclass(frozen=True)
class CohortEntry:
    """One registered cohort."""

    name: str
    offline: bool
    description: str
    load: Callable[[], Cohort]
    is_cached: Callable[[], bool]
    fetch: Callable[[], None] | None = None


def _bundled_entry(name: str) -> CohortEntry:
    return CohortEntry(
        name=name,
        offline=True,
        description=BUNDLED[name].meta.description,
        load=lambda: load_bundled(name),
        is_cached=lambda: True,
    )


REGISTRY: dict[str, CohortEntry] = {n: _bundled_entry(n) for n in BUNDLED}


def register(entry: CohortEntry) -> None:
    """Add a cohort to the registry (used by the downloadable-cohort modules)."""
    REGISTRY[entry.name] = entry
