"""Self-contained HTML report of one MLflow run (figures embedded, no external requests).

The report reads only what the run logged (aggregate tables and figures; no patient rows) and
writes one HTML file atomically.
"""

from __future__ import annotations

import base64
import contextlib
import html
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from tmeprog.errors import InputError
from tmeprog.tables.tableio import atomic_output
from tmeprog.tracking.store import check_store_exists, use_store
from tmeprog.tracking.store import tracking_uri as resolve_uri

CSS = """
body{font-family:Helvetica,Arial,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:1px solid #ccc;padding-bottom:.2em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
td,th{border:1px solid #ddd;padding:.25em .5em}
th{background:#f3f3f3;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}
td.txt{text-align:left}
figure{display:inline-block;margin:.5em;vertical-align:top}
img{max-width:520px;border:1px solid #eee}figcaption{font-size:.8em;color:#555}
.meta{font-size:.85em;color:#444}
"""


def is_p_column(name: str) -> bool:
    """p-value and FDR columns (``p``, ``p_er_neg``, ``p_interaction_lr``, ``fdr`` ...)."""
    n = str(name).lower()
    return n == "p" or n.startswith(("p_", "fdr")) or n.endswith(("_p", "_fdr", "p_value"))


def format_p(v) -> str:
    """A p-value as ``< 0.001``, ``0.004``, ``0.12``; missing as an en dash."""
    if v is None or pd.isna(v):
        return "–"
    v = float(v)
    if v < 0.001:
        return "< 0.001"
    return f"{v:.3f}" if v < 0.1 else f"{v:.2f}"


