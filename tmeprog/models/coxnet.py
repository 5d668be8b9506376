"""Elastic-net penalised Cox model (scikit-survival ``CoxnetSurvivalAnalysis``).

Why scikit-survival rather than lifelines: its coordinate-descent solver gives exact zeros (true
feature selection; lifelines approximates the L1 penalty smoothly), fits a warm-started path in
milliseconds; survival curves use the Breslow baseline (scikit-survival's ``BreslowEstimator``).
lifelines is used only for the confidence intervals of :meth:`CoxNetSurvival.summary`.

Given ``strata`` in ``fit`` (pooled cohorts or endpoints), the same objective is minimised with
the stratified partial likelihood (:mod:`tmeprog.models.stratified_cox`): a baseline hazard per
stratum. Survival curves of new patients then use one Breslow baseline over all training rows
(a new patient's cohort is not among the training strata); risk scores need no baseline.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from tmeprog.errors import InputError
from tmeprog.models.base import SurvivalModel, breslow_baseline, cox_survival
from tmeprog.models.stratified_cox import fit_stratified_coxnet


class CoxNetSurvival(SurvivalModel):
    """Elastic-net Cox proportional-hazards model on standardised features.

    Parameters
    ----------
    alpha : float, default=0.05
        Penalty strength (scikit-survival's ``alpha``; features are standardised first). The
        model is fitted along a warm-started path from the smallest penalty that zeroes every
        coefficient down to ``alpha``; at or above that value all coefficients are zero.
    l1_ratio : float, default=0.5
        Elastic-net mixing in (0, 1]; 1 is the lasso.
    n_path : int, default=30
        Number of penalties on the warm-start path.
    ci : {"refit", "none"}, default="refit"
        How :meth:`summary` gets hazard-ratio confidence intervals: ``"refit"`` fits an
        unpenalised lifelines ``CoxPHFitter`` on the selected standardised features of the
        training data (Wald 95% CIs; they ignore the selection step, so they are optimistic);
        ``"none"`` skips it.
    max_iter : int, default=100000
        Coordinate-descent iterations.
    tol : float, default=1e-7
        Convergence tolerance.
    preprocessor : transformer or None, default=None
        Fitted on training rows in ``fit``; None means
        :class:`~tmeprog.models.preprocess.MedianStandardScaler`.

    Attributes
    ----------
    coef_ : pandas.Series
        Penalised log hazard ratio per SD of each used feature.
    alpha_max_ : float
        Smallest penalty with all coefficients zero.
    model_ : CoxnetSurvivalAnalysis
        The fitted path (last penalty = ``alpha``).
    baseline_ : tuple of ndarray
        Breslow baseline on the training rows: unique times and cumulative hazard.
    refit_ : pandas.DataFrame or None
        Unpenalised refit table (``ci="refit"``).
    strata_ : list of str or None
        Training strata of a stratified fit (None: one baseline hazard).
    """

    supports_strata = True

    def __init__(self, alpha: float = 0.05, l1_ratio: float = 0.5, n_path: int = 30,
                 ci: str = "refit", max_iter: int = 100000, tol: float = 1e-7,
                 preprocessor=None):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.n_path = n_path
        self.ci = ci
        self.max_iter = max_iter
        self.tol = tol
        self.preprocessor = preprocessor

    def _fit_transformed(self, Xt: pd.DataFrame, y: np.ndarray, strata=None) -> None:
        if not (self.alpha > 0):
            raise InputError(f"CoxNetSurvival: alpha must be > 0, got {self.alpha!r}")
        if self.ci not in ("refit", "none"):
            raise InputError(f"CoxNetSurvival: ci must be 'refit' or 'none', got {self.ci!r}")
        self.strata_ = None
        if strata is not None and len(set(strata)) > 1:
            self._fit_stratified(Xt, y, np.asarray(strata))
            return
        self._fit_path(Xt, y)

    def _fit_stratified(self, Xt: pd.DataFrame, y: np.ndarray, strata: np.ndarray) -> None:
        # deferred: keeps `import tmeprog.models` free of scikit-learn's linear models
        from sklearn.linear_model import LinearRegression

        b, amax = fit_stratified_coxnet(Xt.to_numpy(), y["time"], y["event"], strata,
                                        float(self.alpha), float(self.l1_ratio), tol=self.tol)
        # the linear predictor x'b as a fitted scikit-learn linear model (what the SHAP
        # explainers read through its predict)
        lin = LinearRegression()
        lin.coef_, lin.intercept_ = b.copy(), 0.0
        lin.n_features_in_ = len(b)
        self.model_ = lin
        self.lp_ = (b, 0.0)
        self.alpha_max_ = amax
        self.strata_ = sorted(set(strata.tolist()))
        self.coef_ = pd.Series(b, index=Xt.columns, name="coef")
        self.baseline_ = breslow_baseline(self._linear_predictor(Xt.to_numpy()), y)
        self.refit_ = (_unpenalised_refit(Xt, y, self.coef_, strata) if self.ci == "refit"
                       else None)

    def _fit_path(self, Xt: pd.DataFrame, y: np.ndarray) -> None:
        # deferred: keeps `import tmeprog.models` (and `tmeprog models`) free of scikit-survival
        from sksurv.linear_model import CoxnetSurvivalAnalysis

        common = dict(l1_ratio=self.l1_ratio, max_iter=self.max_iter, tol=self.tol)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="all coefficients are zero")
            first = CoxnetSurvivalAnalysis(n_alphas=2, alpha_min_ratio=0.99, **common)
            first.fit(Xt.to_numpy(), y)
            amax = float(first.alphas_[0])
            if self.alpha >= amax:
                alphas = np.array([float(self.alpha)])
            else:
                alphas = np.geomspace(amax, float(self.alpha), max(int(self.n_path), 2))
            model = CoxnetSurvivalAnalysis(alphas=alphas, **common)
            model.fit(Xt.to_numpy(), y)
            if not np.isclose(model.alphas_[-1], self.alpha, rtol=1e-10, atol=0):
                # the solver ends a path early once the deviance stops changing (near the
                # unpenalised fit); then fit the requested penalty alone
                model = CoxnetSurvivalAnalysis(alphas=[float(self.alpha)], **common)
                model.fit(Xt.to_numpy(), y)
        self.alpha_max_ = amax
        self.model_ = model
        self.lp_ = (np.asarray(model.coef_[:, -1], float), float(model.offset_[-1]))
        self.coef_ = pd.Series(model.coef_[:, -1], index=Xt.columns, name="coef")
        # Breslow baseline of the final penalty on the training rows (what scikit-survival's
        # fit_baseline_model computes, through its public BreslowEstimator)
        self.baseline_ = breslow_baseline(self._linear_predictor(Xt.to_numpy()), y)
        self.refit_ = _unpenalised_refit(Xt, y, self.coef_) if self.ci == "refit" else None

    def _risk(self, Xt: pd.DataFrame) -> np.ndarray:
        return self._linear_predictor(Xt.to_numpy())

    def _linear_predictor(self, X: np.ndarray) -> np.ndarray:
        """``x'b - offset`` as scikit-survival's ``predict``, but summed row by row (numpy's
        pairwise sum over each contiguous row): a sample gets the same bits whatever the other
        rows, where a BLAS matrix-vector product may round its last bit differently."""
        X = np.ascontiguousarray(X, dtype=np.float64)
        coef, offset = self.lp_
        return (X * coef).sum(axis=1) - offset

    def _survival(self, Xt: pd.DataFrame, horizons: np.ndarray) -> np.ndarray:
        # S(t | x) = exp(-H0(t) exp(x'b)) at the horizons only
        times, cumhaz = self.baseline_
        return cox_survival(self._linear_predictor(Xt.to_numpy()), times, cumhaz,
                            np.asarray(horizons, float))

    def summary(self) -> pd.DataFrame:
        """Coefficients and hazard ratios per SD with 95% CIs.

        Columns: ``coef_penalised`` (log HR per SD at ``alpha``), ``selected``, and from the
        unpenalised refit on the selected features: ``hr``, ``ci_low``, ``ci_high``, ``p``.
        """
        check_is_fitted(self, "coef_")
        out = pd.DataFrame({"coef_penalised": self.coef_, "selected": self.coef_ != 0})
        n_sel = int(out["selected"].sum())
        for col in ("hr", "ci_low", "ci_high", "p"):
            out[col] = np.nan
        if self.refit_ is not None and len(self.refit_):
            out.loc[self.refit_.index, ["hr", "ci_low", "ci_high", "p"]] = self.refit_.to_numpy()
        out.index.name = "feature"
        if self.ci == "none":
            how = "no confidence intervals (ci='none')"
        else:
            how = (f"hr and 95% CI from an unpenalised lifelines CoxPHFitter refit on the {n_sel} "
                   "selected standardised features of the training data (Wald intervals; they "
                   "ignore the selection step and are optimistic)")
            if self.refit_ is not None and self.refit_.attrs.get("failed"):
                how += f"; refit failed: {self.refit_.attrs['failed']}"
        out.attrs["note"] = (
            f"elastic-net Cox (l1_ratio={self.l1_ratio:g}, alpha={self.alpha:g}, "
            f"alpha_max={self.alpha_max_:.4g}"
            + (f"; baseline hazard stratified by {len(self.strata_)} strata"
               if getattr(self, "strata_", None) else "")
            + f"); per-SD effects on {self.n_train_} samples, "
            f"{self.n_events_} events; {how}; dropped before fit: "
            f"{getattr(self.preprocessor_, 'dropped_', {}) or 'none'}"
        )
        return out


def _unpenalised_refit(Xt: pd.DataFrame, y: np.ndarray, coef: pd.Series,
                       strata=None) -> pd.DataFrame:
    """lifelines CoxPHFitter on the selected features: hr, ci_low, ci_high, p per feature."""
    from lifelines import CoxPHFitter  # deferred: lifelines loads only for the refit CIs

    sel = coef.index[coef.to_numpy() != 0]
    out = pd.DataFrame(columns=["hr", "ci_low", "ci_high", "p"], dtype=float)
    if len(sel) == 0:
        return out
    df = Xt[list(sel)].copy()
    df["__time"] = y["time"]
    df["__event"] = y["event"].astype(int)
    if strata is not None:
        df["__stratum"] = np.asarray(strata)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cph = CoxPHFitter().fit(df, duration_col="__time", event_col="__event",
                                    strata=["__stratum"] if strata is not None else None)
    except Exception as exc:  # lifelines raises several types on separation/convergence
        out.attrs["failed"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
        return out
    s = cph.summary
    return pd.DataFrame({
        "hr": s["exp(coef)"], "ci_low": s["exp(coef) lower 95%"],
        "ci_high": s["exp(coef) upper 95%"], "p": s["p"],
    }).astype(float)
