"""Receptor status from expression: ER, PR and HER2 called by a two-component mixture.

Each receptor has an expression score, standardised per gene on the fitted cohort (median and
MAD, frozen) and averaged over the genes present:

* ER: the luminal / ER-positive cluster named by Sørlie et al. 2001 (doi:10.1073/pnas.191367098,
  after Perou et al. 2000): ESR1, GATA3, XBP1, TFF3, FOXA1, SLC39A6. A module rather than ESR1
  alone, because one weak ESR1 probe decides a single-gene call (on the bundled HG-U95Av2 cohort
  ESR1 separates IHC ER classes with AUC 0.64, the module with 0.87);
* PR: PGR;
* HER2: the ERBB2 amplicon score, ERBB2 and GRB7 (the 17q12 amplicon genes of the PAM50 and
  the 21-gene "HER2 group", Parker 2009 and Paik 2004).

A two-component Gaussian mixture is fitted to each score of the cohort; the call is 1 above the
score where the high component's posterior reaches 1/2 (one threshold, so the call is monotone
in the score). A score whose mixture is not supported over one Gaussian (BIC gain below
:data:`MIN_BIC_GAIN`) is not bimodal in this cohort: its calls are missing, with a warning,
rather than a split of one population. The threshold and standardisation are frozen at fit, so
a sample called alone gets its call within the cohort.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.mixture import GaussianMixture
from sklearn.utils.validation import check_is_fitted

from tmeprog.errors import InputError
from tmeprog.features.subtypes.reference import check_expression

#: Genes of each receptor score.
RECEPTOR_GENES: dict[str, tuple[str, ...]] = {
    "er": ("ESR1", "GATA3", "XBP1", "TFF3", "FOXA1", "SLC39A6"),
    "pgr": ("PGR",),
    "erbb2": ("ERBB2", "GRB7"),
}
#: Gene that must be present for a receptor to be called.
ANCHOR = {"er": "ESR1", "pgr": "PGR", "erbb2": "ERBB2"}
#: Fewest samples a mixture is fitted on.
MIN_MIXTURE_SAMPLES = 20
#: Smallest BIC improvement of two components over one for a score to count as bimodal.
MIN_BIC_GAIN = 10.0


class ReceptorWarning(UserWarning):
    """A receptor could not be called from expression (gene absent or score not bimodal)."""


def _threshold(gm) -> float:
    """The score between the two component means where the high component's posterior is 1/2."""
    means = gm.means_.ravel()
    lo, hi = np.argsort(means)
    grid = np.linspace(means[lo], means[hi], 2001).reshape(-1, 1)
    p_hi = gm.predict_proba(grid)[:, hi]
    k = int(np.argmax(p_hi >= 0.5))
    return float(grid[k, 0])


class ReceptorCaller(TransformerMixin, BaseEstimator):
    """Call ER, PR and HER2 status from expression by a two-component mixture per score.

    Parameters
    ----------
    receptors : sequence of str
        Which of ``er``, ``pgr``, ``erbb2`` to call.
    min_bic_gain : float
        Bimodality requirement (BIC of one Gaussian minus BIC of the two-component mixture).
    """

    def __init__(self, receptors=("er", "pgr", "erbb2"), min_bic_gain: float = MIN_BIC_GAIN):
        self.receptors = receptors
        self.min_bic_gain = min_bic_gain

    def fit(self, X: pd.DataFrame, y=None) -> ReceptorCaller:
        """Freeze per-gene standardisation, mixture and threshold of each receptor score."""
        X = check_expression(X, "receptor calls")
        unknown = sorted(set(self.receptors) - set(RECEPTOR_GENES))
        if unknown:
            raise InputError(f"unknown receptors {unknown}; use {sorted(RECEPTOR_GENES)}")
        if len(X) < MIN_MIXTURE_SAMPLES:
            raise InputError(
                f"receptor calls fit a mixture within the cohort and need at least "
                f"{MIN_MIXTURE_SAMPLES} samples (got {len(X)}); fit on a reference cohort and "
                "call these samples with it")
        self.models_: dict[str, dict] = {}
        for r in self.receptors:
            genes = [g for g in RECEPTOR_GENES[r] if g in X.columns and X[g].notna().any()]
            info = {"genes": genes, "called": False, "reason": "", "threshold": np.nan,
                    "bic_gain": np.nan, "positive_fraction": np.nan}
            self.models_[r] = info
            if ANCHOR[r] not in genes:
                info["reason"] = f"{ANCHOR[r]} absent"
                continue
            v = X[genes].to_numpy(dtype=float)
            med = np.nanmedian(v, axis=0)
            mad = np.nanmedian(np.abs(v - med), axis=0) * 1.4826
            sd = np.nanstd(v, axis=0)
            scale = np.where(mad > 0, mad, np.where(sd > 0, sd, 1.0))
            info.update(center=med, scale=scale)
            s = self._score(X, r)
            s = s[np.isfinite(s)].reshape(-1, 1)
            one = GaussianMixture(1).fit(s)
            init = np.quantile(s, [0.25, 0.75]).reshape(-1, 1)
            two = GaussianMixture(2, means_init=init, random_state=0).fit(s)
            gain = float(one.bic(s) - two.bic(s))
            info["bic_gain"] = gain
            if gain < self.min_bic_gain:
                info["reason"] = (f"score not bimodal in this cohort (BIC gain {gain:.1f} < "
                                  f"{self.min_bic_gain:g})")
                continue
            info.update(called=True, threshold=_threshold(two),
                        means=np.sort(two.means_.ravel()))
            info["positive_fraction"] = float((s.ravel() >= info["threshold"]).mean())
        for r, info in self.models_.items():
            if not info["called"]:
                warnings.warn(f"{r} status not called from expression: {info['reason']}",
                              ReceptorWarning, stacklevel=2)
        return self

    def _score(self, X: pd.DataFrame, r: str) -> np.ndarray:
        info = self.models_[r]
        cols = list(info["genes"])
        v = X.reindex(columns=cols).to_numpy(dtype=float)
        z = (v - info["center"]) / info["scale"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            score = np.nanmean(z, axis=1)
        score[np.isnan(v[:, cols.index(ANCHOR[r])])] = np.nan
        return score

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Scores and calls: ``er_score``, ``er_expression`` (0/1) ... one row per sample.

        ``erbb2_score`` is the ERBB2 amplicon score. Calls are missing where the receptor was
        not called at fit or the sample lacks the anchor gene.
        """
        check_is_fitted(self, "models_")
        X = check_expression(X, "receptor calls")
        out = pd.DataFrame(index=X.index)
        for r, info in self.models_.items():
            score = self._score(X, r) if "center" in info else np.full(len(X), np.nan)
            call = pd.array([pd.NA] * len(X), dtype="Int64")
            if info["called"]:
                ok = np.isfinite(score)
                call[ok] = (score[ok] >= info["threshold"]).astype(int)
            out[f"{r}_score"] = score
            out[f"{r}_expression"] = call
        return out

    def summary(self) -> pd.DataFrame:
        """Per receptor: genes used, whether it was called, threshold, BIC gain, share positive."""
        check_is_fitted(self, "models_")
        rows = [{"receptor": r, "genes": ",".join(i["genes"]), "called": i["called"],
                 "threshold": i["threshold"], "bic_gain": i["bic_gain"],
                 "positive_fraction": i["positive_fraction"], "reason": i["reason"]}
                for r, i in self.models_.items()]
        return pd.DataFrame(rows).set_index("receptor")
