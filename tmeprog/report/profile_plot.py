"""Drawing and writing patient profiles: one figure per patient (percentiles by compartment,
survival, SHAP drivers), as a self-contained HTML page, PNG files or one multi-page PDF."""

from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from tmeprog.errors import InputError
from tmeprog.explain.plots import draw_waterfall
from tmeprog.report.profile import PatientProfile
from tmeprog.tables.tableio import atomic_output

_RED, _BLUE, _GREY = "#d1495b", "#3b75af", "#9a9a9a"
FORMATS = ("html", "png", "pdf")


def profile_figure(p: PatientProfile, max_shap: int = 10) -> Figure:
    """Three panels: TME percentiles grouped by compartment; the model's survival curve over
    the observed survival (95% band) of the patient's training risk group; SHAP drivers."""
    feats = p.features.dropna(subset=["percentile"]).sort_values(["compartment", "feature"])
    n = max(len(feats), 4)
    fig = Figure(figsize=(13.5, max(5.0, 0.24 * n + 1.6)))
    FigureCanvasAgg(fig)
    gs = fig.add_gridspec(2, 2, width_ratios=[1.05, 1.0], height_ratios=[1, 1])
    ax = fig.add_subplot(gs[:, 0])
    y = np.arange(len(feats))[::-1]
    colours = [_RED if v >= 75 else _BLUE if v < 25 else _GREY for v in feats["percentile"]]
    ax.barh(y, feats["percentile"] - 50.0, left=50.0, color=colours, height=0.7)
    ax.axvline(50, color="#333333", lw=0.8)
    for x in (25, 75):
        ax.axvline(x, color="#cccccc", lw=0.6, ls="--")
    ax.set_yticks(y, [f"{f}  [{c}]" for f, c in zip(feats["feature"], feats["compartment"],
                                                     strict=True)], fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel("percentile among the model's training patients", fontsize=10)
    ax.set_title("TME features (red: top quarter, blue: bottom quarter)", fontsize=10,
                 loc="left")
    ax.spines[["top", "right"]].set_visible(False)

    ax2 = fig.add_subplot(gs[0, 1])
    g = p.group_curve
    if len(g):
        ax2.fill_between(g["month"], g["ci_low"], g["ci_high"], step="post", color=_GREY,
                         alpha=0.3, label=f"training patients held out in the {p.risk_group}-"
                                          "risk tertile, observed (KM, 95% CI)")
        ax2.step(g["month"], g["survival"], where="post", color=_GREY, lw=1)
        last = float(g["month"].max())
    else:
        last = float(p.survival["month"].max())
    s = p.survival[p.survival["month"] <= last]
    ax2.plot(s["month"], s["survival"], color=_RED, lw=2, label="this patient, model")
    ax2.set_ylim(0, 1.02)
    ax2.set_xlabel(f"months ({p.endpoint})", fontsize=10)
    ax2.set_ylabel("survival probability", fontsize=10)
    ax2.legend(fontsize=8, frameon=False, loc="lower left")
    ax2.set_title(f"risk group: {p.risk_group} (risk score {p.risk:.3g})", fontsize=10,
                  loc="left")
    ax2.spines[["top", "right"]].set_visible(False)

    ax3 = fig.add_subplot(gs[1, 1])
    _waterfall(ax3, p, max_shap)
    sub = subtype_text(p.subtype)
    fig.suptitle(f"patient {p.sample}: {sub}", fontsize=12, x=0.01, ha="left")
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    return fig


def _waterfall(ax, p: PatientProfile, max_shap: int) -> None:
    """The patient's risk built up from the base value (features with a contribution)."""
    end = draw_waterfall(ax, p.shap[p.shap.abs() > 0], p.shap_base, max_display=max_shap)
    ax.tick_params(axis="y", labelsize=8)
    ax.set_xlabel(f"{p.shap_output}: base {p.shap_base:.3g} -> this patient {end:.3g} "
                  "(red raises risk)", fontsize=9)
    ax.set_title("what drove the risk (SHAP waterfall)", fontsize=10, loc="left")


def subtype_text(subtype: dict) -> str:
    """``ER+, PR-, PAM50 LumA`` from the recorded or called values."""
    parts = []
    for k, v in subtype.items():
        if k in ("er", "pr", "her2"):
            parts.append(f"{k.upper()}{'+' if float(v) == 1 else '-'}")
        else:
            parts.append(f"{'PAM50' if k == 'pam50' else k} {v}")
    return ", ".join(parts) or "no subtype call"


def _png(fig: Figure, dpi: int = 150) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _section(p: PatientProfile) -> str:
    img = base64.b64encode(_png(profile_figure(p))).decode()
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{v:.3f}</td></tr>"
                   for k, v in p.horizons.items())
    warn = "".join(f"<li>{html.escape(w)}</li>" for w in p.warnings)
    clin = ", ".join(f"{html.escape(str(k))} {html.escape(str(v))}" for k, v in p.clinical.items())
    high = p.features[p.features["level"] == "high"]["feature"].tolist()
    low = p.features[p.features["level"] == "low"]["feature"].tolist()
    return (f"<section><h2>Patient {html.escape(p.sample)}</h2>"
            f"<p>Recorded: {clin or 'no clinical values'}. Subtype: "
            f"{html.escape(subtype_text(p.subtype))}.</p>"
            f"<p><b>Risk group {html.escape(p.risk_group)}</b> (risk score {p.risk:.3g}; "
            f"endpoint: {html.escape(p.endpoint)}). High TME features (top quarter): "
            f"{html.escape(', '.join(high) or 'none')}; low (bottom quarter): "
            f"{html.escape(', '.join(low) or 'none')}.</p>"
            f"<table><tr><th>horizon</th><th>predicted survival</th></tr>{rows}</table>"
            + (f"<p><b>Warnings</b></p><ul>{warn}</ul>" if warn else "")
            + f'<figure><img alt="profile of {html.escape(p.sample)}" '
            f'src="data:image/png;base64,{img}"><figcaption>Left: each TME feature as a '
            "percentile of the model's training patients, grouped by compartment. Top right: "
            "the model's predicted survival for this patient over the observed survival "
            "(Kaplan-Meier, 95% band) of the training patients whose held-out predictions fell "
            "in the same risk tertile. Bottom "
            "right: the features that moved this patient's risk most (SHAP)."
            "</figcaption></figure></section>")


