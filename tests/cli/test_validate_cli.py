"""``tmeprog train --gene-universe`` and ``tmeprog validate`` on the bundled cohorts.

One model is trained on gse1992 + gse3143 (features restricted to a 10,000-gene universe drawn
from the genes gse4335 shares with gse1992) and validated on the held-out gse4335; its figures
are compared with the leave-one-cohort-out fold of gse4335 computed independently (models API
on the three cohorts, same universe, the champion's tuned parameters).
"""

import json
import os
import warnings
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tmeprog.cli import app
from tmeprog.cohorts import load_cohort
from tmeprog.pipeline.config import load_config
from tmeprog.pipeline.train import train

pytestmark = pytest.mark.slow  # one training run (about 2-3 minutes) shared by the module
runner = CliRunner()
CONFIG = Path(__file__).resolve().parents[1] / "fixtures" / "pipelines" / "quick_validate.toml"
URI = "models:/tmeprog-test-validate@champion"


@pytest.fixture(scope="module")
def universe(tmp_path_factory):
    # genes gse4335 (the target) and gse1992 share: the target then has every universe gene,
    # and the extractor's genes are the same whether gse4335 is among the training cohorts
    shared = load_cohort("gse1992").expression.columns.intersection(
        load_cohort("gse4335").expression.columns).sort_values()
    pick = np.random.default_rng(11).choice(np.asarray(shared), 10_000, replace=False)
    p = tmp_path_factory.mktemp("universe") / "genes.txt"
    p.write_text("gene\n" + "\n".join(sorted(pick)) + "\n")
    return p, sorted(pick)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, universe):
    d = tmp_path_factory.mktemp("mlflow")
    store = f"sqlite:///{d / 'mlflow.db'}"
    cwd = os.getcwd()
    os.chdir(d)
    try:
        out = train(load_config(CONFIG), tracking_uri=store, progress=False, quick=True,
                    gene_universe=str(universe[0]))
    finally:
        os.chdir(cwd)
    return out, store


