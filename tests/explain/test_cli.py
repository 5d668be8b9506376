"""``tmeprog explain`` on a saved pyfunc model and a feature file."""

from __future__ import annotations

import warnings

import mlflow
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tmeprog.cli import app
from tmeprog.explain import read_shap_table


@pytest.fixture(scope="module")
def surv_years(surv4):
    """``surv4`` with age in years (the clinical table is checked for plausible ages)."""
    X, y = surv4
    X = X.assign(age=55.0 + 10.0 * X["age"])
    return X, y


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory, surv_years):
    from tmeprog.models.coxnet import CoxNetSurvival
    from tmeprog.serving.scorer import Scorer
    from tmeprog.tracking.pyfunc import TmeprogPyfunc

    X, y = surv_years
    model = CoxNetSurvival(alpha=0.01, ci="none").fit(X, y)
    scorer = Scorer(task="prognosis", model=model, design_columns=list(X.columns),
                    clinical_columns=["age"])
    path = tmp_path_factory.mktemp("model") / "pyfunc"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlflow.pyfunc.save_model(str(path), python_model=TmeprogPyfunc(scorer),
                                 pip_requirements=["numpy"])
    return path, model


def test_explain_command_writes_table_and_figures(saved_model, surv_years, tmp_path):
    path, model = saved_model
    X, _ = surv_years
    feats = X.drop(columns="age").iloc[:40]
    feats.rename_axis("sample_id").to_csv(tmp_path / "features.tsv", sep="\t")
    X[["age"]].iloc[:40].rename_axis("sample_id").to_csv(tmp_path / "clinical.tsv", sep="\t")
    out = tmp_path / "shap.parquet"
    args = ["explain", str(path), str(tmp_path / "features.tsv"), "--kind", "features",
            "--clinical", str(tmp_path / "clinical.tsv"), "-o", str(out),
            "--figures", str(tmp_path / "figs")]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    table = read_shap_table(out)
    assert set(table.values.columns) == set(X.columns)
    pred = model.predict(X.iloc[:40])
    np.testing.assert_allclose(table.predictions.loc[X.index[:40]], pred, rtol=1e-10)
    assert table.compartments["age"] == "clinical"
    figs = sorted(p.name for p in (tmp_path / "figs").iterdir())
    assert figs[0] == "shap_01_beeswarm.png" and not any("waterfall" in f for f in figs)
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 2 and "exists" in again.output
    bad = CliRunner().invoke(app, ["explain", str(tmp_path / "nomodel"),
                                   str(tmp_path / "features.tsv"), "-o",
                                   str(tmp_path / "x.parquet")])
    assert bad.exit_code == 2 and "cannot load model" in bad.output
    assert pd.read_parquet(out).shape[0] == 40


def _inputs(tmp_path, surv_years):
    X, _ = surv_years
    X.drop(columns="age").iloc[:40].rename_axis("sample_id").to_csv(tmp_path / "f.tsv",
                                                                     sep="\t")
    X[["age"]].iloc[:40].rename_axis("sample_id").to_csv(tmp_path / "c.tsv", sep="\t")
    return ["--kind", "features", "--clinical", str(tmp_path / "c.tsv")]


def test_an_unknown_patient_is_refused_before_anything_is_written(saved_model, surv_years,
                                                                  tmp_path):
    path, _ = saved_model
    out, figs = tmp_path / "out" / "shap.parquet", tmp_path / "figs"
    res = CliRunner().invoke(app, ["explain", str(path), str(tmp_path / "f.tsv"),
                                   *_inputs(tmp_path, surv_years), "-o", str(out),
                                   "--figures", str(figs), "--patient", "NO-SUCH-ID"])
    assert res.exit_code == 2, res.output
    assert "--patient NO-SUCH-ID: no such sample" in " ".join(res.output.split())
    assert not out.exists() and not out.parent.exists() and not figs.exists()


def test_a_known_patient_gets_a_waterfall(saved_model, surv_years, tmp_path):
    path, _ = saved_model
    X, _ = surv_years
    pid = str(X.index[3])
    figs = tmp_path / "figs"
    res = CliRunner().invoke(app, ["explain", str(path), str(tmp_path / "f.tsv"),
                                   *_inputs(tmp_path, surv_years), "-o",
                                   str(tmp_path / "s.parquet"), "--figures", str(figs),
                                   "--patient", pid])
    assert res.exit_code == 0, res.output
    assert any(p.name.startswith("shap_04_waterfall_") for p in figs.iterdir())


def test_patient_without_figures_and_existing_figures_are_refused_first(saved_model,
                                                                        surv_years, tmp_path):
    path, _ = saved_model
    base = ["explain", str(path), str(tmp_path / "f.tsv"), *_inputs(tmp_path, surv_years),
            "-o", str(tmp_path / "s.parquet")]
    res = CliRunner().invoke(app, [*base, "--patient", "x"])
    assert res.exit_code == 2 and "give --figures" in res.output
    figs = tmp_path / "figs"
    figs.mkdir()
    (figs / "shap_01_beeswarm.png").write_bytes(b"old")
    res = CliRunner().invoke(app, [*base, "--figures", str(figs)])
    assert res.exit_code == 2 and "already holds shap_01_beeswarm.png" in res.output
    assert not (tmp_path / "s.parquet").exists()
    assert (figs / "shap_01_beeswarm.png").read_bytes() == b"old"
