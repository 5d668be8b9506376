"""Gene-identifier harmonisation: every expression matrix ends with unique gene symbols.

Steps, each counted in the :class:`GeneReport`:

1. trim white space; with a probe annotation (``annotation=``, probe id -> symbol), replace
   probe ids by their annotated symbol (a probe annotated with several symbols, ``A /// B``, or
   none is dropped; so is an identifier absent from the annotation that is no known gene id);
2. map identifiers case-insensitively with the offline table of :mod:`tmeprog.cohorts.gene_map`
   (built from ``org.Hs.eg.db`` by ``scripts/build_gene_map.R``): current symbols keep their
   official spelling, outdated aliases become current symbols, Ensembl (version suffix dropped)
   and Entrez ids become symbols; a symbol that is already current is never remapped;
3. identifiers the table does not know are kept, upper-cased, when they look like gene symbols
   (``LOC...``, newer symbols) and counted as unknown; ambiguous aliases (naming several current
   symbols) are kept under their own name, unmapped, and counted; everything else (empty, numeric,
   Ensembl or probe-like ids) is dropped and counted;
4. collapse duplicated symbols by keeping, per symbol, the column with the highest mean
   expression over samples (the common "max-mean" rule for probes of one gene; ties keep the
   first column); the count is reported. The loader of users' files keeps every copy
   (``duplicates="keep"``) and applies its explicit rule instead
   (:mod:`tmeprog.cohorts.expression_sanity`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tmeprog.cohorts.gene_map import gene_map_version, is_current_symbol, resolve_identifiers

_SYMBOL_LIKE = re.compile(r"^[A-Z][A-Z0-9]*(?:[-.@][A-Z0-9]+)*$")
_NOT_SYMBOL = re.compile(r"^(?:ENS[A-Z]*[GTP]\d+|\d+)$")
_N_EXAMPLES = 5


@dataclass
class GeneReport:
    """Counts of what harmonisation did.

    ``n_unknown_kept`` identifiers are symbol-like but absent from the table (kept);
    ``n_ambiguous`` are aliases of several current symbols (kept unmapped);
    ``n_recognised`` output columns are current symbols.
    """

    n_input: int = 0
    n_renamed_alias: int = 0
    n_mapped_ids: int = 0
    n_dropped_unmapped: int = 0
    n_duplicates_collapsed: int = 0
    n_output: int = 0
    n_current: int = 0
    n_via_annotation: int = 0
    n_ambiguous: int = 0
    n_unknown_kept: int = 0
    n_recognised: int = 0
    duplicate_rule: str = "max mean"
    source: str = ""
    examples: dict[str, list[str]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """Human-readable report lines."""
        ex = self.examples
        out = [
            f"genes: {self.n_input} identifiers in, {self.n_output} unique symbols out "
            f"({self.n_recognised} current symbols; map: {self.source or 'n/a'})",
        ]
        if self.n_via_annotation:
            out.append(f"genes: {self.n_via_annotation} probe ids replaced by annotated symbols")
        out.append(
            f"genes: {self.n_current} current symbols, {self.n_renamed_alias} aliases renamed "
            f"to current symbols{_eg(ex.get('alias'))}, {self.n_mapped_ids} Ensembl/Entrez ids "
            "mapped"
        )
        if self.n_ambiguous or self.n_unknown_kept:
            out.append(
                f"genes: kept unmapped: {self.n_unknown_kept} unknown symbol-like identifiers"
                f"{_eg(ex.get('unknown'))}, {self.n_ambiguous} ambiguous aliases"
                f"{_eg(ex.get('ambiguous'))}"
            )
        out.append(
            f"genes: {self.n_dropped_unmapped} unmapped identifiers dropped"
            f"{_eg(ex.get('dropped'))}, {self.n_duplicates_collapsed} duplicate columns "
            f"collapsed ({self.duplicate_rule})"
        )
        return out


def _eg(values: list[str] | None) -> str:
    return f" (e.g. {', '.join(values)})" if values else ""


def _annotation_series(annotation) -> pd.Series:
    if isinstance(annotation, pd.DataFrame):
        if annotation.shape[1] != 1:
            raise ValueError("annotation must be a Series (probe id -> symbol) or one column")
        annotation = annotation.iloc[:, 0]
    s = pd.Series(annotation, dtype=object)
    s.index = pd.Index(s.index.astype(str)).str.strip()
    s = s[~s.index.duplicated()]
    return s.astype("string").str.strip()


def harmonise_genes(
    expression: pd.DataFrame, annotation: pd.Series | dict | None = None,
    duplicates: str = "max-mean",
) -> tuple[pd.DataFrame, GeneReport]:
    """Harmonise the gene columns of a samples x genes matrix.

    Parameters
    ----------
    expression : pandas.DataFrame
        Samples x genes; columns are symbols, aliases, Ensembl or Entrez ids, or probe ids
        when ``annotation`` is given.
    annotation : pandas.Series or dict, optional
        Probe id -> gene symbol (or any identifier the gene table knows).
    duplicates : {"max-mean", "keep"}
        ``max-mean``: step 4; ``keep``: columns mapping to one symbol are all kept (for a
        caller applying its own rule, see :mod:`tmeprog.cohorts.expression_sanity`).

    Returns
    -------
    (pandas.DataFrame, GeneReport)
        The matrix with symbols as columns (named ``gene``; unique unless ``keep``), and what
        was done.
    """
    rep = GeneReport(n_input=expression.shape[1], source=gene_map_version())
    given = pd.Index(expression.columns.astype(str)).str.strip()
    ids = given
    annotated = np.zeros(len(given), dtype=bool)
    bad_annotation = np.zeros(len(given), dtype=bool)
    if annotation is not None:
        ann = _annotation_series(annotation)
        pos = ann.index.get_indexer(given)
        annotated = pos >= 0
        sym = pd.Series(pd.NA, index=range(len(given)), dtype="string")
        sym[annotated] = ann.to_numpy()[pos[annotated]]
        multi = sym.str.contains(r"///|[;,|]", regex=True).fillna(False).to_numpy()
        bad_annotation = annotated & (sym.isna().to_numpy() | (sym == "").fillna(True).to_numpy()
                                      | multi)
        ids = pd.Index(np.where(annotated & ~bad_annotation, sym.fillna("").to_numpy(), given))
        rep.n_via_annotation = int((annotated & ~bad_annotation).sum())

    d = resolve_identifiers(ids)
    kinds = d["kind"].to_numpy()
    upper = pd.Index(ids).str.upper()
    symbol_like = (np.asarray(upper.str.match(_SYMBOL_LIKE), dtype=bool)
                   & ~np.asarray(upper.str.match(_NOT_SYMBOL), dtype=bool))
    unknown = kinds == "unknown"
    ambiguous = kinds == "ambiguous"
    keep_unmapped = (unknown | ambiguous) & symbol_like & ~bad_annotation
    if annotation is not None:  # with an annotation, unknown ids are probes without a symbol
        keep_unmapped &= annotated | ambiguous
    mapped = ~(unknown | ambiguous) & ~bad_annotation
    keep = mapped | keep_unmapped
    names = np.where(mapped, d["symbol"].to_numpy(), np.asarray(upper, dtype=object))

    rep.n_current = int(((kinds == "symbol") & keep).sum())
    is_alias = (kinds == "alias") & keep
    rep.n_renamed_alias = int(is_alias.sum())
    rep.n_mapped_ids = int((np.isin(kinds, ["ensembl", "entrez"]) & keep).sum())
    rep.n_ambiguous = int((ambiguous & keep).sum())
    rep.n_unknown_kept = int((unknown & keep).sum())
    rep.n_dropped_unmapped = int((~keep).sum())
    rep.examples = {
        "alias": [f"{a}->{b}" for a, b in zip(given[is_alias][:_N_EXAMPLES],
                                                names[is_alias][:_N_EXAMPLES], strict=True)],
        "ambiguous": [f"{a} ({c})" for a, c in zip(
            upper[ambiguous & keep][:_N_EXAMPLES],
            d["candidates"].to_numpy()[ambiguous & keep][:_N_EXAMPLES], strict=True)],
        "unknown": list(upper[unknown & keep][:_N_EXAMPLES]),
        "dropped": list(given[~keep][:_N_EXAMPLES]),
    }

    out = expression.loc[:, keep]
    out.columns = pd.Index(names[keep], name="gene")
    if duplicates not in ("max-mean", "keep"):
        raise ValueError(f"duplicates={duplicates!r}; use 'max-mean' or 'keep'")
    if out.columns.has_duplicates and duplicates == "max-mean":
        means = out.mean(axis=0).to_numpy()
        order = pd.DataFrame({"sym": out.columns, "m": means, "i": range(out.shape[1])})
        best = (order.sort_values(["sym", "m"], ascending=[True, False], kind="stable",
                                  na_position="last")
                .drop_duplicates("sym"))
        rep.n_duplicates_collapsed = out.shape[1] - len(best)
        out = out.iloc[:, np.sort(best["i"].to_numpy())]
    rep.n_output = out.columns.nunique()
    rep.n_recognised = int(is_current_symbol(out.columns.unique()).sum())
    return out, rep
