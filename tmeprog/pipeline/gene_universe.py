"""A gene universe for training: build every feature on the genes of a target cohort or panel.

``tmeprog train --gene-universe PATH`` restricts the training expression to the genes of PATH
(an expression file, a registered cohort, or a one-column gene list such as a targeted panel)
before the feature extractor is fitted. Every signature is then scored on genes the target
has, so the model can score that cohort at its own coverage. The served model keeps the
universe's size and fingerprint (``Scorer.info["gene_universe"]``); its extractor's gene list
is the universe shared with the training cohorts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tmeprog.cohorts import load_cohort
from tmeprog.cohorts.genes import harmonise_genes
from tmeprog.errors import InputError

#: Fewest genes a universe must share with the training cohorts.
MIN_SHARED_GENES = 1000


@dataclass(frozen=True)
class GeneUniverse:
    """Gene symbols (HGNC, harmonised) of a target cohort or panel."""

    genes: tuple[str, ...]
    source: str
    kind: str  # "gene list" or "expression"

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the sorted gene symbols, one per line."""
        return hashlib.sha256("\n".join(sorted(self.genes)).encode()).hexdigest()

    def describe(self, shared: int) -> dict:
        """What the run logs and the served model keeps (no gene list)."""
        return {"source": self.source, "kind": self.kind, "n_genes": len(self.genes),
                "n_shared_with_training": int(shared), "sha256": self.fingerprint}


def _is_gene_list(path: Path) -> bool:
    """A text file whose non-empty lines hold one field each."""
    if path.suffix.lower() in (".parquet", ".pq", ".h5ad", ".zarr", ".gz"):
        return False
    try:
        with path.open(encoding="utf-8-sig", errors="replace") as fh:
            lines = [ln.strip() for _, ln in zip(range(50), fh, strict=False)]
    except (OSError, UnicodeError):
        return False
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    return bool(lines) and all(len(ln.replace(",", "\t").split("\t")) == 1 and " " not in ln
                               for ln in lines)


def _read_gene_list(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig") as fh:
        raw = [ln.strip() for ln in fh if ln.strip() and not ln.startswith("#")]
    if raw and raw[0].lower() in ("gene", "genes", "symbol", "gene_symbol", "hgnc_symbol"):
        raw = raw[1:]
    if not raw:
        raise InputError(f"gene universe {path.name!r} lists no gene; give one gene symbol "
                         "per line (or an expression file)")
    frame = pd.DataFrame(columns=pd.Index(list(dict.fromkeys(raw))), dtype=float)
    harmonised, _ = harmonise_genes(frame)
    return list(harmonised.columns)


def read_gene_universe(source: str | Path) -> GeneUniverse:
    """Read a gene universe from a gene list, an expression file or a registered cohort.

    Parameters
    ----------
    source : str or Path
        A one-column text file of gene identifiers (symbols, aliases, Ensembl or Entrez ids;
        an optional ``gene`` header), an expression file or cohort folder, or a registered
        cohort name.

    Returns
    -------
    GeneUniverse

    Raises
    ------
    InputError
        Unreadable source, or no gene in it.
    """
    p = Path(source)
    if p.is_file() and _is_gene_list(p):
        return GeneUniverse(tuple(_read_gene_list(p)), p.name, "gene list")
    try:
        cohort = load_cohort(source)
    except InputError as exc:
        raise InputError(f"gene universe {str(source)!r}: {exc}") from None
    if cohort.expression is None:
        raise InputError(f"gene universe {str(source)!r} has no gene expression; give an "
                         "expression file or a one-column gene list")
    e = cohort.expression
    genes = e.columns[e.notna().any(axis=0).to_numpy()]
    return GeneUniverse(tuple(str(g) for g in genes), p.name if p.exists() else str(source),
                        "expression")


def restrict_expression(expression: pd.DataFrame, universe: GeneUniverse) -> pd.DataFrame:
    """The training expression on the universe's genes.

    Raises
    ------
    InputError
        When fewer than :data:`MIN_SHARED_GENES` universe genes occur in the training cohorts.
    """
    present = expression.columns[expression.notna().any(axis=0).to_numpy()]
    keep = present[present.isin(set(universe.genes))]
    if len(keep) < MIN_SHARED_GENES:
        raise InputError(
            f"gene universe {universe.source!r} ({len(universe.genes)} genes) shares "
            f"{len(keep)} genes with the training cohorts; at least {MIN_SHARED_GENES} are "
            "needed for rank-based TME scores. Check its gene identifiers (symbols, Ensembl or "
            "Entrez ids, one per line) or train on cohorts measuring these genes")
    return expression[keep]
