"""Publication figures of a SHAP explanation (matplotlib ``Figure`` objects, no pyplot state).

:func:`save_figures` writes them with names that sort in reading order (MLflow lists artifacts
alphabetically)::

    shap_01_beeswarm.png
    shap_02_compartments.png
    shap_03_dependence_<feature>.png      (top features by mean |SHAP|)
    shap_04_waterfall_<sample>.png        (only for samples asked for explicitly)

Per-patient waterfalls show one patient's data, so none is drawn unless ``patients`` names them.
"""

from __future__ import annotations

import os
import re
import tempfile
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from tmeprog.errors import InputError
from tmeprog.explain.result import ShapExplanation
from tmeprog.explain.rollup import compartment_importance, mean_abs_shap

__all__ = ["beeswarm", "compartment_bar", "dependence", "waterfall", "save_figures",
           "figure_name"]

_COMPARTMENT_COLOURS = {
    "immune": "#3b75af", "stromal": "#c1763a", "vascular": "#b8393b", "metabolic": "#7f5fa8",
    "signalling": "#5a9a51", "proliferation": "#d4a72c", "clinical": "#6f6f6f",
    "user": "#3fa6a6", "unassigned": "#b0b0b0",
}
_RED, _BLUE = "#d1495b", "#3b75af"
CATEGORICAL_LEVELS = 6


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _subtitle(expl: ShapExplanation, fig: Figure, prefix: str = "") -> str:
    width = int(fig.get_figwidth() * 11)  # characters of a 9-pt title line
    return textwrap.fill(f"{prefix}SHAP on: {expl.output}", width=width)


def beeswarm(expl: ShapExplanation, max_display: int = 20) -> Figure:
    """Summary beeswarm: one row per feature, points = samples, colour = feature value."""
    import shap  # deferred: only the beeswarm draws through shap (~3 s)

    n = min(max_display, len(expl.features)) + (1 if len(expl.features) > max_display else 0)
    fig = _figure(8.0, 1.2 + 0.38 * n)
    ax = fig.add_subplot()
    shap.plots.beeswarm(expl.to_shap(), max_display=max_display, ax=ax, show=False,
                        plot_size=None, color_bar=expl.data is not None)
    ax.set_xlabel("SHAP value (impact on model output)", fontsize=11)
    ax.tick_params("y", labelsize=10)
    ax.set_title(_subtitle(expl, fig), fontsize=9, loc="left")
    return fig


