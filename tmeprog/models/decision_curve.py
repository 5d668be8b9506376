"""Decision curves: net benefit of treating by predicted probability (Vickers & Elkin 2006)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from tmeprog.errors import InputError


def decision_curve(y, p, thresholds: Sequence[float] | None = None,
                   sample_weight=None) -> pd.DataFrame:
    """Net benefit of treating by predicted probability, against treat-all and treat-none.

    ``net benefit(t) = TP/n - FP/n * t / (1 - t)`` for treating patients with ``p >= t``
    (Vickers & Elkin 2006); treat-all uses the prevalence, treat-none is 0.

    Parameters
    ----------
    y : array-like of 0/1
    p : array-like of shape (n,) or (n_repeats, n)
        Predicted probabilities; several rows (cross-validation repeats) are averaged.
    thresholds : sequence of float, optional
        Threshold probabilities in (0, 1); default 0.01 to 0.99 by 0.01.
    sample_weight : array-like, optional

    Returns
    -------
    pandas.DataFrame
        Columns ``threshold``, ``model``, ``treat_all``, ``treat_none``.
    """
    yy = np.asarray(y, float)
    P = np.atleast_2d(np.asarray(p, float))
    if P.shape[1] != len(yy):
        raise InputError(f"decision curve: {P.shape[1]} predictions for {len(yy)} outcomes")
    t = (np.round(np.arange(0.01, 1.0, 0.01), 2) if thresholds is None
         else np.asarray(thresholds, float))
    if t.size == 0 or (t <= 0).any() or (t >= 1).any():
        raise InputError("decision curve: thresholds must lie strictly between 0 and 1")
    w = np.ones(len(yy)) if sample_weight is None else np.asarray(sample_weight, float)
    n = w.sum()
    odds = t / (1 - t)
    nb = np.zeros(len(t))
    for row in P:
        treat = row[None, :] >= t[:, None]
        tp = (treat * (w * yy)[None, :]).sum(axis=1) / n
        fp = (treat * (w * (1 - yy))[None, :]).sum(axis=1) / n
        nb += tp - fp * odds
    prev = (w * yy).sum() / n
    return pd.DataFrame({"threshold": t, "model": nb / len(P),
                         "treat_all": prev - (1 - prev) * odds, "treat_none": 0.0})


def plot_decision_curve(curves: pd.DataFrame | Mapping[str, pd.DataFrame], ax=None,
                        title: str = "Decision curve"):
    """Plot net benefit against threshold probability.

    Parameters
    ----------
    curves : DataFrame or mapping of label -> DataFrame
        Output(s) of :func:`decision_curve`; treat-all / treat-none come from the first.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    # deferred: matplotlib loads only when a figure is drawn, not for the curve itself
    from matplotlib.figure import Figure

    if isinstance(curves, pd.DataFrame):
        curves = {"model": curves}
    if not curves:
        raise InputError("plot_decision_curve: no curve to plot")
    if ax is None:
        fig = Figure(figsize=(6, 4.5))
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    first = next(iter(curves.values()))
    for label, c in curves.items():
        ax.plot(c["threshold"], c["model"], label=str(label))
    ax.plot(first["threshold"], first["treat_all"], color="grey", ls="--", label="treat all")
    ax.axhline(0.0, color="black", lw=0.8, label="treat none")
    top = max(max(float(c["model"].max()) for c in curves.values()),
              float(first["treat_all"].max()), 0.05)
    ax.set_ylim(-0.05, top * 1.1)
    ax.set_xlim(0, 1)
    ax.set_xlabel("threshold probability")
    ax.set_ylabel("net benefit")
    ax.set_title(title)
    ax.legend(frameon=False, fontsize="small")
    return fig
