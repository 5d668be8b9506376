"""The TME feature extractor: expression (samples x genes) -> TME feature table.

A scikit-learn transformer. ``fit`` freezes everything a score needs: the signature gene lists,
which features the training data cover (coverage audit), the gene universe ranked within each
sample, the reference of the cohort-dependent methods (``zscore``: gene means and SDs;
``gsva``: the per-gene kernel reference; PROGENy: gene means and pathway SDs; quanTIseq on
arrays: the quantile target). ``transform`` is then a per-sample function, so a patient scored
alone gets exactly the score it gets within a cohort.

Optional blocks: ``deconvolution="quantiseq"`` adds quanTIseq's absolute cell fractions
(``frac_*``, ``til_fraction``, ``immune_fraction``); ``pathways="progeny"`` adds PROGENy
activities (``progeny_*``). Their genes enter the coverage audit as ``quantiseq`` and
``progeny_<pathway>``.

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
from tmeprog.features.coverage import (
    CoverageWarning,
    combine_coverage,
    coverage_table,
    warn_low_coverage,
)
from tmeprog.features.definitions import (
    DEFAULT_FEATURES,
    DERIVED_COMPARTMENTS,
    ESTIMATE_FEATURES,
    FRACTION_FEATURES,
    PROGENY_FEATURES,
    SIGNATURE_FEATURES,
    estimate_purity,
)
from tmeprog.features.gsva import GSVAReference
from tmeprog.features.progeny import footprints
from tmeprog.features.prognostic import COMPARTMENT, fit_prognostic, prognostic_features
from tmeprog.features.registry import get_method, method_names
from tmeprog.features.scoring import score_signatures
from tmeprog.features.zscore import ZScoreReference
from tmeprog.signatures import load_catalogue

#: Coverage-audit name of the quanTIseq signature genes.
QUANTISEQ_AUDIT = "quantiseq"
_DOWN = "\x00down\x00"  # prefix of the down-gene half of a signed signature (never a name)


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
    method : {"ssgsea", "singscore", "zscore", "gsva"}
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
    deconvolution : {"quantiseq"} or None
        Add absolute cell fractions (:class:`~tmeprog.features.deconvolution.QuanTIseq`).
    pathways : {"progeny"} or None
        Add pathway activities (:class:`~tmeprog.features.progeny.Progeny`).
    expression_scale : {"log2", "log2p1"}
        How the (log) expression un-logs for deconvolution: ``log2`` as ``2**x`` (quanTIseq's
        rule, for log2 intensities), ``log2p1`` as ``2**x - 1`` (data that were log2(x + 1)
        of TPM/FPKM).
    arrays : bool
        Microarray data (quanTIseq: quantile normalisation, RNA-seq gene removal skipped).
    tumor : bool
        Tumour samples (quanTIseq: drop the genes aberrantly expressed in tumours).
    """

    def __init__(self, method: str = "ssgsea", coverage_threshold: float = 0.5,
                 features: Sequence[str] | None = None,
                 extra_signatures: Mapping[str, Sequence[str]] | None = None,
                 min_genes: int = 1000, breast_signatures: bool = False,
                 deconvolution: str | None = None,
                 pathways: str | None = None, expression_scale: str = "log2",
                 arrays: bool = False, tumor: bool = False):
        self.method = method
        self.coverage_threshold = coverage_threshold
        self.features = features
        self.extra_signatures = extra_signatures
        self.min_genes = min_genes
        self.breast_signatures = breast_signatures
        self.deconvolution = deconvolution
        self.pathways = pathways
        self.expression_scale = expression_scale
        self.arrays = arrays
        self.tumor = tumor

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
        scoring = method_names("scoring")
        if self.method not in scoring:
            raise InputError(f"method={self.method!r}; use one of {', '.join(scoring)}")
        if not 0 < self.coverage_threshold <= 1:
            raise InputError("coverage_threshold must be in (0, 1]")
        X = self._check_frame(X)
        wanted, sigs = self._signature_table()
        present = X.columns[X.notna().any(axis=0).to_numpy()]
        self.input_genes_ = list(present)
        self._fit_blocks(X)
        gene_sets = {k: v["up"] + v["down"] for k, v in sigs.items()} | self.block_gene_sets()
        tables = [coverage_table(genes, gene_sets, self.coverage_threshold)
                  for _, genes in self._groups(X)]
        self.coverage_ = combine_coverage(tables)
        # a feature is scored wherever some training samples cover it; samples (cohorts)
        # below the threshold get NaN for it in transform
        self.inactive_ = warn_low_coverage(self.coverage_, where="fit: ")
        self.signatures_ = sigs
        self.feature_names_out_ = self._output_names(wanted, sigs) + self._block_names()
        self.compartments_ = {f: self._compartment(f, sigs) for f in self.feature_names_out_}
        if self.method == "zscore":
            genes = sorted({g for v in sigs.values() for g in v["up"] + v["down"]}
                           & set(self.input_genes_))
            self.reference_ = ZScoreReference().fit(X[genes])
        if self.method == "gsva":  # the kernel reference: genes every training sample has
            complete = X.columns[X.notna().all(axis=0).to_numpy()].sort_values()
            self.reference_ = GSVAReference().fit(X[complete])
        self.prognostic_ = None
        if self.breast_signatures:
            self._fit_prognostic(X)
        return self

    def _fit_prognostic(self, X: pd.DataFrame) -> None:
        self.prognostic_, cov = fit_prognostic(X, self.coverage_threshold)
        self.coverage_ = pd.concat([self.coverage_, cov])
        self.inactive_ = [*self.inactive_, *cov.index[~cov["ok"]]]
        self.feature_names_out_ = [*self.feature_names_out_, *cov.index]
        self.compartments_.update({f: COMPARTMENT for f in cov.index})


    # -- cell fractions and pathway activity ---------------------------------------------
    def _fit_blocks(self, X: pd.DataFrame) -> None:
        """Fit the quanTIseq and PROGENy estimators the options ask for."""
        self.deconvolver_ = self.pathway_model_ = None
        if self.deconvolution is not None:
            cls = get_method(self.deconvolution, "deconvolution").load()
            if self.expression_scale not in ("log2", "log2p1"):
                raise InputError(f"expression_scale={self.expression_scale!r}; the extractor "
                                 "takes log expression: 'log2' or 'log2p1'")
            self.deconvolver_ = cls(scale=self.expression_scale, arrays=self.arrays,
                                    tumor=self.tumor,
                                    min_coverage=self.coverage_threshold).fit(X)
        if self.pathways is not None:
            cls = get_method(self.pathways, "activity").load()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the coverage audit below warns
                self.pathway_model_ = cls(min_coverage=self.coverage_threshold).fit(X)

    def block_gene_sets(self) -> dict[str, list[str]]:
        """Coverage-audit gene lists of the fitted fraction and pathway blocks: ``quantiseq``
        (TIL10 genes used) and ``progeny_<pathway>`` (footprint genes)."""
        out: dict[str, list[str]] = {}
        if getattr(self, "deconvolver_", None) is not None:
            out[QUANTISEQ_AUDIT] = list(self.deconvolver_.signature_genes_)
        if getattr(self, "pathway_model_", None) is not None:
            out.update(footprints())
        return out

    def _block_names(self) -> list[str]:
        fractions = getattr(self, "deconvolver_", None) is not None
        activity = getattr(self, "pathway_model_", None) is not None
        return (list(FRACTION_FEATURES) if fractions else []) + (
            list(PROGENY_FEATURES) if activity else [])

    def _blocks(self, X: pd.DataFrame, low_by_group: list) -> pd.DataFrame | None:
        """Fractions and activities of ``X``; NaN where a group's coverage is too low."""
        parts = []
        if getattr(self, "deconvolver_", None) is not None:
            parts.append(self.deconvolver_.transform(X))
        if getattr(self, "pathway_model_", None) is not None:
            parts.append(self.pathway_model_.transform(X))
        if not parts:
            return None
        out = pd.concat(parts, axis=1)
        for pos, low in low_by_group:
            cols = [c for c in low if c in out.columns]
            if QUANTISEQ_AUDIT in low:
                cols += list(FRACTION_FEATURES)
            if cols:
                out.iloc[pos, out.columns.get_indexer(cols)] = np.nan
        return out

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
        out = pd.DataFrame(index=Xg.index, columns=feats, dtype=float)
        for method in method_names("scoring"):
            fs = [f for f in feats if self.signatures_[f]["method"] == method]
            if not fs:
                continue
            up = {f: self.signatures_[f]["up"] for f in fs}
            down = {f: self.signatures_[f]["down"] for f in fs if self.signatures_[f]["down"]}
            kw = {"reference": self.reference_} if method in ("zscore", "gsva") else {}
            # up and down sets in one call: the ranks (GSVA: the kernel) are computed once
            both = up | {_DOWN + f: g for f, g in down.items()}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                s = score_signatures(Xg, both, method=method, min_genes=1, **kw)
            out[fs] = s[fs].to_numpy()
            if down:
                dn = [_DOWN + f for f in down]
                out[list(down)] = out[list(down)].to_numpy() - s[dn].to_numpy()
        return out

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """The feature table (samples x features) of expression ``X``."""
        check_is_fitted(self, "signatures_")
        X = self._check_frame(X)
        scored = [f for f in self.signatures_ if f not in self.inactive_]
        gene_sets = {f: self.signatures_[f]["up"] + self.signatures_[f]["down"] for f in scored}
        gene_sets |= self.block_gene_sets()
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
        parts, low_by_group = [], []
        for pos, x, g in groups:
            cov = coverage_table(g, gene_sets, self.coverage_threshold)
            low = warn_low_coverage(cov, where="transform: ")
            low_by_group.append((pos, set(low) | set(self.inactive_)))
            self.last_coverage_ = cov if self.last_coverage_ is None else self.last_coverage_
            ok = [f for f in scored if f not in low]
            part = self._score_group(pd.DataFrame(x, columns=g, copy=False), ok)
            parts.append(part.reindex(columns=list(self.signatures_)))
        feats = parts[0] if len(parts) == 1 else pd.concat(parts)
        feats.index = np.concatenate([pos for pos, _, _ in groups])
        feats = feats.sort_index()
        feats.index = X.index
        blocks = self._blocks(X, low_by_group)
        if blocks is not None:
            feats = pd.concat([feats, blocks], axis=1)
        out = self._assemble(feats)
        if getattr(self, "prognostic_", None) is not None:
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
        names = list(self.feature_names_out_)
        if getattr(self, "prognostic_", None) is not None:  # appended by transform
            names = [f for f in names if self.compartments_.get(f) != COMPARTMENT]
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
