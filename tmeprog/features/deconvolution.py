"""Absolute immune-cell fractions with quanTIseq's model (Finotello 2019), per sample.

For each sample, as quanTIseq does:

1. expression is brought to a linear scale (``scale="log2"``: ``2**x``, quanTIseq's rule;
   ``"log2p1"``: ``2**x - 1``, the inverse of log2(x + 1); ``"linear"``: as given);
2. microarrays only (``arrays=True``): quantile normalisation, onto a target distribution
   frozen at fit (quanTIseq normalises the cohort at hand; a frozen target keeps each sample's
   fractions independent of the others);
3. the profile is rescaled to sum to 1e6 over its genes (TPM-like);
4. TIL10 signature genes are dropped: quanTIseq's RNA-seq noisy genes (RNA-seq only) and its
   genes aberrantly expressed in tumours (``tumor=True``);
5. fractions ``f`` solve the constrained least squares ``min ||A f - b||^2`` subject to
   ``f >= 0`` and ``sum(f) <= 1`` (``A``: signature, ``b``: the sample, over the signature
   genes it has), solved exactly by ``quadprog`` (Goldfarb-Idnani dual active set);
6. mRNA-content scaling: ``f / m``, renormalised to the sum of ``f``;
7. the Treg / CD4 correction: when Tregs come out below 0.02, the fit is repeated without
   CD4 T cells, Tregs become the mean of both estimates and CD4 T cells lose the mean of the
   CD4-free estimate and that corrected value (the reference implementation's arithmetic);
8. ``Other = max(0, 1 - sum(f))``, then every fraction is divided by the total, so that the
   ten cell types and Other sum to 1.

Derived: ``til_fraction`` (B + CD4 + CD8 + Treg + NK) and ``immune_fraction`` (1 - Other).

Bad input: a stated scale the values contradict (log data said linear, linear said log),
negative linear values and infinite values raise :class:`~tmeprog.errors.InputError`;
samples that look like two-colour log ratios, all-zero samples and samples with fewer than
``min_coverage`` of the signature genes get NaN and one :class:`DeconvolutionWarning` naming
them. Tumour samples whose fit saturates (Other = 0) are kept but named in a warning.

Absolute level: quanTIseq's reference is RNA-seq TPM. On microarrays (background intensity
makes every signature gene look expressed) and on platforms with far fewer genes than
RNA-seq (the 1e6 rescale then inflates each gene), fractions rank samples correctly but their
absolute level is not calibrated.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import quadprog
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from tmeprog.errors import InputError
from tmeprog.features.definitions import FRACTION_FEATURES
from tmeprog.features.registry import get_method
from tmeprog.features.scoring import check_expression_frame
from tmeprog.signatures.references import load_til10

#: quanTIseq cell type -> output column (all output columns:
#: :data:`~tmeprog.features.definitions.FRACTION_FEATURES`).
CELL_COLUMNS: dict[str, str] = {
    "B.cells": "frac_b_cells", "Macrophages.M1": "frac_macrophages_m1",
    "Macrophages.M2": "frac_macrophages_m2", "Monocytes": "frac_monocytes",
    "Neutrophils": "frac_neutrophils", "NK.cells": "frac_nk_cells",
    "T.cells.CD4": "frac_t_cells_cd4", "T.cells.CD8": "frac_t_cells_cd8",
    "Tregs": "frac_tregs", "Dendritic.cells": "frac_dendritic_cells",
}
TIL_CELLS = ("frac_b_cells", "frac_t_cells_cd4", "frac_t_cells_cd8", "frac_tregs",
             "frac_nk_cells")
SCALES = ("linear", "log2", "log2p1")
_SCALE_ALIASES = {"tpm": "linear", "fpkm": "linear", "rpkm": "linear", "log": "log2",
                  "log2(x+1)": "log2p1", "log2_tpm_plus_1": "log2p1"}
#: quanTIseq's own test for log data: a maximum below this is taken as log2.
LOG_MAX = 50.0
MIN_TREGS = 0.02
_CHUNK = 512


class DeconvolutionWarning(UserWarning):
    """Some samples got NaN fractions (the message names them and says why)."""


def _scale_name(scale: str) -> str:
    key = str(scale).strip().lower()
    key = _SCALE_ALIASES.get(key, key)
    if key not in SCALES:
        raise InputError(f"scale={scale!r}; quanTIseq needs one of {', '.join(SCALES)} "
                         "(linear: TPM/FPKM; log2: log2 values, un-logged as 2**x; log2p1: "
                         "log2(x + 1) values). Two-colour log ratios and counts cannot be "
                         "deconvolved: their values carry no absolute abundance / no gene "
                         "length.")
    return key


def _check_frame(X) -> pd.DataFrame:
    check_expression_frame(X)  # a DataFrame, numeric, unique gene columns
    return X


def _check_values(x: np.ndarray, index: pd.Index, columns: pd.Index, scale: str) -> None:
    inf = np.isinf(x)
    if inf.any():
        r, c = np.argwhere(inf)[0]
        raise InputError(f"expression has an infinite value at sample {index[r]!r}, gene "
                         f"{columns[c]!r}; expression must be finite (log of 0? use "
                         "log2(x + 1) and scale='log2p1').")
    if not np.isfinite(x).any():
        raise InputError("expression has no finite value.")
    hi = float(np.nanmax(x))
    if scale == "linear":
        neg = x < 0
        if neg.any():
            r, c = np.argwhere(neg)[0]
            raise InputError(f"scale='linear' but sample {index[r]!r} has a negative value "
                             f"({x[r, c]:.3g}, gene {columns[c]!r}); linear expression cannot "
                             "be negative: is it on a log scale? pass scale='log2' or "
                             "'log2p1'.")
        if hi < LOG_MAX:
            raise InputError(f"scale='linear' but no value exceeds {hi:.3g}: that is log2 "
                             "data (quanTIseq un-logs data whose maximum is below 50); pass "
                             "scale='log2' or 'log2p1'.")
    elif hi >= LOG_MAX:
        raise InputError(f"scale={scale!r} but values reach {hi:.4g}; 2**{hi:.0f} is no "
                         "expression level: the data are linear, pass scale='linear'.")


def _ratio_like(x: np.ndarray) -> np.ndarray:
    """Samples that look like two-colour log ratios: median near 0, many negative values,
    and no floor (log expression of unexpressed genes piles up at its minimum, e.g.
    log2(0 + 0.001); ratios do not)."""
    # at most 2,000 evenly spaced genes of each sample tell as much, and stay per sample
    sub = x[:, ::max(1, x.shape[1] // 2000)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        finite = np.isfinite(sub)
        med = np.median(sub, axis=1) if finite.all() else np.nanmedian(sub, axis=1)
        n = np.maximum(finite.sum(axis=1), 1)
        neg = (np.where(finite, sub, 0.0) < 0).sum(axis=1) / n
        at_min = (sub == np.nanmin(sub, axis=1, keepdims=True)).sum(axis=1) / n
    return (np.abs(med) < 1.0) & (neg >= 0.15) & (at_min < 0.05)


def _unlog(x: np.ndarray, scale: str) -> np.ndarray:
    if scale == "linear":
        return x.astype(np.float64, copy=True)
    y = np.exp2(x, dtype=np.float64)
    if scale == "log2p1":
        y -= 1.0
        np.maximum(y, 0.0, out=y)  # log2(x + 1) rounded below 0 for x = 0
    return y


def _quantile_grid(y: np.ndarray, size: int) -> np.ndarray:
    """Each row's sorted finite values, interpolated onto ``size`` evenly spaced quantiles."""
    out = np.empty((y.shape[0], size))
    grid = np.linspace(0.0, 1.0, size)
    for i, row in enumerate(y):
        v = np.sort(row[np.isfinite(row)])
        out[i] = np.interp(grid, np.linspace(0.0, 1.0, len(v)), v) if len(v) > 1 else v[0]
    return out


