"""Gene-coverage checks of a served model's TME features, up front and per sample.

A feature the model uses is computed from its signature's genes present in the input. Below the
extractor's coverage threshold it cannot be computed (an error before any scoring); above it
but with fewer genes than at training, the sample is scored and its ``coverage_warning`` names
the features concerned.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tmeprog.errors import InputError
from tmeprog.features.coverage import coverage_table
from tmeprog.features.definitions import DERIVED_FEATURES, ESTIMATE_FEATURES, FRACTION_FEATURES
from tmeprog.features.extractor import QUANTISEQ_AUDIT
from tmeprog.serving.scorer import Scorer

#: Features computed from other features, and the scored features they need.
_DERIVED_SOURCES = tuple(ESTIMATE_FEATURES)


@dataclass(frozen=True)
class CoverageModel:
    """The signatures a scorer's features need, with their gene counts at training."""

    gene_sets: dict[str, list[str]]
    trained: dict[str, int]
    threshold: float
    universe: frozenset[str]
    min_genes: int
    imputable: frozenset[str] = frozenset()

    @classmethod
    def of(cls, scorer: Scorer) -> CoverageModel | None:
        """None when the scorer extracts no TME features from expression."""
        ext = scorer.extractor
        if ext is None or not scorer.feature_columns:
            return None
        # cell fractions and pathway activities: their gene sets (TIL10, PROGENy footprints)
        blocks = ext.block_gene_sets() if hasattr(ext, "block_gene_sets") else {}
        needed: list[str] = []
        for f in scorer.feature_columns:
            srcs = (_DERIVED_SOURCES if f in DERIVED_FEATURES
                    else (QUANTISEQ_AUDIT,) if f in FRACTION_FEATURES else (f,))
            needed += [s for s in srcs if (s in ext.signatures_ or s in blocks)
                       and s not in needed]
        sets = {f: list(dict.fromkeys(ext.signatures_[f]["up"] + ext.signatures_[f]["down"]))
                if f in ext.signatures_ else list(blocks[f]) for f in needed}
        trained = {f: int(ext.coverage_.loc[f, "n_present"]) if f in ext.coverage_.index
                   else len(sets[f]) for f in needed}
        imputable = frozenset(f for f in getattr(scorer, "imputable", ()) if f in sets)
        return cls(gene_sets=sets, trained=trained, threshold=float(ext.coverage_threshold),
                   universe=frozenset(ext.input_genes_), min_genes=int(ext.min_genes),
                   imputable=imputable)

    def table(self, genes) -> pd.DataFrame:
        """:func:`~tmeprog.features.coverage.coverage_table` of the needed signatures."""
        return coverage_table(genes, self.gene_sets, self.threshold)

    def model_genes(self, cohort, where: str) -> tuple[pd.DataFrame, list[str]]:
        """The cohort's expression on the model's genes (those measured in some sample,
        sorted) and the partial-coverage notes; an error when the cohort has no expression."""
        if cohort.expression is None:
            raise InputError(f"{where} has no gene expression; the model computes TME features "
                             "from expression (give an expression file or cohort)")
        e = cohort.expression
        present = e.columns[e.notna().any(axis=0).to_numpy()]
        genes = pd.Index([g for g in present if g in self.universe]).sort_values()
        return e[genes], [f"partial gene coverage: {n}" for n in self.audit(genes, where)]

    def audit(self, genes, where: str) -> list[str]:
        """Raise when ``genes`` cannot feed the model; return notes on partial coverage."""
        have = [g for g in genes if g in self.universe]
        if len(have) < self.min_genes:
            raise InputError(
                f"{where} holds {len(have)} of the model's {len(self.universe)} genes (at least "
                f"{self.min_genes} are needed for rank-based TME scores); check the gene "
                "identifiers (symbols, Ensembl or Entrez ids) and the orientation"
            )
        tab = self.table(have)
        bad = tab[~tab["ok"] & ~tab.index.isin(list(self.imputable))]
        if len(bad):
            parts = []
            for name, r in bad.iterrows():
                miss = r["missing"].split(",") if r["missing"] else []
                parts.append(f"{name} {r['n_present']}/{r['n_genes']} genes (missing "
                             f"{', '.join(miss[:8])}{' ...' if len(miss) > 8 else ''})")
            raise InputError(
                f"{where} lacks too many genes of {len(bad)} TME feature(s) the model uses "
                f"(coverage below {self.threshold:.0%}): {'; '.join(parts)}; supply "
                "genome-wide expression with these genes, or build a model on this cohort's "
                "genes first: `tmeprog train --gene-universe FILE` (this expression file or "
                "a one-column list of its genes) and score with that model"
            )
        return self.notes(tab)

    def notes(self, tab: pd.DataFrame) -> list[str]:
        """Features with fewer genes than at training (coverage still above threshold), and
        imputed features (below threshold; a training cohort lacked them too)."""
        out = []
        for name, r in tab.iterrows():
            if r["ok"] and r["n_present"] < self.trained[name]:
                out.append(f"{name} {int(r['n_present'])}/{r['n_genes']} genes (trained with "
                           f"{self.trained[name]})")
            elif not r["ok"] and name in self.imputable:
                out.append(f"{name} {int(r['n_present'])}/{r['n_genes']} genes: below the "
                           "coverage threshold, imputed by the training median")
        return out

    def per_sample(self, frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
        """Per-row ``(warning, failure)`` texts, both empty when the row is fine.

        The warning names features scored on fewer genes than at training; the failure names
        features below the coverage threshold (the scorer cannot score that row).
        """
        inside = frame.columns.isin(list(self.universe))
        genes = frame.columns[inside]
        warn = pd.Series("", index=frame.index, dtype=object)
        fail = pd.Series("", index=frame.index, dtype=object)
        if not len(frame):
            return warn, fail
        values = frame.to_numpy(copy=False)
        if values.dtype.kind == "f" and not np.isnan(values).any():
            mask = np.ones((1, len(genes)), dtype=bool)
        else:
            mask = frame.loc[:, inside].notna().to_numpy()
        if mask.all():
            groups = [(np.arange(len(frame)), np.ones(len(genes), dtype=bool))]
        else:
            keys = pd.Series([r.tobytes() for r in np.packbits(mask, axis=1)])
            groups = [(pos, mask[pos[0]]) for pos in keys.groupby(keys, sort=False).indices
                      .values()]
        cols = np.asarray(genes, dtype=object)
        for pos, present in groups:
            tab = self.table(cols[present])
            note = "; ".join(self.notes(tab))
            if note:
                warn.iloc[pos] = note
            low = tab[~tab["ok"] & ~tab.index.isin(list(self.imputable))]
            if len(low):
                fail.iloc[pos] = ", ".join(f"{n} {int(r['n_present'])}/{r['n_genes']} genes"
                                           for n, r in low.iterrows()) + \
                    f" (below the {self.threshold:.0%} coverage threshold)"
        return warn, fail
