"""Logging one training run to MLflow: params, tags, metrics with CIs, tables and figures.

Nothing patient-level is logged: tables are aggregates (results, screen, coverage, SHAP
importance), figures are summaries, and the model's input example is synthetic.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd


def flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested mapping -> ``{"a.b": "value"}`` with lists as JSON."""
    out: dict[str, str] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(flatten(v, key + "."))
        else:
            out[key] = json.dumps(v) if isinstance(v, list | tuple) else str(v)
    return out


def metric_key(*parts: str) -> str:
    """An MLflow-safe metric key from parts (``clinical+tme`` -> ``clinical_tme``)."""
    raw = ".".join(parts)
    return re.sub(r"[^A-Za-z0-9_\-./ ]", "_", raw.replace("+", "_").replace(":", "_"))


def log_results_metrics(results: pd.DataFrame) -> int:
    """Every result row as three metrics (value, ci_low, ci_high); returns how many rows."""
    batch = {}
    for r in results.itertuples(index=False):
        base = metric_key(r.model, r.feature_set, r.validation, r.metric)
        for suffix, val in (("", r.value), (".ci_low", r.ci_low), (".ci_high", r.ci_high)):
            if pd.notna(val):
                batch[base + suffix] = float(val)
    if batch:
        mlflow.log_metrics(batch)
    return len(results)


def log_table(df: pd.DataFrame, artifact_path: str, name: str, index: bool = False) -> None:
    """Log a DataFrame as a CSV artifact."""
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / name
        df.to_csv(p, index=index)
        mlflow.log_artifact(str(p), artifact_path=artifact_path)


def log_json(obj: Any, artifact_file: str) -> None:
    """Log a JSON-serialisable object as an artifact file."""
    mlflow.log_text(json.dumps(obj, indent=2, default=str), artifact_file)


def log_figure(fig, artifact_file: str) -> None:
    """Log a matplotlib figure as a PNG artifact and close it."""
    import matplotlib.pyplot as plt  # deferred: pyplot takes ~0.4 s; only figures need it

    mlflow.log_figure(fig, artifact_file)
    plt.close(fig)
