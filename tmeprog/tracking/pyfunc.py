"""The served model: one MLflow pyfunc wrapping a fitted :class:`~tmeprog.serving.scorer.Scorer`.

Input: a DataFrame with one row per sample, gene-symbol columns (raw expression on the training
scale) or feature columns, plus the clinical covariates the model uses (vocabulary names).
Output: ``risk_score``, ``survival_prob_<h>`` and ``risk_group`` (prognosis) or
``pcr_probability`` (response).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import cloudpickle
import mlflow
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.types.schema import ColSpec, Schema

import tmeprog
from tmeprog.cohorts.vocabulary import CLINICAL_DTYPES
from tmeprog.serving.scorer import Scorer, horizon_label
from tmeprog.serving.wrapper import SCORER_ARTIFACT, TmeprogPyfunc
from tmeprog.tracking.provenance import package_versions

__all__ = ["TmeprogPyfunc", "log_scorer", "model_input", "model_signature", "register_champion"]


def clinical_inputs(scorer: Scorer) -> list[str]:
    """Vocabulary columns the scorer reads to build its clinical design columns."""
    cols: list[str] = []
    for sources in scorer.covariate_sources().values():
        cols += [src for src in sources if src not in cols]
    return cols


def input_columns(scorer: Scorer) -> list[str]:
    """Columns the model reads: genes of the extractor's universe (or features) + clinical."""
    ext = scorer.extractor
    if ext is not None:
        cols = list(getattr(ext, "input_genes_", []))
    else:
        cols = list(scorer.feature_columns)
    return cols + [c for c in clinical_inputs(scorer) if c not in cols]


def model_signature(scorer: Scorer) -> ModelSignature:
    """The outputs, named by task; the inputs are not declared in the signature.

    A served model reads tens of thousands of optional gene columns. Declared one by one they
    make MLflow's ``load_model`` take ~6 s (~28 s with an input example) instead of ~0.1 s and
    every ``predict`` call re-check each column; so the input columns are listed in the
    model's ``input_columns.json`` artifact (:func:`input_schema`) and the scorer audits
    coverage and covariates itself.
    """
    if scorer.task == "prognosis":
        outs = [ColSpec("double", "risk_score")]
        outs += [ColSpec("double", f"survival_prob_{horizon_label(h)}")
                 for h in scorer.horizons_months]
        outs.append(ColSpec("string", "risk_group"))
    else:
        outs = [ColSpec("double", "pcr_probability")]
    return ModelSignature(inputs=None, outputs=Schema(outs))


def input_schema(scorer: Scorer) -> dict:
    """The columns the model reads, each optional: ``{"columns": [{"name", "type"}], ...}``."""
    strings = {c for c in clinical_inputs(scorer) if CLINICAL_DTYPES.get(c) == "string"}
    cols = input_columns(scorer)
    return {"columns": [{"name": c, "type": "string" if c in strings else "double"}
                        for c in cols],
            "clinical": clinical_inputs(scorer), "n_columns": len(cols),
            "note": "every column is optional; gene columns hold expression on the training "
                    "scale, clinical columns use the tmeprog vocabulary"}


def log_scorer(scorer: Scorer, name: str = "model"):
    """Log the scorer as a pyfunc in the active run; returns MLflow's ``ModelInfo``.

    The model is logged from code (:mod:`tmeprog.serving.model_code`) with the fitted scorer
    as its ``scorer`` artifact, its input columns as ``input_columns.json`` (names and types,
    no patient values) and this tmeprog package as its code.
    """
    # on use: importing model_code calls mlflow's set_model; logging needs only its file
    from tmeprog.serving import model_code

    pkg_dir = Path(tmeprog.__file__).resolve().parent
    deps = ["numpy", "pandas", "scipy", "scikit-learn", "scikit-survival", "xgboost-cpu",
            "lifelines", "mlflow", "cloudpickle"]
    vers = package_versions()
    reqs = [f"{d}=={vers[d]}" if d in vers else d for d in deps]
    with tempfile.TemporaryDirectory() as tmp:
        art = Path(tmp) / "scorer.pkl"
        with open(art, "wb") as f:
            cloudpickle.dump(scorer, f)
        cols = Path(tmp) / "input_columns.json"
        cols.write_text(json.dumps(input_schema(scorer), indent=1))
        return mlflow.pyfunc.log_model(
            name=name,
            python_model=model_code.__file__,
            artifacts={SCORER_ARTIFACT: str(art), "input_columns": str(cols)},
            signature=model_signature(scorer),
            code_paths=[str(pkg_dir)],
            pip_requirements=reqs,
            metadata={"tmeprog_version": tmeprog.__version__, "task": scorer.task},
        )


def register_champion(model_uri: str, registered_name: str, alias: str = "champion") -> str:
    """Register ``model_uri`` as a new version of ``registered_name`` and point ``alias`` at it.

    Returns the alias URI (``models:/<name>@<alias>``).
    """
    mv = mlflow.register_model(model_uri, registered_name)
    mlflow.MlflowClient().set_registered_model_alias(registered_name, alias, mv.version)
    return f"models:/{registered_name}@{alias}"


def model_input(expression: pd.DataFrame | None, clinical: pd.DataFrame | None = None,
                features: pd.DataFrame | None = None) -> pd.DataFrame:
    """One input frame for the served model, typed as its signature expects.

    Gene (or feature) columns and numeric clinical columns become float64 (nullable integers
    such as ``grade`` included, missing as NaN); text columns (``arm``, ``subtype``) stay text.
    """
    parts = [p for p in (expression, features) if p is not None]
    if clinical is not None and len(clinical.columns):
        clin = pd.DataFrame(index=clinical.index)
        for c in clinical.columns:
            if CLINICAL_DTYPES.get(c) == "string":
                clin[c] = clinical[c].astype(object).where(clinical[c].notna(), None)
            else:
                clin[c] = pd.to_numeric(clinical[c], errors="coerce").astype("float64")
        parts.append(clin)
    if not parts:
        raise ValueError("model_input needs expression, features or clinical columns")
    frame = pd.concat(parts, axis=1)
    num = [c for c in frame.columns if c not in CLINICAL_DTYPES
           or CLINICAL_DTYPES[c] != "string"]
    frame[num] = frame[num].astype("float64")
    return frame
