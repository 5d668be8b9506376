"""PAM50 intrinsic subtypes by nearest centroid (Parker et al. 2009), as genefu computes them.

Each sample's PAM50 genes, after the gene reference frozen at fit, are correlated (Spearman,
over the genes the sample has) with the five centroids; the subtype is the best-correlated
centroid and the confidence the margin between the best two correlations.

Variants (genefu's two models; the centroids are the same):

``plain``   genefu ``pam50``: correlate the centred values ``x - centre``;
``robust``  genefu ``pam50.robust`` (what ``molecular.subtyping(sbt.model = "pam50")`` uses):
            each gene is rescaled to ``2 (x - q_lo) / (q_hi - q_lo) - 1`` with its 2.5% and
            97.5% quantiles over the reference, which centres and scales it at once.

Centring (the reference each gene is centred on; frozen at fit):

``balanced`` (default) the ER-balanced median (see :mod:`.reference`); ER from the ``er``
             passed to ``fit`` where recorded, else inferred from expression;
``median``   the plain cohort median (Parker 2009's practice on subtype-mixed cohorts);
``none``     values used as given: for data already centred against a reference (two-colour
             ratios to a common reference, or centred upstream). Not with ``robust``.

Single-sample mode: ``predict`` uses only the frozen reference, so a patient scored alone gets
the call it gets within the cohort the classifier was fitted on; with ``centring="none"`` no
cohort is involved at all.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from tmeprog.errors import InputError
from tmeprog.features.subtypes.receptors import ReceptorCaller
from tmeprog.features.subtypes.reference import (
    CENTRINGS,
    balance_counts,
    check_expression,
    check_reference_size,
    gene_reference,
)
from tmeprog.signatures.genefu import pam50_model

VARIANTS = ("plain", "robust")
#: Fewer PAM50 genes than this gives a :class:`PAM50GeneWarning`.
WARN_GENES = 45


class PAM50GeneWarning(UserWarning):
    """Fewer than :data:`WARN_GENES` of the 50 PAM50 genes are present."""


def _spearman_rows(values: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Spearman correlation of every row of ``values`` with every centroid column."""
    rx = rankdata(values, axis=1)
    rc = rankdata(centroids, axis=0)
    rx = rx - rx.mean(axis=1, keepdims=True)
    rc = rc - rc.mean(axis=0, keepdims=True)
    num = rx @ rc
    den = np.sqrt((rx ** 2).sum(axis=1))[:, None] * np.sqrt((rc ** 2).sum(axis=0))[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        return num / den


class PAM50Classifier(ClassifierMixin, BaseEstimator):
    """Nearest-centroid PAM50 subtype caller with a frozen gene reference.

    Parameters
    ----------
    variant : {"plain", "robust"}
        genefu's ``pam50`` or ``pam50.robust`` model.
    centring : {"balanced", "median", "none"}
        Gene reference computed at fit (see the module docstring).
    min_genes : int or None
        Fewest PAM50 genes a call is made on; ``None`` uses the model's ``mins`` (5). Fewer is
        an error; fewer than 45 a :class:`PAM50GeneWarning`.
    """

    def __init__(self, variant: str = "plain", centring: str = "balanced",
                 min_genes: int | None = None):
        self.variant = variant
        self.centring = centring
        self.min_genes = min_genes

    # -- fitting -----------------------------------------------------------------------------
    def _check_params(self):
        if self.variant not in VARIANTS:
            raise InputError(f"PAM50 variant {self.variant!r}; use one of {VARIANTS}")
        if self.centring not in CENTRINGS:
            raise InputError(f"PAM50 centring {self.centring!r}; use one of {CENTRINGS}")
        if self.variant == "robust" and self.centring == "none":
            raise InputError("variant='robust' rescales each gene by reference quantiles and "
                             "cannot be used with centring='none'; use centring='median' or "
                             "'balanced', or variant='plain' with centring='none'")
        return pam50_model(self.variant)

    def _min_genes(self, model) -> int:
        return int(model.mins if self.min_genes is None else self.min_genes)

    def fit(self, X: pd.DataFrame, y=None, er: pd.Series | None = None) -> PAM50Classifier:
        """Freeze the gene reference on cohort expression ``X``.

        Parameters
        ----------
        X : pandas.DataFrame
            Samples x gene symbols (log scale).
        y : ignored
        er : pandas.Series, optional
            ER status (1/0, missing allowed) by sample id, for ``centring="balanced"``;
            samples without it are given their expression-inferred ER status.
        """
        model = self._check_params()
        X = check_expression(X, "PAM50")
        genes = [g for g in model.centroids.index if g in X.columns and X[g].notna().any()]
        self._check_gene_count(len(genes), model, "PAM50 fit")
        self.genes_ = genes
        self.centroids_ = model.centroids.loc[genes]
        self.classes_ = np.asarray(model.centroids.columns, dtype=object)
        self.rescale_q_ = model.rescale_q
        values = X[genes].to_numpy(dtype=float)
        counts = None
        self.er_counts_ = {}
        if self.centring != "none":
            check_reference_size(len(X), self.centring, "PAM50")
            self._check_mix(X, er)
        if self.centring == "balanced":
            status = self._er_for_balance(X, er)
            counts = balance_counts(status, "PAM50")
            self.er_counts_ = {"positive": int((status == 1).sum()),
                               "negative": int((status == 0).sum())}
        q = model.rescale_q / 2
        qs = (q, 1 - q) if self.variant == "robust" else ()
        centre, quant = gene_reference(values, self.centring, counts, qs)
        self.center_ = pd.Series(centre, index=genes)
        if quant:
            lo, hi = quant
            if np.any(hi - lo <= 0):
                flat = [g for g, a, b in zip(genes, lo, hi, strict=True) if b - a <= 0]
                raise InputError(f"PAM50 robust rescaling: genes {flat[:5]} are constant "
                                 "between their reference quantiles; use variant='plain'")
            self.q_low_ = pd.Series(lo, index=genes)
            self.q_high_ = pd.Series(hi, index=genes)
        self.n_reference_ = len(X)
        return self

    def _check_gene_count(self, n: int, model, where: str) -> None:
        need = self._min_genes(model)
        if n < need:
            raise InputError(
                f"{where}: {n} of the 50 PAM50 genes are present; at least {need} are needed. "
                "Check that columns are gene symbols (probe ids need --annotation / "
                "harmonise_genes(annotation=...)) and that the platform measures these genes")
        if n < WARN_GENES:
            warnings.warn(f"{where}: only {n} of the 50 PAM50 genes are present (< "
                          f"{WARN_GENES}); calls are less reliable", PAM50GeneWarning,
                          stacklevel=3)

    def _check_mix(self, X: pd.DataFrame, er: pd.Series | None) -> None:
        """Cohort centring assumes a mix of subtypes: refuse a cohort recorded as one ER class."""
        if er is None:
            return
        rec = pd.to_numeric(pd.Series(er).reindex(X.index), errors="coerce").dropna()
        if len(rec) >= len(X) / 2 and rec.nunique() == 1:
            cls = "positive" if rec.iloc[0] == 1 else "negative"
            raise InputError(
                f"PAM50: every sample with recorded ER is ER-{cls} ({len(rec)} of {len(X)}); "
                f"centring={self.centring!r} centres genes on this cohort, which assumes a mix "
                "of subtypes and would force a spread of calls. Fit the classifier on a mixed "
                "reference cohort and predict these samples with it, or use centring='none' on "
                "data already centred against a mixed reference")

    def _er_for_balance(self, X: pd.DataFrame, er: pd.Series | None) -> pd.Series:
        recorded = pd.Series(np.nan, index=X.index)
        if er is not None:
            if not isinstance(er, pd.Series):
                raise InputError("er must be a pandas Series indexed by sample id")
            recorded = pd.to_numeric(er.reindex(X.index), errors="coerce").astype(float)
        if recorded.notna().all():
            self.er_source_ = "recorded"
            return recorded
        calls = ReceptorCaller(receptors=("er",)).fit(X).transform(X)
        inferred = calls["er_expression"].astype("Float64").astype(float)
        self.er_source_ = "expression" if recorded.isna().all() else "recorded+expression"
        return recorded.fillna(inferred)

    # -- prediction --------------------------------------------------------------------------
    def _standardised(self, X: pd.DataFrame) -> np.ndarray:
        v = X.reindex(columns=self.genes_).to_numpy(dtype=float)
        if self.variant == "robust":
            lo, hi = self.q_low_.to_numpy(), self.q_high_.to_numpy()
            return 2 * (v - lo) / (hi - lo) - 1
        return v - self.center_.to_numpy()

    def decision_function(self, X: pd.DataFrame) -> pd.DataFrame:
        """Spearman correlation of each sample with each centroid (``pam50_cor_<subtype>``)."""
        check_is_fitted(self, "center_")
        X = check_expression(X, "PAM50")
        v = self._standardised(X)
        present = ~np.isnan(v)
        n_genes = present.sum(axis=1)
        need = self._min_genes(pam50_model(self.variant))
        if n_genes.min() < need:
            bad = X.index[n_genes < need]
            raise InputError(
                f"PAM50: {len(bad)} samples (e.g. {list(bad[:3])}) have fewer than {need} of "
                f"the 50 PAM50 genes (fewest: {int(n_genes.min())}); no calls were made. Check "
                "that columns are gene symbols (probe ids need an annotation) and that the "
                "platform measures these genes")
        if n_genes.min() < WARN_GENES:
            warnings.warn(f"PAM50: some samples have only {int(n_genes.min())} of the 50 PAM50 "
                          f"genes (< {WARN_GENES}); calls are less reliable", PAM50GeneWarning,
                          stacklevel=3)
        cors = np.full((len(X), len(self.classes_)), np.nan)
        cent = self.centroids_.to_numpy()
        keys = pd.Series([row.tobytes() for row in np.packbits(present, axis=1)])
        for _, pos in keys.groupby(keys, sort=False).indices.items():
            m = present[pos[0]]
            cors[pos] = _spearman_rows(v[np.ix_(pos, np.flatnonzero(m))], cent[m])
        out = pd.DataFrame(cors, index=X.index,
                           columns=[f"pam50_cor_{c}" for c in self.classes_])
        out["pam50_genes"] = n_genes
        return out

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """The PAM50 subtype of each sample (``Basal``, ``Her2``, ``LumA``, ``LumB``,
        ``Normal``; missing when a sample's correlations are undefined)."""
        return self.predict_table(X)["pam50"].to_numpy(dtype=object)

    def predict_table(self, X: pd.DataFrame) -> pd.DataFrame:
        """``pam50``, ``pam50_confidence``, ``pam50_genes`` and the five correlations."""
        d = self.decision_function(X)
        cor = d[[f"pam50_cor_{c}" for c in self.classes_]].to_numpy()
        ok = ~np.isnan(cor).any(axis=1)
        label = np.full(len(d), None, dtype=object)
        conf = np.full(len(d), np.nan)
        if ok.any():
            best = np.argmax(cor[ok], axis=1)
            label[ok] = self.classes_[best]
            top2 = np.sort(cor[ok], axis=1)[:, -2:]
            conf[ok] = top2[:, 1] - top2[:, 0]
        if not ok.all():
            warnings.warn(f"PAM50: {int((~ok).sum())} samples have undefined correlations "
                          "(constant values over the PAM50 genes); their call is missing",
                          UserWarning, stacklevel=2)
        out = pd.DataFrame({"pam50": pd.array(label, dtype="string"),
                            "pam50_confidence": conf,
                            "pam50_genes": d["pam50_genes"].astype(int)}, index=d.index)
        return pd.concat([out, d.drop(columns="pam50_genes")], axis=1)
