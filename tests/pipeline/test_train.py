"""End-to-end training pipeline: tracked run, registered champion, faithful pyfunc."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

from tmeprog.cohorts import load_cohort
from tmeprog.pipeline.config import load_config
from tmeprog.pipeline.train import train
from tmeprog.tracking.pyfunc import model_input

CONFIG = Path(__file__).resolve().parents[1] / "fixtures" / "pipelines" / "quick_prognosis.toml"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    d = tmp_path_factory.mktemp("mlflow")
    return f"sqlite:///{d / 'mlflow.db'}"


@pytest.fixture(scope="module")
def trained(store, tmp_path_factory):
    cwd = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("run"))
    try:
        out = train(load_config(CONFIG), tracking_uri=store, progress=False, quick=True)
    finally:
        os.chdir(cwd)
    return out


def test_json_document(trained):
    doc = trained.to_json()
    assert doc["model_uri"] == "models:/tmeprog-test-prognosis@champion"
    assert doc["experiment"] == "tmeprog-test-prognosis"
    rows = pd.DataFrame(doc["results"])
    assert set(rows["feature_set"]) == {"clinical", "tme", "clinical+tme"}
    assert {"cv", "loco", "loco:gse1992", "loco:gse4335", "loco:gse3143"} <= set(
        rows["validation"])
    assert {"harrell_c", "uno_c", "ibs"} <= set(rows["metric"])
    c = rows[(rows.metric == "harrell_c") & (rows.validation == "loco")]
    assert ((c.ci_low <= c.value) & (c.value <= c.ci_high)).all()
    json.dumps(doc)  # serialisable


def test_run_holds_params_metrics_figures_and_model(trained, store):
    mlflow.set_tracking_uri(store)
    client = mlflow.MlflowClient()
    run = client.get_run(trained.run_id)
    assert run.data.params["task.seed"] == "7"
    assert run.data.tags["cohorts"] == "gse1992,gse4335,gse3143"
    assert any(k.startswith("coxnet.clinical_tme.loco.harrell_c") for k in run.data.metrics)
    names = {a.path for a in client.list_artifacts(trained.run_id)}
    assert {"results", "figures", "shap", "provenance.json", "cohorts.json"} <= names
    shap = {a.path for a in client.list_artifacts(trained.run_id, "shap")}
    assert {"shap/compartments.csv", "shap/ranking_stability_cv_folds.csv"} <= shap
    assert -1 <= run.data.metrics["shap.ranking_stability.mean"] <= 1
    figs = {a.path for a in client.list_artifacts(trained.run_id, "figures")}
    assert "figures/01_km_risk_tertiles.png" in figs
    prov = json.loads(mlflow.artifacts.load_text(
        f"runs:/{trained.run_id}/provenance.json"))
    assert len(prov["data_fingerprints"]["gse1992.expression"]) == 64
    mv = client.get_model_version_by_alias("tmeprog-test-prognosis", "champion")
    assert mv.version is not None


def test_run_and_version_carry_what_a_reviewer_needs(trained, store):
    mlflow.set_tracking_uri(store)
    client = mlflow.MlflowClient()
    run = client.get_run(trained.run_id)
    note = run.data.tags["mlflow.note.content"]
    champ = trained.champion
    assert champ["model"] in note and "Harrell's C" in note and f"{champ['value']:.3f}" in note
    assert "gse1992: rfs" in note or "gse1992:" in run.data.tags["endpoint"]
    for k in ("cohorts", "endpoint", "feature_set", "family", "champion"):
        assert run.data.tags[k], k
    found = client.search_runs([run.info.experiment_id],
                               f"tags.family = '{champ['model']}' and tags.champion = 'true'")
    assert trained.run_id in {r.info.run_id for r in found}
    assert "report/report.html" in {a.path for a in client.list_artifacts(trained.run_id,
                                                                          "report")}
    html = mlflow.artifacts.load_text(f"runs:/{trained.run_id}/report/report.html")
    assert html.startswith("<!DOCTYPE html>") and "Champion" in html
    mv = client.get_model_version_by_alias("tmeprog-test-prognosis", "champion")
    assert trained.run_id in mv.description and "Harrell's C" in mv.description
    assert mv.tags["run_id"] == trained.run_id
    assert mv.tags["feature_set"] == champ["feature_set"]
    assert any(k.startswith("fingerprint.gse1992") for k in mv.tags)


def _scorer_and_frame(trained, store, cohort="gse4335"):
    mlflow.set_tracking_uri(store)
    loaded = mlflow.pyfunc.load_model(trained.model_uri)
    c = load_cohort(cohort)
    frame = model_input(c.expression, c.clinical)
    return loaded, frame


def test_pyfunc_reproduces_in_process_predictions(trained, store):
    loaded, frame = _scorer_and_frame(trained, store)
    scorer = loaded.unwrap_python_model().scorer
    direct = scorer.predict(frame).reset_index(drop=True)
    served = loaded.predict(frame)
    pd.testing.assert_frame_equal(served[direct.columns], direct, check_exact=True)
    assert set(direct.columns) >= {"risk_score", "survival_prob_3y", "survival_prob_5y",
                                   "risk_group"}
    s = direct["survival_prob_5y"]
    assert ((s >= 0) & (s <= 1)).all() and (direct["survival_prob_3y"] >= s).all()


def test_one_patient_alone_scores_as_in_cohort(trained, store):
    loaded, frame = _scorer_and_frame(trained, store)
    whole = loaded.predict(frame)
    for i in (0, 40, 114):
        alone = loaded.predict(frame.iloc[[i]])
        np.testing.assert_array_equal(alone["risk_score"].to_numpy(),
                                      whole["risk_score"].iloc[[i]].to_numpy())
        assert alone["risk_group"].iloc[0] == whole["risk_group"].iloc[i]


def test_no_patient_level_rows_in_artifacts(trained, store):
    mlflow.set_tracking_uri(store)
    run_dir = Path(mlflow.artifacts.download_artifacts(run_id=trained.run_id))
    model_dir = Path(mlflow.artifacts.download_artifacts(artifact_uri=trained.model_uri))
    ids = set()
    for name in ("gse1992", "gse4335", "gse3143"):
        ids |= {str(s) for s in load_cohort(name).samples}
    files = [p for d in (run_dir, model_dir) for p in d.rglob("*") if p.is_file()]
    assert any(p.suffix == ".pkl" for p in files)  # the pickled scorer is scanned too
    assert any(p.name == "results.csv" for p in files)
    # an id counts where it stands alone, not inside a longer identifier (the packaged
    # genefu tables hold GenBank accessions such as BC000712, which contains BC00071)
    pattern = re.compile(b"(?<![A-Za-z0-9])(" + b"|".join(
        re.escape(s.encode()) for s in sorted(ids, key=len, reverse=True)) + b")(?![A-Za-z0-9])")
    for p in files:
        hit = sorted({m.decode() for m in pattern.findall(p.read_bytes())})
        assert not hit, f"{p.name} holds sample ids {hit[:3]}"
    for p in run_dir.rglob("*.csv"):
        assert "sample_id" not in pd.read_csv(p, nrows=0).columns


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    d = tmp_path_factory.mktemp("server")
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--backend-store-uri",
         f"sqlite:///{d / 'srv.db'}", "--artifacts-destination", str(d / "artifacts"),
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    import urllib.request

    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("mlflow server did not start")
    yield url
    # the server starts worker processes (uvicorn, job runners): stop its whole group
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def test_same_config_and_seed_on_a_tracking_server_gives_identical_metrics(
        trained, server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    again = train(load_config(CONFIG), tracking_uri=server, progress=False, quick=True)
    a = trained.results.set_index(["model", "feature_set", "validation", "metric"])
    b = again.results.set_index(["model", "feature_set", "validation", "metric"])
    pd.testing.assert_frame_equal(a[["value", "ci_low", "ci_high"]],
                                  b[["value", "ci_low", "ci_high"]], check_exact=True)
    mlflow.set_tracking_uri(server)
    run = mlflow.MlflowClient().get_run(again.run_id)
    assert run.info.status == "FINISHED"
    assert "coxnet.clinical.cv.harrell_c" in run.data.metrics


def test_run_states_endpoints_strata_and_subtype_results(trained, store):
    mlflow.set_tracking_uri(store)
    run = mlflow.MlflowClient().get_run(trained.run_id)
    assert run.data.tags["endpoint"] == "gse1992:rfs,gse4335:os,gse3143:os"
    assert run.data.tags["endpoints_pooled"] == "true"
    assert run.data.params["endpoint.gse1992"] == "rfs"
    assert any("endpoints are mixed" in w for w in trained.warnings)
    rec = json.loads(mlflow.artifacts.load_text(
        f"runs:/{trained.run_id}/results/endpoints.json"))
    assert rec["pooled"] and rec["cohorts"]["gse4335"]["endpoint"] == "os"
    assert "age@os" in rec["age"] and "cohort x endpoint" in rec["stratification"]
    path = mlflow.artifacts.download_artifacts(f"runs:/{trained.run_id}/results/subtype_c.csv")
    sub = pd.read_csv(path)
    assert {"ER-", "ER+"} == set(sub["subgroup"]) and "loco" in set(sub["validation"])
    path = mlflow.artifacts.download_artifacts(
        f"runs:/{trained.run_id}/results/subtype_screen.csv")
    assert {"hr_er_neg", "hr_er_pos", "p_interaction_lr"} <= set(pd.read_csv(path).columns)
    path = mlflow.artifacts.download_artifacts(
        f"runs:/{trained.run_id}/results/calibration_flags.csv")
    cal = pd.read_csv(path)
    assert {"slope", "flagged"} <= set(cal.columns) and len(cal)
    champ = cal[(cal["model"] == trained.champion["model"])
                & (cal["feature_set"] == trained.champion["feature_set"])
                & (cal["validation"] == "loco")]
    assert run.data.tags["calibration_flagged"] == str(bool(champ["flagged"].iloc[0])).lower()
    html = mlflow.artifacts.load_text(f"runs:/{trained.run_id}/report/report.html")
    assert "Calibration of the survival probabilities" in html
