"""Survival metrics of many bootstrap resamples of one test fold at once.

A bootstrap replicate of a test fold is fully described by how often each test row was drawn
(its *multiplicity*). Everything that does not depend on the draw - pairwise orderings of the
rows, the order of the risk scores, the censoring Kaplan-Meier of a fixed censoring sample -
is computed once; each replicate then costs a few array operations on its multiplicities.

Every method reproduces the function of :mod:`tmeprog.models.metrics` named in its docstring
(which wraps scikit-survival) on the resampled rows, to rounding (<= 1e-12): comparable pairs,
ties in risk within ``1e-8`` counting one half, the reverse Kaplan-Meier of censoring and its
look-up rules, truncation of follow-up, and the inputs on which scikit-survival raises. Where
the wrapped function would raise (or return a NaN), the value is NaN.

The reproduction assumes the inputs :meth:`ResampledFold.supported` accepts (finite risks,
positive finite times, boolean events, distinct times at least one machine epsilon apart);
callers fall back to the reference functions otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tmeprog.models.metrics import _cll

TIED_TOL = 1e-8
"""Tolerance of scikit-survival for tied risk scores."""

_EPS = np.finfo(float).eps


def multiplicities(draws: Sequence[np.ndarray], n: int) -> np.ndarray:
    """``(n_draws, n)`` float counts of each row in each draw of row positions."""
    return np.vstack([np.bincount(d, minlength=n) for d in draws]).astype(float)


def truncate(time: np.ndarray, event: np.ndarray, cut: float) -> tuple[np.ndarray, np.ndarray]:
    """Follow-up censored at ``cut`` (as :func:`tmeprog.models.metrics._truncate`)."""
    return np.minimum(time, cut), event & (time <= cut)


class CensoringKM:
    """Reverse Kaplan-Meier (censoring survival) of resampled samples.

    Reproduces ``sksurv.nonparametric.CensoringDistributionEstimator`` fitted on each
    replicate: the estimate is kept on the grid of all distinct times of the full sample, where
    a time absent from a replicate contributes an exact factor of one.

    Parameters
    ----------
    time, event : ndarray, shape (m,)
        The full censoring sample.
    counts : ndarray, shape (B, m)
        Multiplicity of each row in each replicate (one row of ones for a fixed sample).
    """

    def __init__(self, time: np.ndarray, event: np.ndarray, counts: np.ndarray):
        self.grid, inv = np.unique(time, return_inverse=True)
        k = self.grid.size
        onehot = np.zeros((time.size, k))
        onehot[np.arange(time.size), inv] = 1.0
        n_tot = counts @ onehot
        n_ev = (counts * event) @ onehot
        n_cens = n_tot - n_ev
        n = counts.sum(axis=1, keepdims=True)
        at_risk = n - np.cumsum(n_tot, axis=1) + n_tot  # still followed at each time
        ratio = np.divide(n_cens, at_risk - n_ev, out=np.zeros_like(n_cens),
                          where=n_cens != 0)
        self.prob = np.cumprod(1.0 - ratio, axis=1)
        present = n_tot > 0
        last = k - 1 - np.argmax(present[:, ::-1], axis=1)
        self.tmax = self.grid[last]  # largest time in each replicate
        self.last_prob = self.prob[:, -1]  # = estimate at that time (later factors are one)
        self.has_event = n_ev.sum(axis=1) > 0

    def lookup(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``predict_proba`` of every replicate at times ``q``.

        Returns
        -------
        prob : ndarray, shape (B, len(q))
            Zero beyond a replicate's largest time.
        beyond : ndarray of bool, shape (B, len(q))
            ``q`` lies beyond the replicate's largest time (scikit-survival raises there unless
            the estimate has reached zero).
        """
        q = np.asarray(q, float)
        ext_t = np.r_[-np.inf, self.grid]
        idx = np.searchsorted(ext_t, q)
        idx = np.minimum(idx, ext_t.size - 1)
        exact = np.absolute(ext_t[idx] - q) < _EPS
        idx[~exact] -= 1
        ext_p = np.hstack([np.ones((self.prob.shape[0], 1)), self.prob])
        beyond = q[None, :] > self.tmax[:, None]
        return np.where(beyond, 0.0, ext_p[:, idx]), beyond

    def raises(self, beyond: np.ndarray, used: np.ndarray) -> np.ndarray:
        """Replicates where scikit-survival's look-up of the ``used`` queries raises."""
        return (beyond & used).any(axis=1) & (self.last_prob > 0)


