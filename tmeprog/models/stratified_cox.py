"""Elastic-net Cox regression with a baseline hazard per stratum (proximal Newton).

scikit-survival's ``CoxnetSurvivalAnalysis`` has no strata. When cohorts with different
endpoints (or very different follow-up) are pooled, each cohort x endpoint needs its own
baseline hazard: the stratified partial likelihood compares a patient only with patients of the
same stratum. This module minimises scikit-survival's (glmnet's) objective with that likelihood:

    -(1/n) sum_s loglik_s(b) + alpha * (l1_ratio * |b|_1 + (1 - l1_ratio) / 2 * |b|_2^2)

with Breslow's handling of tied times, as scikit-survival does. With one stratum it is the same
objective, so the two solvers agree (tested). The solver is proximal Newton: each step minimises
the penalised second-order expansion of the likelihood by cyclic coordinate descent, followed by
a backtracking line search on the exact objective.
"""

from __future__ import annotations

import numpy as np

from tmeprog.errors import InputError


def _prepare(time: np.ndarray, event: np.ndarray, strata: np.ndarray) -> list[tuple]:
    """Per stratum: rows sorted by time, the first position of each row's tie group, events."""
    out = []
    for s in np.unique(strata):
        idx = np.flatnonzero(strata == s)
        idx = idx[np.argsort(time[idx], kind="stable")]
        t = time[idx]
        first = np.searchsorted(t, t, side="left")
        out.append((idx, first, event[idx].astype(bool)))
    return out


def _rev_cumsum(a: np.ndarray) -> np.ndarray:
    return np.cumsum(a[::-1], axis=0)[::-1]


def partial_likelihood(b: np.ndarray, X: np.ndarray, prep: list[tuple],
                       hessian: bool = True):
    """Stratified Breslow log partial likelihood, its gradient and Hessian at ``b``."""
    p = X.shape[1]
    ll, grad = 0.0, np.zeros(p)
    hess = np.zeros((p, p)) if hessian else None
    for idx, first, ev in prep:
        if not ev.any():
            continue
        Xs = X[idx]
        eta = Xs @ b
        m = eta.max()
        w = np.exp(eta - m)
        r0 = _rev_cumsum(w)[first]
        r1 = _rev_cumsum(w[:, None] * Xs)[first]
        ll += float((eta[ev] - m - np.log(r0[ev])).sum())
        mean = r1[ev] / r0[ev, None]
        grad += (Xs[ev] - mean).sum(axis=0)
        if hessian:
            # sum over events i of sum_{j in R(i)} w_j x_j x_j' / r0_i = X' diag(w c) X, with
            # c_j the sum of 1 / r0_i over the events whose risk set holds j
            inv = np.zeros(len(w))
            np.add.at(inv, first[ev], 1.0 / r0[ev])
            wc = w * np.cumsum(inv)
            hess -= (Xs * wc[:, None]).T @ Xs - mean.T @ mean
    return ll, grad, hess


def _penalty(b: np.ndarray, l1: float, l2: float) -> float:
    return l1 * np.abs(b).sum() + 0.5 * l2 * (b @ b)


def _cd_quadratic(A: np.ndarray, c: np.ndarray, l1: float, l2: float, z: np.ndarray,
                  tol: float, max_sweeps: int = 1000) -> np.ndarray:
    """argmin_z 0.5 z'Az - c'z + l1 |z|_1 + l2/2 |z|^2 by cyclic coordinate descent."""
    z = z.copy()
    diag = np.diag(A) + l2
    Az = A @ z
    for _ in range(max_sweeps):
        delta = 0.0
        for j in range(len(z)):
            if diag[j] <= 0:
                continue
            rho = c[j] - (Az[j] - A[j, j] * z[j])
            new = np.sign(rho) * max(abs(rho) - l1, 0.0) / diag[j]
            d = new - z[j]
            if d != 0.0:
                Az += A[:, j] * d
                z[j] = new
                delta = max(delta, abs(d))
        if delta < tol:
            break
    return z


def fit_stratified_coxnet(X: np.ndarray, time: np.ndarray, event: np.ndarray,
                          strata: np.ndarray, alpha: float, l1_ratio: float,
                          tol: float = 1e-7, max_iter: int = 200) -> tuple[np.ndarray, float]:
    """Elastic-net Cox coefficients with a baseline hazard per stratum.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Standardised features.
    time, event : ndarray
        Follow-up (months) and event indicator.
    strata : ndarray
        Stratum label of each sample.
    alpha, l1_ratio : float
        Penalty strength and elastic-net mixing, as in scikit-survival.
    tol : float
        Convergence tolerance on the largest coefficient change.
    max_iter : int
        Newton steps.

    Returns
    -------
    (ndarray, float)
        Coefficients, and ``alpha_max`` (the smallest ``alpha`` with every coefficient zero).
    """
    X = np.ascontiguousarray(X, dtype=float)
    n, p = X.shape
    if not 0 < l1_ratio <= 1:
        raise InputError(f"l1_ratio must be in (0, 1], got {l1_ratio!r}")
    prep = _prepare(np.asarray(time, float), np.asarray(event, bool), np.asarray(strata))
    l1, l2 = alpha * l1_ratio, alpha * (1 - l1_ratio)
    _, g0, _ = partial_likelihood(np.zeros(p), X, prep, hessian=False)
    alpha_max = float(np.abs(g0 / n).max() / l1_ratio)
    b = np.zeros(p)

    def objective(v):
        return -partial_likelihood(v, X, prep, hessian=False)[0] / n + _penalty(v, l1, l2)

    f = objective(b)
    for _ in range(max_iter):
        ll, g, H = partial_likelihood(b, X, prep)
        grad, A = -g / n, -H / n  # of the negative mean log-likelihood
        z = _cd_quadratic(A, A @ b - grad, l1, l2, b, tol / 10)
        d = z - b
        if np.abs(d).max() < tol:
            break
        decrease = grad @ d + _penalty(z, l1, l2) - _penalty(b, l1, l2)
        step = 1.0
        while step > 1e-6:
            cand = b + step * d
            fc = objective(cand)
            if fc <= f + 0.25 * step * decrease:
                break
            step /= 2
        change = np.abs(cand - b).max()
        b, f = cand, fc
        if change < tol:
            break
    return b, alpha_max
