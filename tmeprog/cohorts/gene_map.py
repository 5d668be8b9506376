"""Offline identifier -> current HGNC symbol mapping (placeholder until the table is built)."""

from __future__ import annotations

import pandas as pd


def map_identifiers(ids: pd.Index) -> tuple[pd.Series, pd.Series]:
    """Map identifiers to current symbols.

    Returns
    -------
    (pandas.Series, pandas.Series)
        Mapped symbols (missing where unmapped) and the kind of each identifier
        (``symbol``, ``alias``, ``ensembl``, ``entrez``, ``unknown``).
    """
    s = pd.Series(ids, index=range(len(ids)), dtype=object)
    kinds = pd.Series("symbol", index=s.index)
    return s, kinds