class ResampledFold:
    """Metrics of bootstrap replicates of one test fold.

    Parameters
    ----------
    y_test : structured array ``(event, time)``, shape (n,)
        The full test fold.
    risk : ndarray, shape (n,)
        Risk scores of the test rows (higher = worse).
    counts : ndarray, shape (B, n)
        Multiplicity of each test row in each replicate (see :func:`multiplicities`).
    y_cens : structured array, optional
        Fixed censoring sample of the inverse-probability weights (the training split); None
        uses each replicate's own test rows.
    """

    def __init__(self, y_test: np.ndarray, risk: np.ndarray, counts: np.ndarray,
                 y_cens: np.ndarray | None = None):
        self.t = np.asarray(y_test["time"], float)
        self.e = np.asarray(y_test["event"], bool)
        self.risk = np.asarray(risk, float)
        self.c = np.asarray(counts, float)
        self.y_cens = y_cens
        self.n = self.t.size
        self.present = self.c > 0
        self.tmax = np.where(self.present, self.t, -np.inf).max(axis=1)
        self.tmin = np.where(self.present, self.t, np.inf).min(axis=1)
        self._pairs = None

    @staticmethod
    def supported(y_test: np.ndarray, risk: np.ndarray, y_cens: np.ndarray | None,
                  extra_times: Sequence[float] = ()) -> bool:
        """Whether the fast reproduction applies to these inputs (else use the reference)."""
        ys = [y_test] + ([] if y_cens is None else [y_cens])
        for y in ys:
            if (y.dtype.names != ("event", "time") or y["event"].dtype != bool
                    or not np.isfinite(y["time"]).all() or (y["time"] <= 0).any()):
                return False
        r = np.asarray(risk)
        if len(y_test) < 2 or r.shape != (len(y_test),) or not np.isfinite(r).all():
            return False
        ts = np.unique(np.concatenate([y["time"] for y in ys] + [np.asarray(extra_times,
                                                                            float)]))
        return bool(np.all(np.diff(ts) >= _EPS))

    # -- concordance -------------------------------------------------------------------------

    def _pair_counts(self):
        """Per replicate and event row: comparable, concordant and tied partners."""
        if self._pairs is None:
            t, e, r = self.t, self.e, self.risk
            comp = e[:, None] & ((t[None, :] > t[:, None])
                                 | ((t[None, :] == t[:, None]) & ~e[None, :]))
            tie = comp & (np.absolute(r[None, :] - r[:, None]) <= TIED_TOL)
            con = comp & (r[None, :] < r[:, None]) & ~tie
            c = self.c
            self._pairs = (c @ comp.T.astype(float), c @ con.T.astype(float),
                           c @ tie.T.astype(float))
        return self._pairs

    def _concordance(self, w: np.ndarray) -> np.ndarray:
        # scikit-survival raises without comparable pairs; then the denominator is 0: NaN
        n_comp, n_con, n_tie = self._pair_counts()
        num = (self.c * (w * n_con + 0.5 * w * n_tie)).sum(axis=1)
        den = (self.c * (w * n_comp)).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return num / den

    def harrell_c(self) -> np.ndarray:
        """:func:`~tmeprog.models.metrics.harrell_c` of each replicate, shape (B,)."""
        return self._concordance(np.ones((1, self.n)))

    def _cens(self, time: np.ndarray, event: np.ndarray) -> CensoringKM:
        if self.y_cens is None:
            return CensoringKM(time, event, self.c)
        return CensoringKM(time, event, np.ones((1, time.size)))

    def _cens_sample(self, cut: float | None = None):
        if self.y_cens is None:
            t, e = self.t, self.e
        else:
            t = np.asarray(self.y_cens["time"], float)
            e = np.asarray(self.y_cens["event"], bool)
        return (t, e) if cut is None else truncate(t, e, cut)

    def uno_c(self, tau: float) -> np.ndarray:
        """:func:`~tmeprog.models.metrics.uno_c` of each replicate, shape (B,)."""
        km = self._cens(*self._cens_sample())
        tau_eff = np.minimum(float(tau), np.nextafter(km.tmax, 0))  # (B,) or (1,)
        mask = self.t[None, :] < tau_eff[:, None]
        used = self.present & self.e & mask
        ok = used.any(axis=1) & km.has_event
        # the censoring estimate is positive before the censoring sample's last time, hence
        # at every weighted time (< tau_eff)
        g, _ = km.lookup(self.t)
        with np.errstate(divide="ignore"):
            ipcw = np.where(used, 1.0 / g, 0.0)
        return np.where(ok, self._concordance(np.square(ipcw)), np.nan)

    # -- time-dependent AUC ------------------------------------------------------------------

    def horizon_support(self, horizons: Sequence[float], min_at_risk: int) -> np.ndarray:
        """``(B, H)``: :func:`~tmeprog.models.metrics.horizon_support` is None."""
        h = np.asarray(horizons, float)[None, :]
        c, t, e = self.c, self.t, self.e
        ok = h < self.tmax[:, None]
        if self.y_cens is not None:
            ok &= h < self.y_cens["time"].max()
        ev_by = c @ (e[:, None] & (t[:, None] <= h)).astype(float)
        ok &= ev_by > 0
        n_risk = c @ (t[:, None] > h).astype(float)
        return ok & (n_risk >= min_at_risk)

    def td_aucs(self, horizons: Sequence[float], min_at_risk: int) -> np.ndarray:
        """:func:`~tmeprog.models.metrics.td_aucs` of each replicate, shape (B, H); NaN where
        a horizon is outside a replicate's follow-up. ``horizons`` must increase."""
        h = np.asarray(horizons, float)
        if np.any(np.diff(h) <= 0):
            raise ValueError("horizons must be strictly increasing")
        sup = self.horizon_support(h, min_at_risk)
        out = np.full(sup.shape, np.nan)
        top = np.where(sup, h[None, :], -np.inf).max(axis=1)
        for hmax in np.unique(top[np.isfinite(top)]):
            rows = np.flatnonzero(top == hmax)
            out[rows] = self._td_auc_cut(rows, h, sup[rows], float(np.nextafter(hmax, np.inf)))
        return out

    def _td_auc_cut(self, rows, h, sup, cut):
        c, present = self.c[rows], self.present[rows]
        t, e = truncate(self.t, self.e, cut)
        # supported horizons lie inside the drawn follow-up, with an event before each: the
        # checks of scikit-survival on the test times pass
        if self.y_cens is None:
            km = CensoringKM(t, e, c)
        else:
            km = CensoringKM(*self._cens_sample(cut), np.ones((1, self.y_cens.size)))
        used = present & e
        g, beyond = km.lookup(t)
        ok = km.has_event & ~km.raises(beyond, used) & ~((g == 0) & used).any(axis=1)
        with np.errstate(divide="ignore"):
            ipcw = np.where(used, 1.0 / g, 0.0)
        order = np.argsort(-self.risk, kind="stable")
        rs, cs, ts, es, ws = self.risk[order], c[:, order], t[order], e[order], ipcw[:, order]
        pres = cs > 0
        # a row closes a run of tied scores unless the next drawn row is tied to it
        k = np.arange(self.n)
        nxt = np.where(pres, k, self.n)[:, ::-1]
        nxt = np.minimum.accumulate(nxt, axis=1)[:, ::-1]
        nxt = np.hstack([nxt[:, 1:], np.full((len(rows), 1), self.n)])
        has_next = nxt < self.n
        tied = has_next & (np.absolute(rs[np.minimum(nxt, self.n - 1)] - rs[None, :])
                           <= TIED_TOL)
        end = pres & ~tied
        prev = np.maximum.accumulate(np.where(end, k, -1), axis=1)
        prev = np.hstack([np.full((len(rows), 1), -1), prev[:, :-1]])
        has_prev = prev >= 0
        prev = np.maximum(prev, 0)
        out = np.full((len(rows), h.size), np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            for j, hj in enumerate(h):
                out[:, j] = self._area(hj, sup[:, j], cs, ts, es, ws, end, prev, has_prev)
        out[~ok] = np.nan
        return out

    @staticmethod
    def _area(hj, sup, cs, ts, es, ws, end, prev, has_prev):
        case = es & (ts <= hj)
        ctrl = ts > hj
        cum_tp = np.cumsum(cs * case * ws, axis=1)
        cum_fp = np.cumsum(cs * ctrl, axis=1)
        tp = cum_tp / cum_tp[:, -1:]
        fp = cum_fp / cum_fp[:, -1:]
        # trapezoids between consecutive run ends, starting at (0, 0)
        tp0 = np.where(has_prev, np.take_along_axis(tp, prev, axis=1), 0.0)
        fp0 = np.where(has_prev, np.take_along_axis(fp, prev, axis=1), 0.0)
        area = np.where(end, (fp - fp0) * (tp + tp0) / 2.0, 0.0).sum(axis=1)
        return np.where(sup, area, np.nan)

    # -- Brier score -------------------------------------------------------------------------

    def integrated_brier(self, surv: np.ndarray, times: np.ndarray) -> np.ndarray:
        """:func:`~tmeprog.models.metrics.integrated_brier` of each replicate, shape (B,).

        ``surv`` is S(t) of the full test fold on ``times`` (increasing), shape (n, K).
        """
        times = np.asarray(times, float)
        if times.size < 1 or np.any(np.diff(times) <= 0):
            raise ValueError("times must be strictly increasing")
        est = np.asarray(surv, float)
        cut = float(np.nextafter(times.max(), np.inf))
        t, e = truncate(self.t, self.e, cut)
        present = self.present
        tmax = np.minimum(self.tmax, cut)
        ok = (present & e).any(axis=1) & (times.max() < tmax) & (times.min() >= self.tmin)
        if self.y_cens is None:
            km = CensoringKM(t, e, self.c)
        else:
            km = CensoringKM(*self._cens_sample(cut), np.ones((1, self.y_cens.size)))
        ok &= km.has_event
        g_t, _ = km.lookup(times)
        g_y, beyond_y = km.lookup(t)
        # (a grid time beyond the censoring sample implies a drawn test time beyond it)
        ok &= ~km.raises(beyond_y, present)
        g_t[g_t == 0] = np.inf
        g_y[g_y == 0] = np.inf
        case = ((t[:, None] <= times[None, :]) & e[:, None]).astype(int)
        ctrl = (t[:, None] > times[None, :]).astype(int)
        a = np.square(est) * case  # (n, K)
        b = np.square(1.0 - est) * ctrl
        if self.y_cens is None:  # weights differ between replicates
            term = a[None] / g_y[:, :, None] + b[None] / g_t[:, None, :]
            brier = np.einsum("bn,bnk->bk", self.c, term) / self.n
        else:
            term = a / g_y[0][:, None] + b / g_t[0][None, :]
            brier = (self.c @ term) / self.n
        with np.errstate(invalid="ignore", divide="ignore"):
            ibs = np.trapezoid(brier, times, axis=1) / (times[-1] - times[0])
        return np.where(ok, ibs, np.nan)


# -- calibration slope -------------------------------------------------------------------------


def cox_slopes(x: np.ndarray, time: np.ndarray, event: np.ndarray, counts: np.ndarray,
               max_iter: int = 50, tol: float = 1e-9) -> np.ndarray:
    """:func:`~tmeprog.models.metrics.cox_slope` of each replicate, shape (B,).

    One Newton-Raphson path per replicate (Efron ties), run side by side; the rows of a
    replicate are the rows of ``x``, ``time``, ``event`` repeated by ``counts`` (B, n).
    """
    x = np.asarray(x, float)
    time = np.asarray(time, float)
    event = np.asarray(event, bool)
    c = np.asarray(counts, float)
    n_b = c.shape[0]
    out = np.full(n_b, np.nan)
    ev_t = np.unique(time[event])
    if ev_t.size == 0:
        return out
    order = np.argsort(time, kind="mergesort")
    ts, cs = time[order], c[:, order]
    xs = x[order][None, :] - ((c @ x) / c.sum(axis=1))[:, None]  # centred per replicate
    start = np.searchsorted(ts, ev_t, side="left")
    onehot = np.zeros((ts.size, ev_t.size))
    is_ev = event[order]
    onehot[np.flatnonzero(is_ev), np.searchsorted(ev_t, ts[is_ev])] = 1.0
    d = cs @ onehot  # deaths per event time, (B, K)
    sum_xd = (cs * xs) @ is_ev.astype(float)
    n_terms = int(d.max())
    beta = np.zeros(n_b)
    active = d.sum(axis=1) > 0
    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        b, x_a, c_a, d_a = beta[idx, None], xs[idx], cs[idx], d[idx]
        w = c_a * np.exp(b * x_a)
        s0, s1, s2 = (np.cumsum(v[:, ::-1], axis=1)[:, ::-1][:, start]
                      for v in (w, w * x_a, w * x_a * x_a))
        s0d, s1d, s2d = (v @ onehot for v in (w, w * x_a, w * x_a * x_a))
        sum_q = np.zeros(idx.size)
        sum_h = np.zeros(idx.size)
        for j in range(n_terms):  # Efron: term j of the d_k tied deaths at time k
            has = d_a > j
            frac = np.divide(j, d_a, out=np.zeros_like(d_a), where=has)
            a = s0 - frac * s0d
            q = np.where(has, (s1 - frac * s1d) / np.where(has, a, 1.0), 0.0)
            r = np.where(has, (s2 - frac * s2d) / np.where(has, a, 1.0), 0.0)
            sum_q += q.sum(axis=1)
            sum_h += (r - q ** 2).sum(axis=1)
        grad = sum_xd[idx] - sum_q
        hess = -sum_h
        bad = ~np.isfinite(hess) | (hess >= 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            step = grad / hess
        new = beta[idx] - step
        bad |= ~np.isfinite(new) | (np.abs(new) > 50)
        done = ~bad & (np.abs(step) < tol)
        beta[idx] = new
        out[idx[done]] = new[done]
        active[idx[bad | done]] = False
    return out


def calibration_slopes(y: np.ndarray, surv_h: np.ndarray, horizon: float, counts: np.ndarray,
                       min_at_risk: int) -> np.ndarray:
    """:func:`~tmeprog.models.metrics.calibration_slope` of each replicate, shape (B,); NaN
    where a replicate's follow-up does not support the horizon, S(h) is missing for a drawn
    row, or the drawn predictions are all equal."""
    t = np.asarray(y["time"], float)
    e = np.asarray(y["event"], bool)
    c = np.asarray(counts, float)
    present = c > 0
    s = np.asarray(surv_h, float)
    bad_row = ~np.isfinite(s)
    x = _cll(np.where(bad_row, 0.5, s))
    ok = ~(present & bad_row).any(axis=1)
    tmax = np.where(present, t, -np.inf).max(axis=1)
    ok &= (horizon < tmax) & ((c @ (e & (t <= horizon))) > 0)
    ok &= (c @ (t > horizon)) >= min_at_risk
    ptp = np.where(present, x, -np.inf).max(axis=1) - np.where(present, x, np.inf).min(axis=1)
    ok &= ~(ptp < 1e-10)
    out = np.full(c.shape[0], np.nan)
    if ok.any():
        out[ok] = cox_slopes(x, np.minimum(t, horizon), e & (t <= horizon), c[ok])
    return out