def write_profiles(profiles: list[PatientProfile], out: Path, fmt: str = "html",
                   model_uri: str = "", overwrite: bool = False) -> list[Path]:
    """Write the profiles atomically: one HTML page (a section per patient), one PNG per
    patient (``OUT`` for one, ``OUT-stem_<id>.png`` for several) or one PDF (a page each).

    Refuses existing outputs unless ``overwrite``.
    """
    if fmt not in FORMATS:
        raise InputError(f"--format {fmt!r}: use one of {', '.join(FORMATS)}")
    out = Path(out)
    if fmt == "png" and len(profiles) > 1:
        targets = [out.with_name(f"{out.stem}_{_safe(p.sample)}.png") for p in profiles]
        if len(set(targets)) < len(targets):
            raise InputError("two sample ids give the same file name; write one PDF (-o "
                             "X.pdf) or profile them one at a time")
    else:
        targets = [out]
    for t in targets:
        if t.exists() and not overwrite:
            raise InputError(f"{t} exists; pass --overwrite to replace it")
    if fmt == "html":
        body = "".join(_section(p) for p in profiles)
        text = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>tmeprog patient "
                "profile</title><style>body{font-family:Helvetica,Arial,sans-serif;margin:2em "
                "auto;max-width:1150px;color:#222}img{max-width:100%}td,th{border:1px solid "
                "#ddd;padding:.2em .5em}table{border-collapse:collapse}figcaption{font-size:"
                ".85em;color:#555}</style></head><body><h1>TME profile</h1><p>model "
                f"{html.escape(model_uri)}</p>{body}</body></html>\n")
        with atomic_output(out, overwrite) as tmp:
            tmp.write_text(text, encoding="utf-8")
    elif fmt == "png":  # every figure drawn first, then written: all or nothing
        images = [_png(profile_figure(p)) for p in profiles]
        for img, t in zip(images, targets, strict=True):
            with atomic_output(t, overwrite) as tmp:
                tmp.write_bytes(img)
    else:
        # deferred: the PDF backend takes ~0.2 s to load; only PDF output needs it
        from matplotlib.backends.backend_pdf import PdfPages

        with atomic_output(out, overwrite) as tmp:
            with PdfPages(tmp) as pdf:
                for p in profiles:
                    pdf.savefig(profile_figure(p))
    return targets


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:80]
