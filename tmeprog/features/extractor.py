"""The TME feature extractor: expression (samples x genes) -> TME feature table.

A scikit-learn transformer. ``fit`` freezes everything a score needs: the signature gene lists,
which features the training data cover (coverage audit), the gene universe ranked within each
sample, and the z-score reference for ``method="zscore"``. ``transform`` is then a per-sample
function, so a patient scored alone gets exactly the score it gets within a cohort.

Samples with missing genes (``NaN`` columns, as when cohorts of different platforms are
stacked) are scored over the genes they have: rows are grouped by their pattern of present
genes and each group is scored on its own gene set.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from tmeprog.errors import InputError
from tmeprog.features.coverage import CoverageWarning, coverage_table, warn_low_coverage
from tmeprog.features.definitions import (
    DEFAULT_FEATURES,
    DERIVED_COMPARTMENTS,
    ESTIMATE_FEATURES,
    SIGNATURE_FEATURES,
    estimate_purity,
)


def _split_signed(genes: Sequence[str], weights: Mapping[str, float] | None):
    """Up- and down-regulated genes of a signature (all up when unweighted)."""
    if not weights:
        return list(genes), []
    up = [g for g in genes if weights.get(g, 1.0) >= 0]
    down = [g for g in genes if weights.get(g, 1.0) < 0]
    return up, down


class TMEFeatureExtractor(TransformerMixin, BaseEstimator):
    """Score the TME features of expression profiles.

    Parameters
    ----------
    method : {"ssgsea", "singscore", "zscore"}
        Scoring kernel for cell, pathway, process and TIL features. ESTIMATE scores are always
        ssGSEA enrichment scores (their definition).
    coverage_threshold : float
        Minimum fraction of a signature's genes present; below it the feature is NaN and a
        :class:`~tmeprog.features.coverage.CoverageWarning` names the missing genes.
    features : sequence of str or None
        Default-catalogue features to compute (``None``: all of
        :data:`~tmeprog.features.definitions.DEFAULT_FEATURES`).
    extra_signatures : mapping or None
        User signatures (name -> genes), e.g. from GMT files; they appear under their names
        with compartment ``user``.
    min_genes : int
        Fewer genes in the input is an error (scores on tiny panels are not comparable).
    breast_signatures : bool
        Also compute the breast prognostic scores (21-gene, 70-gene, genomic grade,
        EndoPredict; compartment ``prognostic``, see :mod:`tmeprog.features.prognostic`). Their
        gene references are frozen on the training expression.
    """

    def __init__(self, method: str = "ssgsea", coverage_threshold: float = 0.5,
                 features: Sequence[str] | None = None,
                 extra_signatures: Mapping[str, Sequence[str]] | None = None,
                 min_genes: int = 1000, breast_signatures: bool = False):
        self.method = method
        self.coverage_threshold = coverage_threshold
        self.features = features
        self.extra_signatures = extra_signatures
        self.min_genes = min_genes
        self.breast_signatures = breast_signatures

    # -- fitting -------------------------------------------------------------------------
    def _check_frame(self, X) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise InputError("expression must be a pandas DataFrame (samples x gene symbols)")
        if X.columns.has_duplicates:
            dup = X.columns[X.columns.duplicated()].unique()[:5].tolist()
            raise InputError(f"duplicated gene columns {dup}; harmonise genes first "
                             "(tmeprog.cohorts.genes.harmonise_genes)")
        if X.shape[1] < self.min_genes:
            raise InputError(f"expression has {X.shape[1]} genes; at least {self.min_genes} "
                             "are needed for rank-based TME scores")
        bad = []
        if not all(np.issubdtype(dt, np.number) for dt in pd.unique(X.dtypes)):
            bad = [c for c, dt in X.dtypes.items() if not np.issubdtype(dt, np.number)]
        if bad:
            raise InputError(f"non-numeric expression columns, e.g. {bad[:5]}")
        return X

    def _signature_table(self):
        from tmeprog.signatures import load_catalogue

        cat = load_catalogue()
        wanted = list(DEFAULT_FEATURES if self.features is None else self.features)
        unknown = [f for f in wanted if f not in DEFAULT_FEATURES]
        if unknown:
            raise InputError(f"unknown TME features {unknown}; known: {list(DEFAULT_FEATURES)}")
        sigs: dict[str, dict] = {}

        def add(feature: str, sig_name: str, method: str, compartment: str | None = None):
            s = cat.get(sig_name)
            up, down = _split_signed(list(s.genes), getattr(s, "weights", None))
            sigs[feature] = {"signature": sig_name, "up": up, "down": down, "method": method,
                             "compartment": compartment or s.compartment,
                             "reference": getattr(s, "reference", "")}

        for f in wanted:
            if f in SIGNATURE_FEATURES:
                add(f, SIGNATURE_FEATURES[f], self.method, DERIVED_COMPARTMENTS.get(f))
        need_estimate = any(f in wanted for f in (*ESTIMATE_FEATURES, "estimate_score",
                                                  "tumor_purity", "stromal_fraction"))
        if need_estimate:
            for f, s in ESTIMATE_FEATURES.items():
                add(f, s, "ssgsea", DERIVED_COMPARTMENTS[f])
        for name, genes in (self.extra_signatures or {}).items():
            if name in sigs or name in DEFAULT_FEATURES:
                raise InputError(f"user signature {name!r} clashes with a built-in feature name")
            g = [str(x).strip().upper() for x in genes if str(x).strip()]
            if not g:
                raise InputError(f"user signature {name!r} has no genes")
            sigs[name] = {"signature": name, "up": g, "down": [], "method": self.method,
                          "compartment": "user", "reference": "user GMT"}
        return wanted, sigs

    def fit(self, X: pd.DataFrame, y=None) -> TMEFeatureExtractor:
        """Freeze signatures, coverage and references on training expression ``X``."""
        if self.method not in ("ssgsea", "singscore", "zscore"):
            raise InputError(f"method={self.method!r}; use 'ssgsea', 'singscore' or 'zscore'")
        if not 0 < self.coverage_threshold <= 1:
            raise InputError("coverage_threshold must be in (0, 1]")
        X = self._check_frame(X)
        wanted, sigs = self._signature_table()
        present = X.columns[X.notna().any(axis=0).to_numpy()]
        self.input_genes_ = list(present)
        # coverage in the worst-covered group of samples (e.g. the thinnest platform)
        gene_sets = {k: v["up"] + v["down"] for k, v in sigs.items()}
        tables = [coverage_table(genes, gene_sets, self.coverage_threshold)
                  for _, genes in self._groups(X)]
        worst = tables[0].copy()
        for t in tables[1:]:
            lower = t["coverage"] < worst["coverage"]
            worst.loc[lower] = t.loc[lower]
        self.coverage_ = worst
        self.inactive_ = warn_low_coverage(worst, where="fit: ")
        self.signatures_ = sigs
        self.feature_names_out_ = self._output_names(wanted, sigs)
        self.compartments_ = {f: self._compartment(f, sigs) for f in self.feature_names_out_}
        if self.method == "zscore":
            from tmeprog.features.zscore import ZScoreReference

            genes = sorted({g for v in sigs.values() for g in v["up"] + v["down"]}
                           & set(self.input_genes_))
            self.reference_ = ZScoreReference().fit(X[genes])
        self.prognostic_ = None
        if self.breast_signatures:
            self._fit_prognostic(X)
        return self

    def _fit_prognostic(self, X: pd.DataFrame) -> None:
        from tmeprog.features.prognostic import COMPARTMENT, fit_prognostic

        self.prognostic_, cov = fit_prognostic(X, self.coverage_threshold)
        self.coverage_ = pd.concat([self.coverage_, cov])
        self.inactive_ = [*self.inactive_, *cov.index[~cov["ok"]]]
        self.feature_names_out_ = [*self.feature_names_out_, *cov.index]
        self.compartments_.update({f: COMPARTMENT for f in cov.index})

    @staticmethod
    def _output_names(wanted, sigs) -> list[str]:
        names = [f for f in DEFAULT_FEATURES if f in wanted]
        return names + [n for n, v in sigs.items() if v["compartment"] == "user"]

    @staticmethod
    def _compartment(f: str, sigs) -> str:
        if f in DERIVED_COMPARTMENTS:
            return DERIVED_COMPARTMENTS[f]
        return sigs[f]["compartment"]

    # -- scoring -------------------------------------------------------------------------
    @staticmethod
    def _groups(X: pd.DataFrame):
        """Row groups sharing one pattern of present genes: (row positions, gene names).

        Genes come in sorted order: rank-based scores break ties by gene order, so a canonical
        order makes a sample's score independent of how its columns were arranged.
        """
        mask = X.notna().to_numpy()
        if mask.all():
            yield np.arange(len(X)), X.columns.sort_values()
            return
        keys = pd.Series([row.tobytes() for row in np.packbits(mask, axis=1)])
        for _, pos in keys.groupby(keys, sort=False).indices.items():
            yield pos, X.columns[mask[pos[0]]].sort_values()

    def _score_group(self, Xg: pd.DataFrame, feats: list[str]) -> pd.DataFrame:
        from tmeprog.features.scoring import score_signatures

        out = pd.DataFrame(index=Xg.index, columns=feats, dtype=float)
        for method in ("ssgsea", "singscore", "zscore"):
            fs = [f for f in feats if self.signatures_[f]["method"] == method]
            if not fs:
                continue
            up = {f: self.signatures_[f]["up"] for f in fs}
            down = {f: self.signatures_[f]["down"] for f in fs if self.signatures_[f]["down"]}
            kw = {"reference": self.reference_} if method == "zscore" else {}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                s_up = score_signatures(Xg, up, method=method, min_genes=1, **kw)
                out[fs] = s_up[fs].to_numpy()
                if down:
                    s_dn = score_signatures(Xg, down, method=method, min_genes=1, **kw)
                    out[list(down)] = out[list(down)].to_numpy() - s_dn[list(down)].to_numpy()
        return out

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """The feature table (samples x features) of expression ``X``."""
        check_is_fitted(self, "signatures_")
        X = self._check_frame(X)
        scored = [f for f in self.signatures_ if f not in self.inactive_]
        gene_sets = {f: self.signatures_[f]["up"] + self.signatures_[f]["down"] for f in scored}
        self.last_coverage_ = None
        use, genes = self._universe(X.columns)
        values = X.to_numpy(copy=False)
        if values.dtype not in (np.float32, np.float64):
            values = values.astype(np.float64)
        if not np.isnan(values).any():  # one group: every sample has every gene
            # kept in its memory layout: the kernels read column-major blocks directly
            x = values if len(use) == values.shape[1] and (np.diff(use) == 1).all() \
                else values.T[use].T
            groups = [(np.arange(len(X)), x, genes)]
        else:  # samples lacking genes are scored over the genes they have
            Xu = X.iloc[:, use]
            groups = [(pos, Xu.iloc[pos][g].to_numpy(), g)
                      for pos, g in self._groups(Xu)]
        parts = []
        for _, x, g in groups:
            cov = coverage_table(g, gene_sets, self.coverage_threshold)
            low = warn_low_coverage(cov, where="transform: ")
            self.last_coverage_ = cov if self.last_coverage_ is None else self.last_coverage_
            ok = [f for f in scored if f not in low]
            part = self._score_group(pd.DataFrame(x, columns=g, copy=False), ok)
            parts.append(part.reindex(columns=list(self.signatures_)))
        feats = parts[0] if len(parts) == 1 else pd.concat(parts)
        feats.index = np.concatenate([pos for pos, _, _ in groups])
        feats = feats.sort_index()
        feats.index = X.index
        out = self._assemble(feats)
        if getattr(self, "prognostic_", None) is not None:
            from tmeprog.features.prognostic import prognostic_features

            out = pd.concat([out, prognostic_features(self.prognostic_, X)], axis=1)
            out.attrs["compartments"] = dict(self.compartments_)
        return out

    def _universe(self, columns: pd.Index) -> tuple[np.ndarray, pd.Index]:
        """Positions of the fitted gene universe in ``columns``, in canonical (sorted) gene
        order, and those genes. Rank-based scores break ties by gene order, so a canonical order
        makes a sample's score independent of how its columns were arranged."""
        inside = np.flatnonzero(columns.isin(self.input_genes_))
        names = columns[inside]
        order = names.argsort(kind="stable")
        return inside[order], names[order]

    def _assemble(self, s: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame(index=s.index)
        names = [f for f in self.feature_names_out_ if f in self.signatures_
                 or f in DEFAULT_FEATURES]
        for f in names:
            if f in s.columns:
                out[f] = s[f]
        if "estimate_score" in self.feature_names_out_:
            out["estimate_score"] = s["immune_score"] + s["stromal_score"]
        if {"tumor_purity", "stromal_fraction"} & set(self.feature_names_out_):
            purity = estimate_purity(s["immune_score"] + s["stromal_score"])
            if "tumor_purity" in self.feature_names_out_:
                out["tumor_purity"] = purity
            if "stromal_fraction" in self.feature_names_out_:
                out["stromal_fraction"] = 1.0 - purity
        out = out[names].astype(float)
        out.attrs["compartments"] = dict(self.compartments_)
        return out

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the output features."""
        check_is_fitted(self, "feature_names_out_")
        return np.asarray(self.feature_names_out_, dtype=object)


__all__ = ["TMEFeatureExtractor", "CoverageWarning"]