def _table(df: pd.DataFrame, float_fmt: str = "{:.3f}") -> str:
    """An HTML table: numbers right-aligned in a fixed format, p-values as ``< 0.001``, text
    left-aligned."""
    cols = list(df.columns)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    numeric = {c: pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
               for c in cols}
    body = []
    for row in df.itertuples(index=False):
        cells = []
        for c, v in zip(cols, row, strict=True):
            if numeric[c]:
                if is_p_column(c):
                    text = format_p(v)
                elif pd.isna(v):
                    text = "–"
                elif float(v).is_integer() and pd.api.types.is_integer_dtype(df[c]):
                    text = f"{int(v)}"
                else:
                    text = float_fmt.format(v)
                cells.append(f"<td class='num'>{html.escape(text)}</td>")
            else:
                text = "–" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)
                cells.append(f"<td class='txt'>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


#: figure file stem -> (caption, how to read it)
CAPTIONS = {
    "01_km_risk_tertiles": ("Kaplan-Meier survival by predicted risk tertile (held-out "
                            "predictions)", "Separated curves mean the champion ranks patients "
                            "on data it was not trained on; each curve is on its cohort's own "
                            "endpoint."),
    "02a_all_forest_tme_screen": ("TME features, univariate Cox HR per SD (all patients)",
                                  "HR < 1: higher values go with longer survival; Cox models "
                                  "stratified by cohort, 95% CIs."),
    "02b_er_negative_forest_tme_screen": ("TME features, Cox HR per SD in ER-negative disease",
                                          "Compare with the ER-positive panel: effects that "
                                          "change direction are what the subtype interaction "
                                          "terms capture."),
    "02c_er_positive_forest_tme_screen": ("TME features, Cox HR per SD in ER-positive disease",
                                          "Compare with the ER-negative panel."),
    "03_calibration": ("Calibration: observed vs predicted event probability by risk group",
                       "Points on the diagonal: predicted probabilities hold; see the "
                       "calibration slopes table for whether they transfer across cohorts."),
    "shap_01_beeswarm": ("SHAP values of the champion's features, one dot per patient",
                         "Features ranked by mean |SHAP|; red: high feature value. Right of 0 "
                         "raises the predicted risk."),
    "shap_02_compartments": ("Mean |SHAP| summed per TME compartment",
                             "How much of the model's output each compartment drives."),
}


def _caption(stem: str) -> tuple[str, str]:
    if stem in CAPTIONS:
        return CAPTIONS[stem]
    if stem.startswith("shap_03_dependence_"):
        feature = stem.split("_", 4)[-1]
        return (f"SHAP dependence of {feature}", "The feature's contribution to the risk "
                "against its value (a box per value for categorical covariates).")
    return stem.replace("_", " "), ""


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    cap, reading = _caption(path.stem)
    return (f'<figure><img alt="{html.escape(cap)}" src="data:image/png;base64,{data}">'
            f"<figcaption><b>{html.escape(cap)}.</b> {html.escape(reading)}</figcaption>"
            "</figure>")


def readable_time(value) -> str:
    """An ISO timestamp as ``2026-12-07 15:32 UTC`` (text as given when it is not one)."""
    try:
        t = pd.Timestamp(value)
    except (ValueError, TypeError):
        return str(value)
    if pd.isna(t):
        return ""
    if t.tzinfo is None:
        t = t.tz_localize("UTC")
    return t.tz_convert("UTC").strftime("%Y-%m-%d %H:%M UTC")


def results_pivot(results: pd.DataFrame) -> pd.DataFrame:
    """Results as 'value [ci_low, ci_high]' strings: one row per model x feature set x scheme."""
    r = results.copy()
    r["cell"] = [f"{v:.3f} [{lo:.3f}, {hi:.3f}]" if pd.notna(v) else "–"
                 for v, lo, hi in zip(r["value"], r["ci_low"], r["ci_high"], strict=True)]
    wide = r.pivot_table(index=["model", "feature_set", "validation"], columns="metric",
                         values="cell", aggfunc="first")
    wide.columns.name = None
    return wide.reset_index()


def _results_sections(results: pd.DataFrame) -> list[str]:
    sets = results["feature_set"].isin(["clinical", "tme", "clinical+tme", "tme+subtype",
                                        "clinical+tme+subtype"])
    pooled = results[sets & results["validation"].isin(["cv", "loco"])]
    per_cohort = results[sets & results["validation"].str.startswith("loco:")]
    strata = results[sets & results["validation"].str.contains("=", regex=False)]
    diffs = results[~sets]
    out = ["<h2>Validation results (95% bootstrap CIs)</h2>",
           "<p class='meta'>cv: repeated stratified K-fold with nested tuning; loco: "
           "leave-one-cohort-out, averaged over held-out cohorts. harrell_c: Harrell's C; "
           "uno_c: Uno's IPCW C; td_auc: cumulative/dynamic AUC; ibs: integrated Brier "
           "score.</p>", _table(results_pivot(pooled))]
    if len(per_cohort):
        out += ["<h3>Per held-out cohort</h3>", _table(results_pivot(per_cohort))]
    if len(strata):
        out += ["<h3>Per stratum</h3>", _table(results_pivot(strata))]
    if len(diffs):
        out += ["<h3>Paired differences between feature sets</h3>",
                _table(results_pivot(diffs))]
    return out


def _endpoint_section(path: Path) -> list[str]:
    if not path.exists():
        return []
    rec = json.loads(path.read_text())
    rows = [{"cohort": k, "endpoint used": v["endpoint"], "patients": v["n"],
             "events": v["events"], "definition": v["definition"]}
            for k, v in rec["cohorts"].items()]
    out = ["<h2>Endpoints</h2>"]
    if rec.get("pooled"):
        out.append("<p><b>Warning: endpoints are mixed.</b> Each held-out number below is on "
                   "its cohort's own endpoint.</p>")
    out += [_table(pd.DataFrame(rows)),
            f"<p class='meta'>{html.escape(rec.get('stratification', ''))}. Age: "
            f"{html.escape(rec.get('age', ''))}.</p>"]
    return out


def _subtype_sections(results_dir: Path) -> list[str]:
    out = []
    sub_c = results_dir / "subtype_c.csv"
    if sub_c.exists():
        t = pd.read_csv(sub_c)
        t = t[t["validation"].isin(["cv", "loco"])].copy()
        if len(t):
            t["cell"] = [f"{v:.3f} [{lo:.3f}, {hi:.3f}]" if pd.notna(v) else "–"
                         for v, lo, hi in zip(t["value"], t["ci_low"], t["ci_high"],
                                              strict=True)]
            wide = t.pivot_table(index=["model", "feature_set", "validation"],
                                 columns="subgroup", values="cell", aggfunc="first")
            wide.columns.name = None
            out += ["<h2>Harrell's C by ER status (held-out predictions restricted to each "
                    "subgroup)</h2>",
                    "<p class='meta'>ER as recorded (IHC), inferred from expression where not "
                    "recorded. loco: mean over held-out cohorts of the C within the subgroup; "
                    "95% bootstrap CIs.</p>", _table(wide.reset_index())]
    scr = results_dir / "subtype_screen.csv"
    if scr.exists():
        out += ["<h2>TME effects by ER status: per-stratum Cox HR per within-cohort SD and "
                "interaction test</h2>",
                "<p class='meta'>lifelines Cox models stratified by cohort; p_interaction_lr: "
                "likelihood-ratio test of feature x ER-negative (1 df); hr_ratio: ER-negative "
                "HR / ER-positive HR; BH FDR over features.</p>",
                _table(pd.read_csv(scr))]
    return out


def _calibration_section(path: Path) -> list[str]:
    # deferred: tmeprog.models loads scikit-learn (~1.8 s), only for this section
    from tmeprog.models.calibration_check import SLOPE_RANGE

    if not path.exists():
        return []
    t = pd.read_csv(path)
    t = t[t["validation"].isin(["cv", "loco"]) | t["validation"].str.startswith("loco:")]
    if t.empty:
        return []
    lo, hi = SLOPE_RANGE
    t = t.assign(flagged=["outside range" if f else "" for f in t["flagged"]])
    n_flag = int((t["flagged"] != "").sum())
    n_est = int(np.isfinite(pd.to_numeric(t["slope"], errors="coerce")).sum())
    out = ["<h2>Calibration of the survival probabilities</h2>",
           f"<p class='meta'>Calibration slope at the horizon: Cox regression of the outcome "
           f"on log(-log S(h)) of held-out predictions; 1 is ideal, below {lo:g} predictions "
           f"are too extreme, above {hi:g} too timid. {n_flag} of {n_est} estimable slopes lie "
           f"outside [{lo:g}, {hi:g}]. A model flagged here still ranks patients (its C holds) "
           "but its survival probabilities do not transfer: read them as relative risk, not "
           "absolute, and recalibrate on the target cohort before quoting them. Models are not "
           "recalibrated on the training cohorts (that would not fix the scale on a new "
           "cohort).</p>", _table(t)]
    return out


def build_report(run_dir: Path, run_info: dict) -> str:
    """HTML text from a folder of downloaded run artifacts and the run's metadata."""
    parts = [f"<h1>tmeprog run {html.escape(run_info.get('run_id', ''))}</h1>",
             '<p class="meta">experiment ' + html.escape(str(run_info.get("experiment", "")))
             + " · started " + html.escape(readable_time(run_info.get("start_time", "")))
             + "</p>"]
    cohorts = run_dir / "cohorts.json"
    if cohorts.exists():
        recs = json.loads(cohorts.read_text())
        rows = [{"cohort": c["name"], "samples": c["n_samples"], "genes": c["n_genes"],
                 "endpoint": ", ".join(f"{k}: {v['definition']}" for k, v in
                                       c["endpoints"].items()),
                 "source": c["source"]} for c in recs]
        parts += ["<h2>Cohorts</h2>", _table(pd.DataFrame(rows))]
    parts += _endpoint_section(run_dir / "results" / "endpoints.json")
    champ = run_dir / "results" / "champion.json"
    if champ.exists():
        c = json.loads(champ.read_text())
        parts.append(f"<h2>Champion</h2><p>{html.escape(str(c['model']))} on "
                     f"{html.escape(str(c['feature_set']))} features: {c['metric']} "
                     f"{c['value']:.3f} [{c['ci_low']:.3f}, {c['ci_high']:.3f}] under "
                     f"{html.escape(str(c['validation']))}</p>")
    res = run_dir / "results" / "results.csv"
    if res.exists():
        parts += _results_sections(pd.read_csv(res))
    parts += _calibration_section(run_dir / "results" / "calibration_flags.csv")
    comp = run_dir / "shap" / "compartments.csv"
    if comp.exists():
        parts += ["<h2>TME compartments (mean |SHAP|)</h2>", _table(pd.read_csv(comp))]
    for name, label in (("by_subtype", "receptor subtype"), ("by_pam50", "PAM50 subtype"),
                        ("by_er", "ER status")):
        path = run_dir / "shap" / f"{name}.csv"
        if path.exists():
            parts += [f"<h2>TME compartments by {label} (mean |SHAP|)</h2>",
                      _table(pd.read_csv(path))]
    figs = sorted((run_dir / "figures").glob("*.png")) + sorted((run_dir / "shap").glob("*.png"))
    if figs:
        parts += ["<h2>Figures</h2>"] + [_img(f) for f in figs]
    parts += _subtype_sections(run_dir / "results")
    screen = run_dir / "results" / "screen.csv"
    if screen.exists():
        s = pd.read_csv(screen)
        parts += ["<h2>Univariate TME screen (Cox HR per SD, BH FDR)</h2>", _table(s)]
    body = "\n".join(parts)
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>tmeprog report</title>"
            f"<style>{CSS}</style></head><body>{body}</body></html>\n")