def compartment_bar(expl_or_importance, compartments: Mapping[str, str] | None = None,
                    title: str | None = None) -> Figure:
    """Horizontal bars of mean |SHAP| summed per TME compartment."""
    is_table = isinstance(expl_or_importance, pd.Series)
    if is_table:
        imp = expl_or_importance.sort_values(ascending=True)
    else:
        imp = compartment_importance(expl_or_importance, compartments).sort_values()
    fig = _figure(6.5, 1.2 + 0.42 * len(imp))
    sub = title or ("TME compartment importance" if is_table
                    else _subtitle(expl_or_importance, fig))
    ax = fig.add_subplot()
    colours = [_COMPARTMENT_COLOURS.get(str(c), "#888888") for c in imp.index]
    ax.barh(range(len(imp)), imp.to_numpy(), color=colours, height=0.7)
    ax.set_yticks(range(len(imp)), [str(c) for c in imp.index], fontsize=11)
    for i, v in enumerate(imp.to_numpy()):
        ax.text(v, i, f" {v:.3g}", va="center", fontsize=9)
    ax.set_xlabel("sum of mean |SHAP| over the compartment's features", fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    ax.margins(x=0.15)
    ax.set_title(sub, fontsize=9, loc="left")
    return fig


def dependence(expl: ShapExplanation, feature: str, color_by: str | None = None) -> Figure:
    """SHAP value of ``feature`` against its value (optionally coloured by another feature);
    a feature with at most :data:`CATEGORICAL_LEVELS` distinct values gets a box and strip per
    value instead of a scatter of a few dots."""
    if feature not in expl.values.columns:
        raise InputError(f"feature {feature!r} is not in the explanation")
    if expl.data is None:
        raise InputError("the explanation holds no feature values (read from parquet?); "
                         "dependence plots need the data")
    x = expl.data[feature].to_numpy(dtype=float)
    y = expl.values[feature].to_numpy(dtype=float)
    fig = _figure(6.0, 4.5)
    ax = fig.add_subplot()
    levels = np.unique(x[np.isfinite(x)])
    if len(levels) <= CATEGORICAL_LEVELS:  # grade, ER, node status: a box per value
        groups = [y[x == v] for v in levels]
        ax.boxplot(groups, positions=range(len(levels)), widths=0.5, showfliers=False)
        rng = np.random.default_rng(0)
        for i, g in enumerate(groups):
            ax.scatter(i + rng.uniform(-0.15, 0.15, len(g)), g, color=_BLUE, s=8, alpha=0.5,
                       linewidths=0)
        ax.set_xticks(range(len(levels)),
                      [f"{v:g}\n(n={len(g)})" for v, g in zip(levels, groups, strict=True)])
        color_by = None
    elif color_by is not None:
        if color_by not in expl.data.columns:
            raise InputError(f"color_by feature {color_by!r} is not in the explanation")
        c = expl.data[color_by].to_numpy(dtype=float)
        sc = ax.scatter(x, y, c=c, cmap="coolwarm", s=14, alpha=0.8, linewidths=0)
        fig.colorbar(sc, ax=ax, label=color_by)
    else:
        ax.scatter(x, y, color=_BLUE, s=14, alpha=0.7, linewidths=0)
    ax.axhline(0, color="#999999", lw=0.8, zorder=0)
    ax.set_xlabel(f"{feature} (input value)", fontsize=11)
    ax.set_ylabel(f"SHAP value of {feature}", fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(_subtitle(expl, fig), fontsize=9, loc="left")
    return fig


def waterfall(expl: ShapExplanation, sample, max_display: int = 12) -> Figure:
    """One sample's prediction built up from the base value, largest contributions first."""
    if sample not in expl.values.index:
        raise InputError(f"sample {sample!r} is not in the explanation")
    row = expl.values.loc[sample]
    if isinstance(row, pd.DataFrame):
        raise InputError(f"sample id {sample!r} is duplicated in the explanation")
    data = None if expl.data is None else expl.data.loc[sample]
    shown = min(len(row), max_display) + (len(row) > max_display)
    fig = _figure(7.5, 1.4 + 0.42 * shown)
    ax = fig.add_subplot()
    base = float(expl.base_value)
    out = draw_waterfall(ax, row, base, data, max_display)
    ax.set_xlabel(f"model output (base {base:.3g} -> {out:.3g})", fontsize=11)
    ax.set_title(_subtitle(expl, fig, f"sample {sample}; "), fontsize=9, loc="left")
    return fig


def draw_waterfall(ax, row: pd.Series, base: float, data: pd.Series | None = None,
                   max_display: int = 12) -> float:
    """Draw one prediction built up from ``base`` on ``ax``: the ``max_display`` largest
    contributions of ``row`` (SHAP values by feature) on top, the rest summed in one bar;
    ``data`` adds each feature's value to its label. Returns the prediction."""
    order = row.abs().sort_values(ascending=False, kind="stable").index
    shown = list(order[:max_display])
    labels = [f + ("" if data is None else f" = {data[f]:.3g}") for f in shown]
    contrib = [float(row[f]) for f in shown]
    if len(order) > max_display:
        labels.append(f"{len(order) - max_display} other features")
        contrib.append(float(row.drop(index=shown).sum()))
    labels, contrib = labels[::-1], contrib[::-1]  # largest on top
    start = base + np.cumsum(contrib) - np.asarray(contrib)  # bar i's left
    for i, (s, c) in enumerate(zip(start, contrib, strict=True)):
        ax.barh(i, c, left=s, color=_RED if c > 0 else _BLUE, height=0.7)
        ax.text(s + c if c > 0 else s, i, f" {c:+.3g}", va="center", fontsize=9)
    ax.set_yticks(range(len(labels)), labels, fontsize=10)
    out = base + float(row.sum())
    ax.axvline(base, color="#999999", lw=0.8, ls="--")
    ax.axvline(out, color="#333333", lw=0.8)
    ax.spines[["top", "right"]].set_visible(False)
    ax.margins(x=0.12)
    return out


def figure_name(kind: str, label: str | None = None) -> str:
    """File name of a figure: ``shap_<NN>_<kind>[_<label>].png`` with a file-safe label."""
    numbers = {"beeswarm": 1, "compartments": 2, "dependence": 3, "waterfall": 4}
    if kind not in numbers:
        raise InputError(f"unknown figure kind {kind!r}; one of {sorted(numbers)}")
    name = f"shap_{numbers[kind]:02d}_{kind}"
    if label is not None:
        name += "_" + (re.sub(r"[^A-Za-z0-9_.+-]+", "_", str(label)).strip("_") or "x")
    return name + ".png"


def _save(fig: Figure, path: Path, dpi: int) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".png", dir=path.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=dpi, format="png")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_figures(expl: ShapExplanation, out_dir: str | os.PathLike, *,
                 compartments: Mapping[str, str] | None = None, top_dependence: int = 3,
                 patients: Sequence | None = None, max_display: int = 20, dpi: int = 200,
                 overwrite: bool = False) -> list[Path]:
    """Write the standard SHAP figures of ``expl`` into ``out_dir``; returns the paths.

    Parameters
    ----------
    expl : ShapExplanation
    out_dir : path-like
        Created if absent.
    compartments : mapping, optional
        Feature -> compartment (default: the explanation's own).
    top_dependence : int
        Dependence plots for this many top features (by mean |SHAP|).
    patients : sequence, optional
        Sample ids for waterfall plots; none by default (patient-level data stays local).
    max_display : int
        Features in the beeswarm.
    dpi : int
        Resolution.
    overwrite : bool
        Replace existing figure files; otherwise an existing file is an error.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plan: list[tuple[str, object]] = [
        (figure_name("beeswarm"), lambda: beeswarm(expl, max_display)),
        (figure_name("compartments"), lambda: compartment_bar(expl, compartments)),
    ]
    if expl.data is not None:
        for f in list(mean_abs_shap(expl).index[:max(0, top_dependence)]):
            plan.append((figure_name("dependence", f), lambda f=f: dependence(expl, f)))
    for p in patients or []:
        plan.append((figure_name("waterfall", p), lambda p=p: waterfall(expl, p)))
    paths = [out / name for name, _ in plan]
    if len(set(paths)) != len(paths):
        raise InputError("two figures would share a file name (feature or sample names that "
                         "differ only in special characters); rename them")
    existing = [p.name for p in paths if p.exists()]
    if existing and not overwrite:
        raise InputError(f"{out} already holds {existing[:3]}; choose another folder or pass "
                         "overwrite=True")
    for path, (_, make) in zip(paths, plan, strict=True):
        _save(make(), path, dpi)
    return paths
