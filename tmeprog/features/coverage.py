"""Per-signature gene-coverage audit: which genes of each signature the data hold."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd


class CoverageWarning(UserWarning):
    """A feature is NaN because too few of its signature's genes are present."""


def coverage_table(genes: Iterable[str], signatures: Mapping[str, Sequence[str]],
                   threshold: float) -> pd.DataFrame:
    """Coverage of each signature by ``genes``.

    Parameters
    ----------
    genes : iterable of str
        Gene symbols available.
    signatures : mapping
        Name -> gene symbols.
    threshold : float
        Minimum fraction of a signature's genes that must be present.

    Returns
    -------
    pandas.DataFrame
        Indexed by signature: ``n_genes``, ``n_present``, ``coverage``, ``ok`` and ``missing``
        (the absent genes, comma-separated).
    """
    have = set(genes)
    rows = []
    for name, sig in signatures.items():
        sig = list(dict.fromkeys(sig))
        present = [g for g in sig if g in have]
        cov = len(present) / len(sig) if sig else 0.0
        rows.append({"signature": name, "n_genes": len(sig), "n_present": len(present),
                     "coverage": cov, "ok": bool(present) and cov >= threshold,
                     "missing": ",".join(g for g in sig if g not in have)})
    cols = ["signature", "n_genes", "n_present", "coverage", "ok", "missing"]
    return pd.DataFrame(rows, columns=cols).set_index("signature")


def combine_coverage(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """One audit over groups of samples with different genes (e.g. the cohorts of a pipeline).

    Parameters
    ----------
    tables : sequence of pandas.DataFrame
        :func:`coverage_table` of each group, same signatures.

    Returns
    -------
    pandas.DataFrame
        The best-covered group's row per signature (``ok``: some group covers it), plus
        ``n_groups_ok`` (how many groups cover it), ``n_groups`` and ``n_present_min`` /
        ``coverage_min`` (the worst-covered group).
    """
    best = tables[0].copy()
    for t in tables[1:]:
        higher = t["coverage"] > best["coverage"]
        best.loc[higher] = t.loc[higher]
    best["ok"] = best["ok"].astype(bool)
    best["n_groups_ok"] = sum(t["ok"].astype(int) for t in tables)
    best["n_groups"] = len(tables)
    best["n_present_min"] = pd.concat([t["n_present"] for t in tables], axis=1).min(axis=1)
    best["coverage_min"] = pd.concat([t["coverage"] for t in tables], axis=1).min(axis=1)
    return best


def warn_low_coverage(table: pd.DataFrame, where: str = "") -> list[str]:
    """Emit one :class:`CoverageWarning` per signature below threshold; return their names."""
    low = table.index[~table["ok"]].tolist()
    for name in low:
        r = table.loc[name]
        miss = r["missing"].split(",") if r["missing"] else []
        shown = ", ".join(miss[:12]) + (" ..." if len(miss) > 12 else "")
        warnings.warn(
            f"{where}{name}: {r['n_present']}/{r['n_genes']} genes present "
            f"({r['coverage']:.0%}); feature set to NaN. Missing: {shown}",
            CoverageWarning, stacklevel=3,
        )
    return low
