"""Which axis of a table holds the genes: the names of the two orientations, and the sample of
labels an orientation is judged on."""

from __future__ import annotations

import pandas as pd

from tmeprog.errors import InputError

ORIENTATIONS = ("auto", "genes_x_samples", "samples_x_genes")
#: Labels of an axis looked at when judging whether they are gene identifiers.
LABEL_SAMPLE = 2000


def check_orientation(stated: str, label: str) -> str:
    """Return ``stated`` if it names an orientation, else raise :class:`InputError`.

    ``label`` names the setting in the message, just before the value (``"orientation="``,
    ``"--orientation "``).
    """
    if stated not in ORIENTATIONS:
        raise InputError(f"{label}{stated!r}; use one of {', '.join(ORIENTATIONS)}")
    return stated


def orientation_name(genes_on_rows: bool) -> str:
    """``"genes_x_samples"`` or ``"samples_x_genes"``."""
    return "genes_x_samples" if genes_on_rows else "samples_x_genes"


def label_sample(labels: pd.Index) -> pd.Index:
    """About :data:`LABEL_SAMPLE` labels spread evenly over ``labels``."""
    return labels[:: max(1, len(labels) // LABEL_SAMPLE)]