def write_atomic(text: str, out: Path, overwrite: bool = False) -> Path:
    """Write ``text`` to ``out`` via a temporary file and rename; refuse to overwrite."""
    with atomic_output(out, overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(out)


@contextlib.contextmanager
def _quiet_downloads():
    """MLflow's artifact-download progress bars off (they would fill stderr) while inside."""
    key = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"
    old = os.environ.get(key)
    os.environ[key] = "false"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = old


def report_run(run_id: str, out: Path, overwrite: bool = False,
               tracking_uri: str | None = None) -> Path:
    """Download a run's artifacts and write its HTML report to ``out``."""
    import mlflow  # deferred: mlflow takes over a second to load; only a run's report needs it
    from mlflow.exceptions import MlflowException  # deferred: part of mlflow, as above

    check_store_exists(resolve_uri(tracking_uri))
    use_store(tracking_uri)
    client = mlflow.MlflowClient()
    try:
        run = client.get_run(run_id)
    except MlflowException as exc:
        raise InputError(f"no run {run_id!r} in the tracking store; list runs with "
                         "`tmeprog ui`") from exc
    exp = client.get_experiment(run.info.experiment_id)
    with tempfile.TemporaryDirectory() as tmp, _quiet_downloads():
        for sub in ("cohorts.json", "results", "figures", "shap"):
            try:
                mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=sub,
                                                    dst_path=tmp)
            except (MlflowException, OSError):
                continue
        text = build_report(Path(tmp), {
            "run_id": run_id, "experiment": exp.name,
            "start_time": pd.Timestamp(run.info.start_time, unit="ms").isoformat()})
    return write_atomic(text, out, overwrite=overwrite)