@pytest.fixture(scope="module")
def validated(trained):
    out, store = trained
    res = runner.invoke(app, ["validate", URI, "gse4335", "--json", "--bootstrap", "100",
                              "--tracking-uri", store])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def _loco_fold_c(universe_genes, params):
    """Harrell C of the gse4335 leave-one-cohort-out fold of a three-cohort run, the model
    fitted with the champion's tuned ``params`` (so both sides fit the same model: what
    differs is only the route, training + validate vs the validation fold)."""
    from tmeprog.features.extractor import TMEFeatureExtractor
    from tmeprog.models.compare import default_models
    from tmeprog.models.evaluation import evaluate
    from tmeprog.models.feature_sets import design_matrices
    from tmeprog.models.validation import leave_one_cohort_out
    from tmeprog.pipeline.assemble import assemble

    ts = assemble([load_cohort(n) for n in ("gse1992", "gse3143", "gse4335")],
                  pool_endpoints=True)
    X = ts.expression[[g for g in ts.expression.columns if g in set(universe_genes)]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        F = TMEFeatureExtractor().fit(X).transform(X)
        F = F.loc[:, F.notna().any()]
        # rfs (gse1992) pooled with os: age per endpoint, baseline hazard per cohort x endpoint
        D = design_matrices(ts.clinical, F, ["clinical+tme"],
                            endpoints=ts.sample_endpoints)["clinical+tme"]
        est = default_models(7, quick=True)["coxnet"][0].set_params(**params)
        res = leave_one_cohort_out(est, D, ts.y, ts.groups, random_state=7,
                                   horizons=[36.0, 60.0], strata=ts.strata)
        t = evaluate(res, n_boot=0).table
    return float(t[(t.validation == "loco:gse4335") & (t.metric == "harrell_c")]["value"].iloc[0])


def test_validate_equals_the_loco_fold_within_bootstrap_noise(validated, universe, trained):
    doc = validated
    assert doc["cohort"] == "gse4335" and doc["endpoint"] == "os"
    assert (doc["n"], doc["events"]) == (115, 38)  # gse4335: 115 patients, 38 deaths
    lo, hi = doc["harrell_c_ci"]
    assert lo < doc["harrell_c"] < hi and hi - lo < 0.3
    assert trained[0].champion["model"] == "coxnet"
    loco = _loco_fold_c(universe[1], trained[0].champion["params"])
    assert lo <= loco <= hi
    assert abs(doc["harrell_c"] - loco) < 0.01  # far inside the bootstrap noise


def test_json_document_holds_references_subtypes_and_estimators(validated):
    doc = validated
    for name in ("clinical", "age"):
        ref = doc["reference"][name]
        assert 0 < ref["harrell_c"] < 1 and len(ref["harrell_c_ci"]) == 2
        assert ref["n"] == 115
        d = doc["difference_vs_reference"][name]["harrell_c"]
        assert d["value"] == pytest.approx(doc["harrell_c"] - ref["harrell_c"])
    for key in ("uno_c", "td_auc_3y", "td_auc_5y", "brier_3y", "brier_5y",
                "calibration_slope_5y", "calibration_in_the_large_5y"):
        assert doc[key] is not None and len(doc[f"{key}_ci"]) == 2, key
    assert "Harrell" in doc["estimators"]["harrell_c"]
    assert "Uno" in doc["estimators"]["uno_c"]
    assert set(doc["by_subgroup"]) == {"ER+", "ER-"}
    n_sub = sum(doc["by_subgroup"][s]["model"]["n"] for s in ("ER+", "ER-"))
    assert n_sub <= 115
    assert sum(g["n"] for g in doc["risk_groups"]) == 115
    assert sum(g["events"] for g in doc["risk_groups"]) == 38


def test_validation_run_is_tagged_linked_and_holds_no_patient_rows(validated, trained):
    out, store = trained
    mlflow.set_tracking_uri(store)
    client = mlflow.MlflowClient()
    run = client.get_run(validated["run_id"])
    assert run.data.tags["validation"] == "external"
    assert run.data.tags["model_version"] == "1"
    assert run.data.tags["model_run_id"] == out.run_id
    assert len(run.data.tags["fingerprint.expression_sha256"]) == 16
    assert run.data.metrics["model.all.harrell_c"] == pytest.approx(validated["harrell_c"])
    mv = client.get_model_version("tmeprog-test-validate", "1")
    assert mv.tags["validation.gse4335.run_id"] == run.info.run_id
    arts = {a.path for a in client.list_artifacts(run.info.run_id, "validation")}
    assert {"validation/metrics.csv", "validation/km_model_risk_groups.png",
            "validation/calibration_model.png", "validation/validation.json"} <= arts
    ids = set(load_cohort("gse4335").samples)
    for name in ("metrics.csv", "differences.csv", "risk_groups.csv", "calibration_model.csv"):
        text = mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/validation/{name}")
        assert not any(i in text for i in ids), name


def test_gene_universe_is_stored_logged_and_scores_a_restricted_cohort(trained, universe,
                                                                       tmp_path):
    out, store = trained
    mlflow.set_tracking_uri(store)
    run = mlflow.get_run(out.run_id)
    assert run.data.params["gene_universe.n_genes"] == "10000"
    assert run.data.params["gene_universe.kind"] == "gene list"
    from tmeprog.scoring.model import load_served_model

    sc = load_served_model(URI, store).scorer
    assert sc.info["gene_universe"]["n_genes"] == 10_000
    assert set(sc.extractor.input_genes_) <= set(universe[1])
    assert "cell_treg" in sc.imputable or "cell_treg" not in sc.feature_columns
    # a cohort measured on the universe's genes only is scored
    c = load_cohort("gse4335")
    keep = [g for g in c.expression.columns if g in set(universe[1])]
    expr = c.expression[keep].T
    p = tmp_path / "gse4335_universe.tsv"
    expr.to_csv(p, sep="\t", index_label="gene")
    clin = c.clinical.copy()
    clin.index.name = "sample_id"
    cp = tmp_path / "clinical.tsv"
    clin.to_csv(cp, sep="\t")
    res = runner.invoke(app, ["score", str(p), "--clinical", str(cp), "-m", URI, "-o",
                              str(tmp_path / "scores.tsv"), "--tracking-uri", store, "-q"])
    assert res.exit_code == 0, res.output
    scores = pd.read_csv(tmp_path / "scores.tsv", sep="\t")
    assert len(scores) == 115 and scores["risk_score"].notna().all()


def test_bad_input_is_one_clear_error_and_logs_nothing(trained, tmp_path):
    out, store = trained
    mlflow.set_tracking_uri(store)
    client = mlflow.MlflowClient()
    exp = client.get_experiment_by_name("tmeprog-test-validate")

    def n_runs():
        return len(client.search_runs([exp.experiment_id], filter_string=
                                      "tags.validation = 'external'"))

    before = n_runs()
    res = runner.invoke(app, ["validate", URI, "gse4335", "--endpoint", "dss",
                              "--tracking-uri", store])
    assert res.exit_code == 2 and "no survival endpoint 'dss'" in res.output
    assert "--endpoint" in res.output
    # an expression file without outcomes
    c = load_cohort("gse4335")
    p = tmp_path / "no_outcome.tsv"
    c.expression.T.to_csv(p, sep="\t", index_label="gene")
    res = runner.invoke(app, ["validate", URI, str(p), "--tracking-uri", store])
    assert res.exit_code == 2 and "no survival outcome" in res.output
    assert n_runs() == before


def test_response_model_is_refused_and_nothing_logged(tmp_path):
    from sklearn.linear_model import LogisticRegression

    from tmeprog.serving.scorer import Scorer
    from tmeprog.tracking.pyfunc import log_scorer, register_champion

    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(store)
    mlflow.set_registry_uri(store)
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(40, 2)), columns=["f1", "f2"])
    lr = LogisticRegression().fit(X, (X["f1"] > 0).astype(int))
    sc = Scorer(task="response", model=lr, design_columns=["f1", "f2"], clinical_columns=[])
    exp = mlflow.create_experiment("resp")
    with mlflow.start_run(experiment_id=exp):
        info = log_scorer(sc)
    uri = register_champion(info.model_uri, "resp")
    res = runner.invoke(app, ["validate", uri, "gse4335", "--tracking-uri", store])
    assert res.exit_code == 2 and "response model" in res.output
    assert "prognosis" in res.output
    assert len(mlflow.MlflowClient().search_runs([exp])) == 1  # the model's own run only
