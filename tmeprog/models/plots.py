"""Publication-quality figures: Kaplan-Meier by risk group, forest plot, calibration plot.

Figures are built with :class:`matplotlib.figure.Figure` directly (no pyplot state, no GUI
backend; saving to PNG uses Agg). Every function returns the Figure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from tmeprog.errors import InputError
from tmeprog.models.inputs import check_survival_y

FONT = 10
COLOURS = ["#1b9e77", "#7570b3", "#d95f02", "#e7298a", "#66a61e"]


def risk_groups(risk: np.ndarray, n_groups: int = 3) -> np.ndarray:
    """Equal-sized groups 1..n by rank of risk (1 = lowest risk); ties broken by order."""
    rank = pd.Series(np.asarray(risk, float)).rank(method="first").to_numpy()
    return np.ceil(rank * n_groups / len(rank)).astype(int)


def _format_p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def km_by_risk_group(y, risk, *, n_groups: int = 3, labels: list[str] | None = None,
                     endpoint: str = "Survival probability", title: str | None = None,
                     at_risk_times: list[float] | None = None, max_time: float | None = None,
                     figsize=(6.5, 5.0), groups=None) -> Figure:
    """Kaplan-Meier curves by risk group with log-rank p and a numbers-at-risk table.

    Parameters
    ----------
    y : structured array
        ``(event, time)`` in months.
    risk : array-like
        Risk scores (higher = worse); groups are equal-sized by rank (tertiles by default).
    n_groups : int
        Number of groups.
    labels : list of str, optional
        Group names, lowest risk first (default ``Low``/``Intermediate``/``High`` for 3).
    endpoint : str
        Y-axis label.
    title : str, optional
    at_risk_times : list of float, optional
        Times (months) of the numbers-at-risk table (default: the x-axis ticks).
    max_time : float, optional
        Right end of the x-axis (months).
    groups : array-like of int, optional
        Group of each sample, 1..``n_groups`` (e.g. a model's risk groups from cut points
        fixed at training); default: equal-sized groups by rank of ``risk``.

    Returns
    -------
    matplotlib.figure.Figure
        Axes 0: curves (one line per group, ``gid="km:<label>"``); axes 1: numbers at risk.
    """
    # deferred: lifelines loads only for Kaplan-Meier figures
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import multivariate_logrank_test  # deferred: likewise

    yy = check_survival_y(y, None, min_events=None)
    risk = np.asarray(risk, float)
    if len(risk) != len(yy):
        raise InputError(f"km plot: {len(risk)} risk scores for {len(yy)} samples")
    g = risk_groups(risk, n_groups) if groups is None else np.asarray(groups, dtype=int)
    if len(g) != len(yy) or not np.isin(g, np.arange(1, n_groups + 1)).all():
        raise InputError(f"km plot: groups must be 1..{n_groups}, one per sample")
    if labels is None:
        labels = (["Low", "Intermediate", "High"] if n_groups == 3
                  else [f"Group {i}" for i in range(1, n_groups + 1)])
    if len(labels) != n_groups:
        raise InputError(f"km plot: {len(labels)} labels for {n_groups} groups")
    tmax = float(max_time if max_time is not None else yy["time"].max())

    fig = Figure(figsize=figsize, layout="constrained")
    gs = fig.add_gridspec(2, 1, height_ratios=[4, 1])
    ax = fig.add_subplot(gs[0])
    tab = fig.add_subplot(gs[1], sharex=ax)
    for i, lab in enumerate(labels, start=1):
        m = g == i
        if not m.any():  # a fixed cut point can leave a group empty
            continue
        km = KaplanMeierFitter().fit(yy["time"][m], yy["event"][m], label=lab)
        sf = km.survival_function_.iloc[:, 0]
        ci = km.confidence_interval_survival_function_
        col = COLOURS[(i - 1) % len(COLOURS)]
        ax.step(sf.index, sf.to_numpy(), where="post", color=col, lw=1.8,
                label=f"{lab} (n={int(m.sum())})", gid=f"km:{lab}")
        ax.fill_between(ci.index, ci.iloc[:, 0], ci.iloc[:, 1], step="post", color=col,
                        alpha=0.12, lw=0)
        cens = yy["time"][m & ~yy["event"]]
        ax.plot(cens, km.survival_function_at_times(cens).to_numpy(), "|", color=col, ms=6,
                gid=f"censor:{lab}")
    p_value = (float(multivariate_logrank_test(yy["time"], g, yy["event"]).p_value)
               if len(np.unique(g)) > 1 else float("nan"))
    ptxt = f"log-rank {_format_p(p_value)}" if np.isfinite(p_value) else "one group only"
    ax.text(0.98, 0.98, ptxt, transform=ax.transAxes, ha="right", va="top", fontsize=FONT,
            gid="logrank")
    ax.set_ylim(0, 1.02)
    ax.set_xlim(0, tmax)
    ax.set_ylabel(endpoint, fontsize=FONT + 1)
    ax.legend(title="Predicted risk", fontsize=FONT - 1, title_fontsize=FONT - 1, frameon=False,
              loc="lower left")
    ax.tick_params(labelsize=FONT, labelbottom=False)
    ax.spines[["top", "right"]].set_visible(False)
    if title:
        ax.set_title(title, fontsize=FONT + 2)
    ticks = at_risk_times if at_risk_times is not None else [
        t for t in ax.get_xticks() if 0 <= t <= tmax]
    for i in range(1, n_groups + 1):
        m = g == i
        for t in ticks:
            tab.text(t, n_groups - i, str(int((yy["time"][m] >= t).sum())), ha="center",
                     va="center", fontsize=FONT - 1, color=COLOURS[(i - 1) % len(COLOURS)])
    tab.set_ylim(-0.5, n_groups - 0.5)
    tab.set_yticks(range(n_groups))
    tab.set_yticklabels(labels[::-1], fontsize=FONT - 1)
    tab.set_xticks(ticks)
    tab.set_xlabel("Time (months)", fontsize=FONT + 1)
    tab.set_title("Number at risk", fontsize=FONT, loc="left")
    tab.tick_params(axis="x", labelsize=FONT)
    tab.tick_params(axis="y", length=0, pad=14)
    tab.spines[["top", "right", "left"]].set_visible(False)
    fig.logrank_p = p_value  # for callers and tests
    return fig


def forest_plot(screen: pd.DataFrame, *, stratum: str | None = None,
                adjusted: bool | None = None, title: str | None = None,
                figsize=None) -> Figure:
    """Forest plot of hazard ratios per SD from :func:`tmeprog.models.screen.univariate_screen`.

    Parameters
    ----------
    screen : pandas.DataFrame
        Columns ``feature, stratum, adjusted, hr, ci_low, ci_high, fdr``.
    stratum, adjusted : optional
        Keep only these rows.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        One marker + CI line per row (top to bottom in table order), log-scaled x-axis, a
        reference line at HR = 1 and ``HR (95% CI), FDR`` text per row.
    """
    d = screen
    if stratum is not None:
        d = d[d["stratum"] == stratum]
    if adjusted is not None:
        d = d[d["adjusted"] == adjusted]
    d = d.dropna(subset=["hr", "ci_low", "ci_high"]).reset_index(drop=True)
    if d.empty:
        raise InputError("forest plot: no row with a hazard ratio to draw")
    n = len(d)
    fig = Figure(figsize=figsize or (7.0, 1.2 + 0.32 * n), layout="constrained")
    ax = fig.add_subplot(1, 1, 1)
    ypos = np.arange(n)[::-1]
    multi = d["stratum"].nunique() > 1 or d["adjusted"].nunique() > 1
    labels = [f"{r.feature} ({r.stratum}{', adj.' if r.adjusted else ''})" if multi
              else str(r.feature) for r in d.itertuples()]
    for yv, r in zip(ypos, d.itertuples(), strict=True):
        sig = np.isfinite(r.fdr) and r.fdr < 0.05
        ax.plot([r.ci_low, r.ci_high], [yv, yv], color="0.3", lw=1.2, gid="ci")
        ax.plot([r.hr], [yv], "s", color="#d95f02" if sig else "0.2", ms=6, gid="hr")
    ax.axvline(1.0, color="0.5", ls="--", lw=1, gid="ref")
    ax.set_xscale("log")
    lo = min(float(d["ci_low"].min()), 0.9)
    hi = max(float(d["ci_high"].max()), 1.1)
    ticks = [t for t in (0.1, 0.2, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5, 10) if lo <= t <= hi]
    ax.set_xlim(lo / 1.1, hi * 1.1)
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.xaxis.set_minor_formatter("")
    ax.set_yticks(ypos)
    ax.set_yticklabels(labels, fontsize=FONT)
    ax.set_xlabel("Hazard ratio per SD (95% CI, log scale)", fontsize=FONT + 1)
    ax.tick_params(axis="x", labelsize=FONT)
    ax.spines[["top", "right"]].set_visible(False)
    trans = ax.get_yaxis_transform()
    for yv, r in zip(ypos, d.itertuples(), strict=True):
        fdr = f"{r.fdr:.3g}" if np.isfinite(r.fdr) else "NA"
        ax.text(1.02, yv, f"{r.hr:.2f} ({r.ci_low:.2f}-{r.ci_high:.2f}), FDR {fdr}",
                transform=trans, va="center", fontsize=FONT - 1, gid="hr_text")
    ax.set_ylim(-0.7, n - 0.3)
    if title:
        ax.set_title(title, fontsize=FONT + 2)
    return fig


def calibration_plot(table: pd.DataFrame, *, horizon: float | None = None,
                     title: str | None = None, figsize=(4.8, 4.6)) -> Figure:
    """Observed vs predicted event probability at a horizon, by risk group.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`tmeprog.models.metrics.calibration_table` (``predicted, observed,
        observed_low, observed_high, group, n``).
    horizon : float, optional
        Months (default ``table.attrs["horizon"]``).

    Returns
    -------
    matplotlib.figure.Figure
        Diagonal reference line (``gid="ideal"``), one point with a KM 95% CI per group
        (``gid="group"``).
    """
    h = horizon if horizon is not None else table.attrs.get("horizon")
    if h is None:
        raise InputError("calibration plot: give the horizon (months)")
    d = table.dropna(subset=["observed"])
    if d.empty:
        raise InputError("calibration plot: no group is followed up to the horizon")
    hi = float(np.nanmax([d["predicted"].max(), d["observed_high"].max(), 0.1]))
    lim = min(1.0, 1.1 * hi)
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.add_subplot(1, 1, 1)
    ax.plot([0, lim], [0, lim], ls="--", color="0.5", lw=1, gid="ideal", label="Ideal")
    yerr = np.vstack([d["observed"] - d["observed_low"], d["observed_high"] - d["observed"]])
    ax.errorbar(d["predicted"], d["observed"], yerr=yerr, fmt="o", color="#1b9e77", ms=6,
                capsize=3, lw=1.2, label="Risk group (KM 95% CI)", gid="group")
    for r in d.itertuples():
        ax.annotate(f"n={r.n}", (r.predicted, r.observed), textcoords="offset points",
                    xytext=(6, -10), fontsize=FONT - 2)
    ax.set_xlim(0, lim)
    ax.set_ylim(0, lim)
    ax.set_aspect("equal")
    yrs = f"{h / 12:g}-year" if float(h) % 12 == 0 else f"{h:g}-month"
    ax.set_xlabel(f"Predicted {yrs} event probability", fontsize=FONT + 1)
    ax.set_ylabel(f"Observed {yrs} event probability (Kaplan-Meier)", fontsize=FONT + 1)
    ax.tick_params(labelsize=FONT)
    ax.legend(fontsize=FONT - 1, frameon=False, loc="upper left")
    ax.spines[["top", "right"]].set_visible(False)
    if title:
        ax.set_title(title, fontsize=FONT + 2)
    return fig
