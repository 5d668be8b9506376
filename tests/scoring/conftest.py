"""Shared fixtures: one quick champion (trained once), cohort files, a feature-table model."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

from tmeprog.cohorts import load_cohort

CONFIG = Path(__file__).resolve().parents[1] / "fixtures" / "pipelines" / "quick_prognosis.toml"
CHAMPION = "models:/tmeprog-test-prognosis@champion"
FEATURE_MODEL = "models:/tmeprog-test-scoring-features@champion"


@pytest.fixture(scope="session")
def served(store):
    """The champion, loaded once."""
    from tmeprog.scoring import load_served_model

    return load_served_model(CHAMPION, store)


@pytest.fixture(scope="session")
def cohort_files(tmp_path_factory) -> dict:
    """gse4335 as user files: expression (parquet; its first 40 samples as tsv and as a genes x
    samples tsv) + clinical."""
    d = tmp_path_factory.mktemp("cohort-files")
    c = load_cohort("gse4335")
    e = c.expression.rename_axis("sample_id")
    files = {"parquet": d / "expr.parquet", "tsv": d / "expr.tsv", "gxs": d / "gxs.tsv",
             "clinical": d / "clinical.tsv"}
    e.to_parquet(files["parquet"])
    e.iloc[:40].to_csv(files["tsv"], sep="\t")
    e.iloc[:40].T.rename_axis("gene").to_csv(files["gxs"], sep="\t")
    c.clinical.rename_axis("sample_id").to_csv(files["clinical"], sep="\t")
    return {k: str(v) for k, v in files.items()} | {"cohort": c}


@pytest.fixture(scope="session")
def feature_model(store, tmp_path_factory) -> str:
    """A response model trained on a three-column feature table, registered in ``store``."""
    from sklearn.linear_model import LogisticRegression

    from tmeprog.serving.scorer import Scorer
    from tmeprog.tracking.pyfunc import log_scorer, register_champion
    from tmeprog.tracking.store import ensure_experiment

    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(80, 3)), columns=["sig_a", "sig_b", "sig_c"])
    y = (X["sig_a"] + 0.5 * rng.normal(size=80) > 0).astype(int)
    scorer = Scorer(task="response", model=LogisticRegression().fit(X, y),
                    design_columns=list(X.columns), clinical_columns=[])
    cwd = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("feature-run"))
    try:
        exp = ensure_experiment("tmeprog-test-scoring", store)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with mlflow.start_run(experiment_id=exp):
                info = log_scorer(scorer)
            register_champion(info.model_uri, "tmeprog-test-scoring-features")
    finally:
        os.chdir(cwd)
    return FEATURE_MODEL


@pytest.fixture(scope="session")
def frame4335(cohort_files) -> pd.DataFrame:
    """gse4335 typed as the served model's input (``model_input``); slice it for subsets."""
    from tmeprog.tracking.pyfunc import model_input

    c = cohort_files["cohort"]
    return model_input(c.expression, c.clinical)


@pytest.fixture(scope="session")
def whole4335(served, frame4335) -> pd.DataFrame:
    """The champion's in-process scores of all of gse4335 at once."""
    return served.scorer.predict(frame4335)


@pytest.fixture(scope="session")
def local60(served, cohort_files, tmp_path_factory):
    """(summary, output table) of the local engine on gse4335's parquet in chunks of 60."""
    from tmeprog.scoring import score_batch

    out = tmp_path_factory.mktemp("local60") / "scores.parquet"
    s = score_batch(CHAMPION, cohort_files["parquet"], out, chunk_size=60,
                    clinical=cohort_files["clinical"], served=served)
    return s, pd.read_parquet(out)
