"""HTML report: self-contained, refuses to overwrite, renders in a real headless browser."""

import json
import shutil
import subprocess

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from tmeprog.errors import InputError  # noqa: E402
from tmeprog.report.html import build_report, write_atomic  # noqa: E402


@pytest.fixture
def run_dir(tmp_path):
    d = tmp_path / "run"
    (d / "results").mkdir(parents=True)
    (d / "figures").mkdir()
    rows = []
    for fs in ("clinical", "tme", "clinical+tme"):
        for val in ("cv", "loco", "loco:gse1992"):
            rows.append({"model": "coxnet", "feature_set": fs, "validation": val,
                         "metric": "harrell_c", "value": 0.7, "ci_low": 0.65, "ci_high": 0.75})
    pd.DataFrame(rows).to_csv(d / "results" / "results.csv", index=False)
    (d / "results" / "champion.json").write_text(json.dumps(
        {"model": "coxnet", "feature_set": "tme", "metric": "harrell_c", "value": 0.7,
         "ci_low": 0.65, "ci_high": 0.75, "validation": "loco"}))
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot(np.arange(5), np.arange(5) ** 2)
    fig.savefig(d / "figures" / "01_km_risk_tertiles.png")
    plt.close(fig)
    return d


def test_report_is_self_contained(run_dir):
    text = build_report(run_dir, {"run_id": "abc", "experiment": "e"})
    assert "Validation results" in text and "Per held-out cohort" in text
    assert "data:image/png;base64," in text
    assert "http://" not in text and "https://" not in text
    assert "0.700 [0.650, 0.750]" in text


def test_report_refuses_to_overwrite(run_dir, tmp_path):
    out = tmp_path / "r.html"
    out.write_text("mine")
    with pytest.raises(InputError, match="--overwrite"):
        write_atomic("new", out)
    assert out.read_text() == "mine"
    write_atomic("new", out, overwrite=True)
    assert out.read_text() == "new"


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian chromium not installed")
def test_report_renders_in_headless_chromium(run_dir, tmp_path):
    html_path = tmp_path / "report.html"
    write_atomic(build_report(run_dir, {"run_id": "abc", "experiment": "e"}), html_path)
    shot = tmp_path / "shot.png"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(["chromium", *flags, "--dump-dom", html_path.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    assert "Validation results" in dom and "<img" in dom
    subprocess.run(["chromium", *flags, "--window-size=1000,1400", f"--screenshot={shot}",
                    html_path.as_uri()], capture_output=True, timeout=120)
    img = plt.imread(shot)
    assert img.shape[0] > 500 and img.std() > 0.05  # a page with content, not a blank canvas


def test_report_shows_shap_by_pam50_subtype(run_dir):
    (run_dir / "shap").mkdir()
    pd.DataFrame({"pam50": ["LumA", "Basal"], "immune": [0.1, 0.3],
                  "prognostic": [0.2, 0.05]}).to_csv(run_dir / "shap" / "by_pam50.csv",
                                                      index=False)
    text = build_report(run_dir, {"run_id": "r1", "experiment": "e", "start_time": "t"})
    assert "TME compartments by PAM50 subtype" in text and "Basal" in text
    assert "by receptor subtype" not in text  # no table, no heading


def test_report_states_endpoints_and_subtype_results(run_dir):
    (run_dir / "results" / "endpoints.json").write_text(json.dumps({
        "cohorts": {"gse1992": {"endpoint": "rfs", "definition": "relapse-free", "n": 124,
                                "events": 35},
                    "vdv": {"endpoint": "dmfs", "definition": "distant metastasis", "n": 78,
                            "events": 34}},
        "pooled": True, "stratification": "baseline hazard per cohort x endpoint",
        "age": "age per endpoint: age@rfs"}))
    pd.DataFrame([{"model": "coxnet", "feature_set": "tme+subtype", "validation": v,
                   "subgroup": g, "metric": "harrell_c", "value": 0.61, "ci_low": 0.5,
                   "ci_high": 0.7, "n": 10, "events": 4, "n_units": 2}
                  for v in ("loco", "loco:vdv") for g in ("ER-", "ER+")]).to_csv(
        run_dir / "results" / "subtype_c.csv", index=False)
    pd.DataFrame([{"feature": "til_density", "hr_er_neg": 0.5, "hr_er_pos": 1.3,
                   "p_interaction_lr": 0.001}]).to_csv(
        run_dir / "results" / "subtype_screen.csv", index=False)
    text = build_report(run_dir, {"run_id": "abc", "experiment": "e"})
    assert "endpoints are mixed" in text and "dmfs" in text and "age@rfs" in text
    assert "by ER status" in text and "0.610 [0.500, 0.700]" in text
    assert "til_density" in text and "interaction" in text
