"""Penalised (elastic-net / L2) logistic regression for therapy response, with 95% CIs.

Input handling is shared with the boosted classifier (see :mod:`tmeprog.models.response`).
:class:`PenalisedLogistic` can add arm x feature interactions (``arm_interaction=True``): for each
interacted feature ``j`` a main effect ``b_j`` plus one deviation ``g_ja`` per arm (every arm,
the reference included), so the penalty shrinks arm-specific effects towards a common one. The
effect of feature ``j`` within arm ``a`` is ``b_j + g_ja`` (log odds ratio per SD of ``j``; SD of
the whole training set), tabulated by :meth:`PenalisedLogistic.arm_effects`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import special, stats
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from tmeprog.errors import InputError
from tmeprog.models.bootstrap import MAX_FAILED_SHARE, stratified_resample
from tmeprog.models.response import MIN_ARM_SIZE, ResponseModel
from tmeprog.models.response_design import OTHER_ARM


def _logistic(C: float, l1_ratio: float, solver: str, max_iter: int, tol: float, class_weight,
              random_state):
    return LogisticRegression(C=C, l1_ratio=l1_ratio, solver=solver, max_iter=max_iter, tol=tol,
                              class_weight=class_weight, random_state=random_state)


def wald_refit(Z: pd.DataFrame, y: np.ndarray, w: np.ndarray | None,
               max_abs_coef: float = 10.0, max_cond: float = 1e12) -> pd.DataFrame:
    """Unpenalised logistic refit with Wald statistics from the Fisher information.

    The refit is :class:`sklearn.linear_model.LogisticRegression` with ``C=inf``
    (newton-cholesky); the information matrix ``X1' diag(w p (1 - p)) X1`` (``X1`` = design with
    an intercept column) is computed here and inverted for the covariance. With weights it is
    the model-based (not sandwich) information.

    Returns
    -------
    pandas.DataFrame
        Per term: ``coef``, ``se``, ``or``, ``ci_low``, ``ci_high``, ``p``. When the refit shows
        (quasi-)separation - not converged, ``|coef| > max_abs_coef`` or an information matrix
        with condition number above ``max_cond`` - every value is NaN and
        ``attrs["failed"]`` says why.
    """
    cols = ["coef", "se", "or", "ci_low", "ci_high", "p"]
    out = pd.DataFrame(np.nan, index=Z.columns, columns=cols)
    if Z.shape[1] == 0:
        return out
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        m = LogisticRegression(C=np.inf, solver="newton-cholesky", max_iter=200, tol=1e-10)
        m.fit(Z.to_numpy(), y, sample_weight=w)
    beta = np.concatenate([m.intercept_, m.coef_[0]])
    X1 = np.column_stack([np.ones(len(Z)), Z.to_numpy()])
    p = special.expit(X1 @ beta)
    ww = (np.ones(len(y)) if w is None else w) * p * (1 - p)
    info = X1.T @ (X1 * ww[:, None])
    cond = np.linalg.cond(info)
    why = None
    if any(issubclass(c.category, ConvergenceWarning) for c in caught):
        why = "the unpenalised refit did not converge"
    elif np.max(np.abs(beta[1:])) > max_abs_coef:
        why = f"a refit coefficient exceeds {max_abs_coef:g} on the log-odds scale"
    elif not np.isfinite(cond) or cond > max_cond:
        why = f"the information matrix is near-singular (condition number {cond:.2g})"
    if why is not None:
        out.attrs["failed"] = (f"{why}: (quasi-)separation or too many terms for "
                               f"{len(y)} samples; use ci='bootstrap' or fewer features")
        return out
    se = np.sqrt(np.diag(np.linalg.inv(info)))[1:]
    b = beta[1:]
    z = stats.norm.ppf(0.975)
    out["coef"], out["se"] = b, se
    out["or"], out["ci_low"], out["ci_high"] = np.exp(b), np.exp(b - z * se), np.exp(b + z * se)
    out["p"] = 2 * stats.norm.sf(np.abs(b / se))
    return out


class PenalisedLogistic(ResponseModel):
    """Elastic-net / L2 logistic regression (scikit-learn) with arm covariates and interactions.

    Parameters
    ----------
    C : float, default=1.0
        Inverse penalty strength (``LogisticRegression(C=...)``).
    l1_ratio : float, default=0.0
        0 = ridge (L2), 1 = lasso, in between = elastic net.
    solver : {"auto", "lbfgs", "liblinear", "saga", "newton-cholesky"}, default="auto"
        "auto": newton-cholesky for ``l1_ratio == 0`` (robust to the strongly correlated
        signature scores), saga otherwise. liblinear allows only 0 or 1.
    max_iter : int, default=2000
    tol : float, default=1e-4
    class_weight : dict, "balanced" or None
    arm_column : str or None, default="arm"
        Column of ``X`` holding the treatment arm (one-hot coded; optional unless
        ``arm_interaction``).
    arm_interaction : bool, default=False
        Add arm x feature terms (see the module docstring); the arm column is then required and
        may not be missing.
    interaction_features : list of str, optional
        Numeric columns interacted with arm (default: all numeric columns).
    min_arm_size : int, default=10
        Arms with fewer training patients are pooled into ``"other"`` (warning).
    ci : {"auto", "wald", "bootstrap", "none"}, default="auto"
        How :meth:`summary` and :meth:`arm_effects` get 95% CIs, computed in ``fit``:
        "wald" - an unpenalised refit on the selected terms (non-zero penalised coefficient;
        with interactions, each selected feature gets one slope per arm instead of main effect
        + deviations) with Wald intervals from the Fisher information (:func:`wald_refit`; NaN
        under separation); "bootstrap" - the same penalised model refitted on ``n_boot``
        bootstrap resamples stratified by outcome (and arm), 2.5-97.5 percentiles of the
        penalised coefficients, preprocessing held fixed; "auto" = "bootstrap" with
        interactions, else "wald"; "none" - no CIs (fast; cross-validation uses it).
    n_boot : int, default=200
        Bootstrap resamples for ``ci="bootstrap"``.
    random_state : int, default=0
        Seed of the solver and of the bootstrap.

    Attributes
    ----------
    design_ : Design
        Fitted coding, imputation and scaling.
    model_ : sklearn.linear_model.LogisticRegression
    coef_ : pandas.Series
        Penalised log odds ratios per design term (per SD for continuous features).
    intercept_ : float
    ci_table_ : pandas.DataFrame or None
        Per term: ``or``, ``ci_low``, ``ci_high``, ``p`` from the CI method.
    arm_ci_ : pandas.DataFrame or None
        Per (feature, arm) the same columns (interaction models).
    ci_note_ : str
    """

    def __init__(self, C: float = 1.0, l1_ratio: float = 0.0, solver: str = "auto",
                 max_iter: int = 2000, tol: float = 1e-4, class_weight=None,
                 arm_column: str | None = "arm", arm_interaction: bool = False,
                 interaction_features=None, min_arm_size: int = MIN_ARM_SIZE, ci: str = "auto",
                 n_boot: int = 200, random_state: int | None = 0):
        self.C = C
        self.l1_ratio = l1_ratio
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.class_weight = class_weight
        self.arm_column = arm_column
        self.arm_interaction = arm_interaction
        self.interaction_features = interaction_features
        self.min_arm_size = min_arm_size
        self.ci = ci
        self.n_boot = n_boot
        self.random_state = random_state

    @property
    def _interaction(self) -> bool:  # read by the shared fit
        return bool(self.arm_interaction)

    def _solver(self) -> str:
        r = float(self.l1_ratio)
        if not 0.0 <= r <= 1.0:
            raise InputError(f"PenalisedLogistic: l1_ratio must be in [0, 1], got {r}")
        if not float(self.C) > 0:
            raise InputError(f"PenalisedLogistic: C must be > 0, got {self.C}")
        s = self.solver
        if s == "auto":
            return "newton-cholesky" if r == 0 else "saga"
        if s not in ("lbfgs", "liblinear", "saga", "newton-cholesky"):
            raise InputError(f"PenalisedLogistic: unknown solver {s!r}")
        if s in ("lbfgs", "newton-cholesky") and r > 0:
            raise InputError(f"PenalisedLogistic: solver {s!r} supports only l1_ratio=0; "
                             "use saga")
        if s == "liblinear" and 0 < r < 1:
            raise InputError("PenalisedLogistic: liblinear supports l1_ratio 0 or 1 only; "
                             "use saga for the elastic net")
        return s

    def _new_model(self):
        return _logistic(float(self.C), float(self.l1_ratio), self._solver(), int(self.max_iter),
                         float(self.tol), self.class_weight, self.random_state)

    def _ci_method(self) -> str:
        if self.ci not in ("auto", "wald", "bootstrap", "none"):
            raise InputError(f"PenalisedLogistic: unknown ci {self.ci!r}; choose auto, wald, "
                             "bootstrap or none")
        if self.ci == "auto":
            return "bootstrap" if self.arm_interaction else "wald"
        return self.ci

    def _fit_design(self, Z: pd.DataFrame, y: np.ndarray, w: np.ndarray | None) -> None:
        method = self._ci_method()
        model = self._new_model()
        model.fit(Z.to_numpy(), y, sample_weight=w)
        self.model_ = model
        self.coef_ = pd.Series(model.coef_[0], index=Z.columns, name="coef")
        self.intercept_ = float(model.intercept_[0])
        self.ci_table_ = self.arm_ci_ = None
        if method == "none":
            self.ci_note_ = "no confidence intervals (ci='none')"
        elif method == "wald":
            self._wald(Z, y, w)
        else:
            self._bootstrap(Z, y, w)

    def _margin(self, Z: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "model_")
        return Z.to_numpy() @ self.coef_.to_numpy() + self.intercept_

    # -- per-arm effects -------------------------------------------------------------------

    def _arm_effect_matrix(self) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
        """Linear map from coefficients to per-arm effects (rows = (feature, arm))."""
        d = self.design_
        pairs = [(f, a) for f in d.interaction for a in d.arm_levels]
        cols = list(self.coef_.index)
        A = np.zeros((len(pairs), len(cols)))
        for i, (f, a) in enumerate(pairs):
            A[i, cols.index(f)] = 1.0
            A[i, cols.index(f"{f}:arm={a}")] = 1.0
        return pd.DataFrame(A, columns=cols), pairs

    def _wald(self, Z, y, w) -> None:
        d = self.design_
        coef = self.coef_
        selected = set(coef.index[coef.to_numpy() != 0])
        inter_sel = [f for f in d.interaction
                     if f in selected or any(f"{f}:arm={a}" in selected for a in d.arm_levels)]
        terms = d.terms
        keep = []
        for t in terms.index:
            kind, feat = terms.at[t, "kind"], terms.at[t, "feature"]
            if kind == "interaction":
                if feat in inter_sel:
                    keep.append(t)
            elif feat in d.interaction:
                continue  # main effect replaced by per-arm slopes in the refit
            elif t in selected:
                keep.append(t)
        refit = wald_refit(Z[keep], y, w)
        table = pd.DataFrame(np.nan, index=coef.index, columns=["or", "ci_low", "ci_high", "p"])
        plain = [t for t in keep if terms.at[t, "kind"] != "interaction"]
        table.loc[plain] = refit.loc[plain, ["or", "ci_low", "ci_high", "p"]].to_numpy()
        self.ci_table_ = table
        if d.interaction:
            rows = []
            for f in d.interaction:
                for a in d.arm_levels:
                    t = f"{f}:arm={a}"
                    vals = (refit.loc[t, ["or", "ci_low", "ci_high", "p"]].to_numpy()
                            if t in refit.index else np.full(4, np.nan))
                    rows.append((f, a, *vals))
            self.arm_ci_ = pd.DataFrame(rows, columns=["feature", "arm", "or", "ci_low",
                                                       "ci_high", "p"])
        how = (f"or, 95% CI and p from an unpenalised logistic refit on the {len(keep)} selected "
               "terms of the training data (Wald intervals from the Fisher information; they "
               "ignore the penalty and the selection, so they are optimistic)")
        if d.interaction:
            how += ("; interacted features get one slope per arm in the refit, so their main "
                    "effect and deviation rows have no CI (see arm_effects())")
        if refit.attrs.get("failed"):
            how += f"; refit failed: {refit.attrs['failed']}"
        self.ci_note_ = how

    def _bootstrap(self, Z, y, w) -> None:
        d = self.design_
        n_boot = int(self.n_boot)
        if n_boot < 2:
            raise InputError("PenalisedLogistic: n_boot must be >= 2 for bootstrap CIs")
        A, pairs = (self._arm_effect_matrix() if d.interaction else (None, []))
        strata, by_arm = y.astype(str), False
        if d.arm_column is not None:
            ref = d.categorical[d.arm_column][1]
            arm = np.full(len(y), ref, dtype=object)
            for lv in d.arm_levels:
                col = f"{d.arm_column}={lv}"
                if col in Z.columns:
                    arm[Z[col].to_numpy() == 1] = lv
            combo = np.array([f"{a}|{b}" for a, b in zip(strata, arm, strict=True)])
            if np.unique(combo, return_counts=True)[1].min() >= 2:
                strata, by_arm = combo, True
        rng = np.random.default_rng(self.random_state)
        Zn = Z.to_numpy()
        reps, arm_reps, failed = [], [], 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for _ in range(n_boot):
                idx = stratified_resample(rng, strata)
                if len(np.unique(y[idx])) < 2:
                    failed += 1
                    continue
                m = self._new_model()
                try:
                    m.fit(Zn[idx], y[idx], sample_weight=None if w is None else w[idx])
                except ValueError:
                    failed += 1
                    continue
                reps.append(m.coef_[0])
                if A is not None:
                    arm_reps.append(A.to_numpy() @ m.coef_[0])
        ok = failed <= MAX_FAILED_SHARE * n_boot
        table = pd.DataFrame(np.nan, index=self.coef_.index,
                             columns=["or", "ci_low", "ci_high", "p"])
        table["or"] = np.exp(self.coef_.to_numpy())
        if ok:
            lo, hi = np.percentile(np.asarray(reps), [2.5, 97.5], axis=0)
            table["ci_low"], table["ci_high"] = np.exp(lo), np.exp(hi)
        self.ci_table_ = table
        if A is not None:
            eff = A.to_numpy() @ self.coef_.to_numpy()
            arm_tab = pd.DataFrame(pairs, columns=["feature", "arm"])
            arm_tab["or"] = np.exp(eff)
            arm_tab["ci_low"] = arm_tab["ci_high"] = np.nan
            if ok:
                lo, hi = np.percentile(np.asarray(arm_reps), [2.5, 97.5], axis=0)
                arm_tab["ci_low"], arm_tab["ci_high"] = np.exp(lo), np.exp(hi)
            arm_tab["p"] = np.nan
            self.arm_ci_ = arm_tab
        self.ci_note_ = (
            f"95% CI: 2.5-97.5 percentiles of the penalised coefficients over {n_boot} bootstrap "
            f"refits (resampled within outcome{' x arm' if by_arm else ''} strata, "
            f"seed {self.random_state}; imputation and scaling held fixed); or = penalised "
            "estimate; no p-values"
            + ("" if ok else f"; {failed} of {n_boot} refits failed, CI set to NaN")
        )

    # -- tables ----------------------------------------------------------------------------

    def summary(self) -> pd.DataFrame:
        """Penalised coefficients and odds ratios with 95% CIs, one row per design term.

        Columns: ``kind``, ``scale`` (per SD, 1 vs 0, vs reference level, deviation in an
        arm), ``coef_penalised``, ``or_penalised``, then ``or``, ``ci_low``, ``ci_high``, ``p``
        from the CI method (see ``attrs["note"]``).
        """
        check_is_fitted(self, "coef_")
        t = self.design_.terms
        out = pd.DataFrame({"kind": t["kind"], "scale": t["scale"],
                            "coef_penalised": self.coef_, "or_penalised": np.exp(self.coef_)})
        ci = (self.ci_table_ if self.ci_table_ is not None else
              pd.DataFrame(np.nan, index=out.index, columns=["or", "ci_low", "ci_high", "p"]))
        out = pd.concat([out, ci], axis=1)
        out.index.name = "term"
        out.attrs["note"] = self._note()
        return out

    def arm_effects(self) -> pd.DataFrame:
        """Odds ratio per SD of each interacted feature within each arm, with 95% CIs.

        Columns: ``feature``, ``arm``, ``n_arm`` (training patients), ``log_or_penalised``
        (main effect + arm deviation), ``or_penalised``, ``or``, ``ci_low``, ``ci_high``, ``p``
        (from the CI method; Wald: the per-arm slope of the unpenalised refit).
        """
        check_is_fitted(self, "coef_")
        d = self.design_
        if not d.interaction:
            raise InputError("arm_effects() needs a model fitted with arm_interaction=True")
        A, pairs = self._arm_effect_matrix()
        eff = A.to_numpy() @ self.coef_.to_numpy()
        out = pd.DataFrame(pairs, columns=["feature", "arm"])
        out["n_arm"] = [d.arm_counts.get(a, 0) for _, a in pairs]
        out["log_or_penalised"] = eff
        out["or_penalised"] = np.exp(eff)
        ci = self.arm_ci_
        for c in ("or", "ci_low", "ci_high", "p"):
            out[c] = np.nan if ci is None else ci[c].to_numpy()
        out.attrs["note"] = self._note()
        return out

    def _note(self) -> str:
        d = self.design_
        arm = ""
        if d.arm_column:
            arm = (f"; arm reference {d.categorical[d.arm_column][1]!r}, pooled into "
                   f"{OTHER_ARM!r}: "
                   f"{sorted(a for a, v in d.arm_map.items() if v == OTHER_ARM) or 'none'}")
        return (f"logistic regression (C={self.C:g}, l1_ratio={self.l1_ratio:g}, solver "
                f"{self.model_.solver}) on {self.n_train_} samples, {self.n_positive_} positive"
                f"{' (weighted)' if self.weighted_ else ''}; continuous features per training SD"
                f"{arm}; {self.ci_note_}")