def _quantile_map(y: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Replace each row's values by the target value at their (average) rank's quantile."""
    out = np.full_like(y, np.nan)
    tgrid = np.linspace(0.0, 1.0, len(target))
    for i, row in enumerate(y):
        ok = np.isfinite(row)
        n = int(ok.sum())
        if n < 2:
            continue
        q = (rankdata(row[ok], method="average") - 1.0) / (n - 1)
        out[i, ok] = np.interp(q, tgrid, target)
    return out


class _System:
    """quanTIseq's least squares on one set of signature genes, factored once.

    ``solve(b)`` returns the fractions ``f >= 0``, ``sum(f) <= 1`` minimising
    ``||A f - b||^2``, then mRNA-scaled. ``A`` is divided by its largest singular value for
    conditioning, as quanTIseq does (the solution is unchanged).
    """

    def __init__(self, A: np.ndarray, scaling: np.ndarray):
        k = A.shape[1]
        self.s = np.linalg.norm(A, 2)
        self.As = np.ascontiguousarray(A / self.s)
        self.G = self.As.T @ self.As
        self.C = np.hstack([np.eye(k), -np.ones((k, 1))])
        self.h = np.r_[np.zeros(k), -1.0]
        self.scaling = scaling

    def solve(self, b: np.ndarray) -> np.ndarray:
        try:
            f = quadprog.solve_qp(self.G, self.As.T @ (b / self.s), self.C, self.h)[0]
        except ValueError as exc:  # a singular signature on too few genes
            raise InputError(f"quanTIseq's least squares has no unique solution on these "
                             f"{self.As.shape[0]} signature genes ({exc}); give more genes."
                             ) from None
        f = np.maximum(f, 0.0)
        total = f.sum()
        if total <= 0:
            return f
        f = f / self.scaling
        return f / f.sum() * total


def _solve(A: np.ndarray, b: np.ndarray, scaling: np.ndarray) -> np.ndarray:
    """Constrained least squares (f >= 0, sum f <= 1), then mRNA scaling."""
    return _System(A, scaling).solve(b)


class QuanTIseq(TransformerMixin, BaseEstimator):
    """quanTIseq cell fractions (see the module notes for every step).

    Parameters
    ----------
    scale : {"log2", "log2p1", "linear"}
        Scale of the expression given (``"tpm"``/``"fpkm"`` mean linear).
    arrays : bool, default False
        Microarray data: quantile-normalise onto a target frozen at fit and keep quanTIseq's
        RNA-seq noisy genes.
    tumor : bool, default False
        Tumour samples: drop the signature genes quanTIseq found aberrant in tumours
        (recommended for tumours; off by default, as in quanTIseq).
    mrna_scaling : bool, default True
        Correct for the mRNA content of each cell type.
    min_coverage : float, default 0.5
        Fewest share of the (remaining) signature genes a sample must have; fewer: NaN.

    Attributes
    ----------
    signature_genes_ : list of str
        Signature genes used (after the removals), in signature order.
    quantile_target_ : numpy.ndarray or None
        Frozen quantile-normalisation target (``arrays=True``).
    """

    def __init__(self, scale: str = "log2", arrays: bool = False, tumor: bool = False,
                 mrna_scaling: bool = True, min_coverage: float = 0.5):
        self.scale = scale
        self.arrays = arrays
        self.tumor = tumor
        self.mrna_scaling = mrna_scaling
        self.min_coverage = min_coverage

    def fit(self, X: pd.DataFrame, y=None) -> QuanTIseq:
        """Check the input; with ``arrays=True`` freeze the quantile target on ``X``."""
        scale = _scale_name(self.scale)
        if not 0 < self.min_coverage <= 1:
            raise InputError(f"min_coverage must be in (0, 1]; got {self.min_coverage!r}.")
        X = _check_frame(X)
        ref = load_til10()
        drop = set(ref.tumour_removed if self.tumor else ())
        if not self.arrays:
            drop |= set(ref.rnaseq_removed)
        self.signature_genes_ = [g for g in ref.signature.index if g not in drop]
        self.quantile_target_ = None
        if self.arrays:
            x = X.to_numpy(dtype=np.float64)
            _check_values(x, X.index, X.columns, scale)
            y = _unlog(x, scale)
            keep = ~_ratio_like(x) & (np.nansum(y, axis=1) > 0)
            if not keep.any():
                raise InputError("no sample can serve as quantile-normalisation reference "
                                 "(all look like log ratios or are all zero).")
            size = int(np.median(np.isfinite(y[keep]).sum(axis=1)))
            self.quantile_target_ = _quantile_grid(y[keep], max(size, 2)).mean(axis=0)
        self.scale_ = scale
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Fractions (samples x :data:`FRACTION_FEATURES`)."""
        check_is_fitted(self, "signature_genes_")
        X = _check_frame(X)
        ref = load_til10()
        sig = ref.signature.loc[self.signature_genes_]
        scaling = (ref.mrna_scaling.to_numpy() if self.mrna_scaling
                   else np.ones(sig.shape[1]))
        pos = X.columns.get_indexer(sig.index)
        present = pos >= 0
        A_all = sig.to_numpy()[present]
        cols = pos[present]
        n_sig = len(self.signature_genes_)
        out = np.full((len(X), len(CELL_COLUMNS) + 1), np.nan)
        why: dict[str, list] = {"look like two-colour log ratios": [], "are all zero": [],
                                f"have fewer than {self.min_coverage:.0%} of the "
                                f"{n_sig} signature genes": []}
        reasons = list(why)
        values = X.to_numpy(copy=False)
        systems: dict = {}  # one factored system per pattern of present signature genes
        for start in range(0, len(X), _CHUNK):
            # C order: each row's sums then do not depend on the other rows (alone = cohort)
            x = np.ascontiguousarray(values[start:start + _CHUNK], dtype=np.float64)
            idx = X.index[start:start + _CHUNK]
            _check_values(x, idx, X.columns, self.scale_)
            ratio = _ratio_like(x) if self.scale_ != "linear" else np.zeros(len(x), bool)
            y = _unlog(x, self.scale_)
            if self.arrays:
                y = _quantile_map(y, self.quantile_target_)
            total = np.nansum(y, axis=1) if np.isnan(y).any() else y.sum(axis=1)
            zero = total <= 0
            with np.errstate(invalid="ignore", divide="ignore"):
                b_all = y[:, cols] * (1e6 / total)[:, None]
            for i in range(len(x)):
                have = np.isfinite(b_all[i])
                if ratio[i]:
                    why[reasons[0]].append(idx[i])
                elif zero[i]:
                    why[reasons[1]].append(idx[i])
                elif have.sum() < self.min_coverage * n_sig:
                    why[reasons[2]].append(idx[i])
                else:
                    out[start + i] = self._one(systems, have, A_all, b_all[i, have], scaling,
                                               sig)
        self._warn(why)
        if self.tumor:  # a tumour sample with no room for tumour cells: the fit saturated
            full = np.flatnonzero(out[:, -1] == 0)
            if len(full):
                shown = ", ".join(map(str, X.index[full[:5]])) + (" ..." if len(full) > 5
                                                                  else "")
                warnings.warn(
                    f"quanTIseq: {len(full)} tumour sample(s) come out 100% immune (Other = 0), "
                    f"which suggests their scale does not match quanTIseq's TPM reference "
                    f"(e.g. array intensities with a high background); read their fractions "
                    f"as relative only: {shown}", DeconvolutionWarning, stacklevel=2)
        return self._frame(out, X.index)

    @staticmethod
    def _one(systems: dict, have, A_all, b, scaling, sig) -> np.ndarray:
        cells = list(sig.columns)
        cd4, treg = cells.index("T.cells.CD4"), cells.index("Tregs")
        keep = [j for j in range(len(cells)) if j != cd4]
        key = have.tobytes()
        if key not in systems:
            A = A_all[have]
            systems[key] = (_System(A, scaling), _System(A[:, keep], scaling[keep]))
        full_fit, no_cd4 = systems[key]
        f = full_fit.solve(b)
        if f[treg] < MIN_TREGS:
            t2 = no_cd4.solve(b)[keep.index(treg)]
            f[treg] = (t2 + f[treg]) / 2
            f[cd4] = max(0.0, f[cd4] - (t2 + f[treg]) / 2)
        full = np.r_[f, max(0.0, 1.0 - f.sum())]
        return full / full.sum()

    @staticmethod
    def _warn(why: dict) -> None:
        for reason, samples in why.items():
            if samples:
                shown = ", ".join(map(str, samples[:5])) + (" ..." if len(samples) > 5 else "")
                warnings.warn(f"quanTIseq: {len(samples)} sample(s) {reason} and get NaN "
                              f"fractions: {shown}", DeconvolutionWarning, stacklevel=3)

    @staticmethod
    def _frame(out: np.ndarray, index: pd.Index) -> pd.DataFrame:
        df = pd.DataFrame(out, index=index, columns=[*CELL_COLUMNS.values(), "frac_other"])
        df["til_fraction"] = df[list(TIL_CELLS)].sum(axis=1, min_count=1)
        df["immune_fraction"] = 1.0 - df["frac_other"]
        return df[list(FRACTION_FEATURES)]

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the output columns."""
        return np.asarray(FRACTION_FEATURES, dtype=object)


def deconvolve(expression: pd.DataFrame, method: str = "quantiseq", *, scale: str,
               arrays: bool = False, tumor: bool = False, mrna_scaling: bool = True,
               min_coverage: float = 0.5) -> pd.DataFrame:
    """Cell fractions of every sample.

    Parameters
    ----------
    expression : pandas.DataFrame
        Samples x genes (current HGNC symbols).
    method : {"quantiseq"}
        Deconvolution method (see :mod:`tmeprog.features.registry`).
    scale : {"log2", "log2p1", "linear"}
        Scale of ``expression``; required, because a fraction computed on a wrong scale
        looks as plausible as a right one.
    arrays, tumor, mrna_scaling, min_coverage
        As for :class:`QuanTIseq`. With ``arrays=True`` the quantile target is taken from
        ``expression`` itself; fit :class:`QuanTIseq` once to freeze it for later samples.

    Returns
    -------
    pandas.DataFrame
        Samples x :data:`FRACTION_FEATURES`; the ten cell fractions and ``frac_other`` sum
        to 1.
    """
    cls = get_method(method, "deconvolution").load()
    est = cls(scale=scale, arrays=arrays, tumor=tumor, mrna_scaling=mrna_scaling,
              min_coverage=min_coverage)
    return est.fit(expression).transform(expression)


_ARRAY_WORDS = ("array", "affymetrix", "agilent", "beadchip", "genechip", "hg-u", "u133")


def cohort_options(scale: str, input_scale: str | None = None, platform: str = "",
                   arrays: bool | None = None, tumor: bool | None = None,
                   tumour_cohort: bool = False) -> dict:
    """Extractor options for deconvolving a cohort's log expression.

    Parameters
    ----------
    scale : str
        The cohort's expression scale (``log2`` or ``log2_ratio``).
    input_scale : str, optional
        The scale the file was read on, before tmeprog took log2(x + 1) of linear data.
    platform : str
        Platform description; microarray words (Affymetrix, Agilent, BeadChip, array ...)
        switch on quanTIseq's array mode unless ``arrays`` says otherwise.
    arrays : bool, optional
        Microarray data, when known.
    tumor : bool, optional
        Tumour samples, when known; default ``tumour_cohort``.
    tumour_cohort : bool
        Whether the cohort is known to hold tumours (tmeprog's registered breast cohorts).

    Returns
    -------
    dict
        ``expression_scale``, ``arrays`` and ``tumor`` for :class:`~tmeprog.features.extractor.
        TMEFeatureExtractor`.

    Raises
    ------
    InputError
        Two-colour log ratios, or counts (no gene length: not TPM).
    """
    if scale == "log2_ratio" or input_scale == "log2_ratio":
        raise InputError("quanTIseq needs absolute expression, but this cohort holds two-colour "
                         "log ratios against a reference: their values carry no absolute "
                         "abundance, so cell fractions cannot be computed (drop "
                         "--deconvolution for this cohort).")
    if input_scale == "counts":
        raise InputError("quanTIseq needs TPM (gene-length normalised); this cohort was read "
                         "as raw counts, which only give CPM. Convert the counts to TPM first.")
    if arrays is None:
        arrays = any(w in platform.lower() for w in _ARRAY_WORDS)
    linear_input = input_scale in ("tpm", "linear")
    return {"expression_scale": "log2p1" if linear_input else "log2", "arrays": bool(arrays),
            "tumor": bool(tumour_cohort if tumor is None else tumor)}
