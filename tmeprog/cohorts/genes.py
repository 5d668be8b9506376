"""Gene-identifier harmonisation: every expression matrix ends with unique current HGNC symbols.

Steps, each counted in the :class:`GeneReport`:

1. trim white space and upper-case;
2. map Ensembl (``ENSG...``, version suffix dropped) and Entrez ids to symbols, and outdated
   aliases to current symbols, with the offline table in ``data/gene_map.tsv.gz`` (built by
   ``scripts/build_gene_map.R``); a symbol that is already current is never remapped;
3. drop identifiers that stay unmapped when they are Ensembl/Entrez ids or empty;
4. collapse duplicated symbols by keeping, per symbol, the column with the highest mean
   expression (the common "max-mean" rule for probes of one gene); the count is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class GeneReport:
    """Counts of what harmonisation did."""

    n_input: int = 0
    n_renamed_alias: int = 0
    n_mapped_ids: int = 0
    n_dropped_unmapped: int = 0
    n_duplicates_collapsed: int = 0
    n_output: int = 0
    examples: dict[str, list[str]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """Human-readable report lines."""
        return [
            f"genes: {self.n_input} identifiers in, {self.n_output} unique symbols out",
            f"genes: {self.n_mapped_ids} Ensembl/Entrez ids mapped to symbols, "
            f"{self.n_renamed_alias} aliases renamed to current symbols",
            f"genes: {self.n_dropped_unmapped} unmapped identifiers dropped, "
            f"{self.n_duplicates_collapsed} duplicate columns collapsed (max mean)",
        ]


def harmonise_genes(expression: pd.DataFrame) -> tuple[pd.DataFrame, GeneReport]:
    """Harmonise the gene columns of a samples x genes matrix.

    Parameters
    ----------
    expression : pandas.DataFrame
        Samples x genes; columns are symbols, aliases, Ensembl or Entrez ids.

    Returns
    -------
    (pandas.DataFrame, GeneReport)
        The matrix with unique current symbols as columns, and what was done.
    """
    from tmeprog.cohorts.gene_map import map_identifiers

    rep = GeneReport(n_input=expression.shape[1])
    ids = pd.Index(expression.columns.astype(str)).str.strip().str.upper()
    mapped, kinds = map_identifiers(ids)
    rep.n_renamed_alias = int((kinds == "alias").sum())
    rep.n_mapped_ids = int(kinds.isin(["ensembl", "entrez"]).sum())
    keep = mapped.notna() & (mapped != "")
    rep.n_dropped_unmapped = int((~keep).sum())
    out = expression.loc[:, keep.to_numpy()]
    out.columns = pd.Index(mapped[keep].to_numpy(), name="gene")
    if out.columns.has_duplicates:
        means = out.mean(axis=0).to_numpy()
        order = pd.DataFrame({"sym": out.columns, "m": means, "i": range(out.shape[1])})
        best = order.sort_values(["sym", "m"], ascending=[True, False]).drop_duplicates("sym")
        rep.n_duplicates_collapsed = out.shape[1] - len(best)
        out = out.iloc[:, sorted(best["i"])]
    rep.n_output = out.shape[1]
    return out, rep
