"""Breast prognostic signature scores: research re-implementations, not the clinical assays.

Each score follows the published algorithm as genefu implements it on microarray data, from
genefu's gene tables (see :mod:`tmeprog.signatures.genefu`). The commercial assays measure
their genes by RT-PCR or a dedicated array against reference genes; these scores only
approximate them on other platforms and must not be read as clinical results.

``rs_unscaled``, ``rs``    21-gene recurrence score (Paik 2004): each gene scaled to 0-15
                           between its minimum and maximum over the fitted cohort; group scores
                           (HER2 group floored at 8, proliferation group at 6.5); ``rs`` =
                           ``20 (rs_unscaled - 6.7)`` clipped to 0-100. Reference genes unused.
``gene70_score``           70-gene profile (van 't Veer 2002): minus the Spearman correlation of
                           the centred genes with the average good-prognosis profile (higher is
                           worse).
``ggi_raw``, ``ggi``       genomic grade index (Sotiriou 2006): mean of the centred grade-3 genes
                           minus mean of the grade-1 genes, each weighted by its share of genes;
                           ``ggi`` rescales it so that the fitted grade-1 mean is -1 and the
                           grade-3 mean +1 (only when grades are given to ``fit``).
``ep_unscaled``, ``ep``    EndoPredict molecular score (Filipits 2011): genes rescaled to an
                           Affymetrix-like range by their 2.5% / 97.5% quantiles (6-14, clipped to
                           1-15), centred per sample on log2(500), transformed by ``(x - b) / a``
                           and weighted; ``ep`` = ``1.5 ep_unscaled + 18.95`` clipped to 0-15.

Missing genes: within a 21-gene group the present genes are averaged with their relative
weights (an absent CD68, GSTM1 or BAG1 sits at 7.5, the middle of the scale); an absent
EndoPredict gene is set to the sample's mean gene level (its centred value
0); the correlation and the grade index use the genes present. A score whose coverage is below
``coverage_threshold`` (or a 21-gene group without any gene) is missing, with a
:class:`~tmeprog.features.coverage.CoverageWarning`. Every reference (minimum / maximum,
medians, quantiles, grade means) is frozen at fit, so a sample scored alone gets the score it
gets within the cohort.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from tmeprog.errors import InputError
from tmeprog.features.coverage import coverage_table, warn_low_coverage
from tmeprog.features.subtypes.pam50 import _spearman_rows
from tmeprog.features.subtypes.reference import check_expression, check_reference_size
from tmeprog.signatures.genefu import breast_signature

SIGNATURES = ("oncotypedx", "gene70", "ggi", "endopredict")
#: Output columns of each signature.
OUTPUTS = {"oncotypedx": ("rs_unscaled", "rs"), "gene70": ("gene70_score",),
           "ggi": ("ggi_raw", "ggi"), "endopredict": ("ep_unscaled", "ep")}
#: Paik 2004: group-score floors on the 0-15 scale, rescaling and risk-group cut points.
RS_FLOORS = {"her2": 8.0, "proliferation": 6.5}
RS_SCALE, RS_OFFSET = 20.0, 6.7
RS_CUTS = (18.0, 31.0)
#: Filipits 2011 / genefu: EndoPredict constants.
EP_RANGE, EP_CLIP = (6.0, 14.0), (1.0, 15.0)
EP_CENTRE = float(np.log2(500))
EP_OFFSET, EP_SLOPE, EP_INTERCEPT, EP_MAX = -2.63, 1.5, 18.95, 15.0


def rs_group(rs: pd.Series) -> pd.Series:
    """Recurrence-score risk group: ``low`` (< 18), ``intermediate`` (18-30), ``high`` (>= 31)."""
    v = pd.to_numeric(rs, errors="coerce")
    out = pd.Series(pd.NA, index=v.index, dtype="string")
    out[(v < RS_CUTS[0]).fillna(False)] = "low"
    out[((v >= RS_CUTS[0]) & (v < RS_CUTS[1])).fillna(False)] = "intermediate"
    out[(v >= RS_CUTS[1]).fillna(False)] = "high"
    return out


def _tables() -> dict[str, pd.DataFrame]:
    rs = breast_signature("oncotypedx")
    ep = breast_signature("endopredict")
    return {"oncotypedx": rs[rs["group"] != "reference"].reset_index(drop=True),
            "gene70": breast_signature("gene70"), "ggi": breast_signature("ggi"),
            "endopredict": ep[ep["group"] == "GOI"].reset_index(drop=True)}


class BreastSignatureScorer(TransformerMixin, BaseEstimator):
    """21-gene, 70-gene, genomic-grade and EndoPredict scores with a frozen gene reference.

    Parameters
    ----------
    signatures : sequence of str
        Any of ``oncotypedx``, ``gene70``, ``ggi``, ``endopredict``.
    centring : {"median", "none"}
        Gene centring of the 70-gene correlation and the grade index (frozen cohort median, or
        values as given for data already centred against a reference).
    coverage_threshold : float
        Smallest fraction of a signature's genes that must be present.
    """

    def __init__(self, signatures=SIGNATURES, centring: str = "median",
                 coverage_threshold: float = 0.5):
        self.signatures = signatures
        self.centring = centring
        self.coverage_threshold = coverage_threshold

    def fit(self, X: pd.DataFrame, y=None, grade: pd.Series | None = None):
        """Freeze every gene reference on cohort ``X`` (and the grade means with ``grade``)."""
        X = check_expression(X, "breast signatures")
        unknown = sorted(set(self.signatures) - set(SIGNATURES))
        if unknown:
            raise InputError(f"unknown breast signatures {unknown}; use {list(SIGNATURES)}")
        if self.centring not in ("median", "none"):
            raise InputError(f"breast signature centring {self.centring!r}; use 'median' or "
                             "'none'")
        if not 0 < self.coverage_threshold <= 1:
            raise InputError("coverage_threshold must be in (0, 1]")
        check_reference_size(len(X), "median", "breast signatures")
        tables = _tables()
        self.tables_ = {s: tables[s] for s in self.signatures}
        present = set(X.columns[X.notna().any(axis=0).to_numpy()])
        self.coverage_ = coverage_table(present, {s: list(t["symbol"])
                                                  for s, t in self.tables_.items()},
                                        self.coverage_threshold)
        if "oncotypedx" in self.tables_:
            t = self.tables_["oncotypedx"]
            groups = t.loc[t["symbol"].isin(present), "group"]
            lost = sorted(set(t["group"]) - set(groups))
            if lost and self.coverage_.loc["oncotypedx", "ok"]:
                self.coverage_.loc["oncotypedx", "ok"] = False
                warnings.warn(f"fit: oncotypedx: groups {lost} have no gene present; score "
                              "set to NaN", UserWarning, stacklevel=2)
        self.inactive_ = warn_low_coverage(self.coverage_, where="fit: ")
        self.genes_ = {s: [g for g in t["symbol"] if g in present]
                       for s, t in self.tables_.items()}
        ref = {}
        for s, genes in self.genes_.items():
            v = X[genes].to_numpy(dtype=float)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                if s == "oncotypedx":
                    ref[s] = (np.nanmin(v, axis=0), np.nanmax(v, axis=0))
                elif s == "endopredict":
                    ref[s] = (np.nanquantile(v, 0.025, axis=0), np.nanquantile(v, 0.975, axis=0))
                else:
                    ref[s] = (np.nanmedian(v, axis=0) if self.centring == "median"
                              else np.zeros(len(genes)),)
        self.reference_ = ref
        self.grade_means_ = None
        if grade is not None and "ggi" in self.tables_:
            raw = self._ggi_raw(X)
            g = pd.to_numeric(pd.Series(grade).reindex(X.index), errors="coerce").to_numpy()
            if (g == 1).sum() < 2 or (g == 3).sum() < 2:
                raise InputError("grade scaling of the GGI needs at least 2 grade-1 and 2 "
                                 "grade-3 samples; fit without grade for the raw index")
            self.grade_means_ = (float(np.nanmean(raw[g == 1])), float(np.nanmean(raw[g == 3])))
        return self

    # -- the four scores ---------------------------------------------------------------------
    def _values(self, X: pd.DataFrame, s: str) -> np.ndarray:
        return X.reindex(columns=self.genes_[s]).to_numpy(dtype=float)

    def _rs(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        t = self.tables_["oncotypedx"].set_index("symbol").loc[self.genes_["oncotypedx"]]
        lo, hi = self.reference_["oncotypedx"]
        with np.errstate(invalid="ignore", divide="ignore"):
            v = 15 * (self._values(X, "oncotypedx") - lo) / (hi - lo)
        full = self.tables_["oncotypedx"]
        rsu = np.zeros(len(X))
        for group in dict.fromkeys(full["group"]):
            coef = float(full.loc[full["group"] == group, "weight"].sum())
            if group == "undefined":  # CD68, GSTM1, BAG1 enter one by one
                for _, row in full[full["group"] == group].iterrows():
                    j = t.index.get_indexer([row["symbol"]])[0]
                    # a gene the cohort lacks sits at the middle of the 0-15 scale
                    rsu = rsu + row["weight"] * (v[:, j] if j >= 0 else 7.5)
                continue
            cols = np.flatnonzero((t["group"] == group).to_numpy())
            w = t["weight"].to_numpy()[cols]
            x = v[:, cols]
            ok = ~np.isnan(x)
            with np.errstate(invalid="ignore", divide="ignore"):
                score = np.nansum(x * w, axis=1) / (ok * w).sum(axis=1)
            score = np.maximum(score, RS_FLOORS.get(group, -np.inf))
            rsu = rsu + coef * score
        return rsu, np.clip(RS_SCALE * (rsu - RS_OFFSET), 0, 100)

    def _gene70(self, X: pd.DataFrame) -> np.ndarray:
        t = self.tables_["gene70"].set_index("symbol").loc[self.genes_["gene70"]]
        v = self._values(X, "gene70") - self.reference_["gene70"][0]
        template = t["average.good.prognosis.profile"].to_numpy()[:, None]
        out = np.full(len(X), np.nan)
        present = ~np.isnan(v)
        keys = pd.Series([row.tobytes() for row in np.packbits(present, axis=1)])
        for _, pos in keys.groupby(keys, sort=False).indices.items():
            m = present[pos[0]]
            if m.sum() > 3:
                out[pos] = -_spearman_rows(v[np.ix_(pos, np.flatnonzero(m))], template[m])[:, 0]
        return out

    def _ggi_raw(self, X: pd.DataFrame) -> np.ndarray:
        t = self.tables_["ggi"].set_index("symbol").loc[self.genes_["ggi"]]
        v = self._values(X, "ggi") - self.reference_["ggi"][0]
        up = (t["grade"] == 3).to_numpy()
        share_up = up.mean()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return share_up * np.nanmean(v[:, up], axis=1) - (1 - share_up) * np.nanmean(
                v[:, ~up], axis=1)

    def _ep(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        full = self.tables_["endopredict"].set_index("symbol")
        lo, hi = self.reference_["endopredict"]
        v = np.full((len(X), len(full)), np.nan)
        cols = [full.index.get_loc(g) for g in self.genes_["endopredict"]]
        with np.errstate(invalid="ignore", divide="ignore"):
            scaled = (self._values(X, "endopredict") - lo) / (hi - lo)
        v[:, cols] = np.clip(scaled * (EP_RANGE[1] - EP_RANGE[0]) + EP_RANGE[0], *EP_CLIP)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            centred = v - np.nanmean(v, axis=1, keepdims=True)
        centred = np.where(np.isnan(centred) & ~np.isnan(centred).all(axis=1, keepdims=True),
                           0.0, centred)
        x = (centred + EP_CENTRE - full["b"].to_numpy()) / full["a"].to_numpy()
        unscaled = x @ full["weight"].to_numpy() + EP_OFFSET
        return unscaled, np.clip(EP_SLOPE * unscaled + EP_INTERCEPT, 0, EP_MAX)

    # -- output ------------------------------------------------------------------------------
    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """The scores of each sample (columns of :data:`OUTPUTS` for the fitted signatures)."""
        check_is_fitted(self, "reference_")
        X = check_expression(X, "breast signatures")
        out = pd.DataFrame(index=X.index)
        for s in self.tables_:
            if s == "oncotypedx":
                out["rs_unscaled"], out["rs"] = self._rs(X)
            elif s == "gene70":
                out["gene70_score"] = self._gene70(X)
            elif s == "ggi":
                out["ggi_raw"] = self._ggi_raw(X)
                if self.grade_means_ is not None:
                    m1, m3 = self.grade_means_
                    out["ggi"] = 2 * (out["ggi_raw"] - (m1 + m3) / 2) / (m3 - m1)
            else:
                out["ep_unscaled"], out["ep"] = self._ep(X)
            if s in self.inactive_:
                out[[c for c in OUTPUTS[s] if c in out.columns]] = np.nan
        return out.astype(float)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the output scores."""
        check_is_fitted(self, "reference_")
        names = [c for s in self.tables_ for c in OUTPUTS[s]
                 if not (c == "ggi" and self.grade_means_ is None)]
        return np.asarray(names, dtype=object)
