"""``tmeprog profile``: a patient's TME percentiles, survival and SHAP drivers."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.stats import percentileofscore
from typer.testing import CliRunner

from tests.browser import dom, needs_chromium, screenshot
from tmeprog.cli import app
from tmeprog.cohorts import load_cohort

M = "models:/tmeprog-test-prognosis@champion"
runner = CliRunner()


@pytest.fixture(scope="module")
def served(store):
    from tmeprog.scoring import load_served_model

    return load_served_model(M, store)


@pytest.fixture(scope="module")
def profiles(served):
    from tmeprog.report.profile import build_profiles

    return build_profiles(served.scorer, load_cohort("gse4335"), ["shaz133", "shbg128"])


def test_percentiles_against_the_training_patients(served, profiles):
    # independent route: the training cohorts' features from the model's own extractor
    from tmeprog.pipeline.assemble import assemble

    ts = assemble([load_cohort(n) for n in ("gse1992", "gse4335", "gse3143")],
                  pool_endpoints=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        F = served.scorer.extractor.transform(ts.expression)
    p = profiles[0]
    assert p.sample == "shaz133"
    checked = 0
    for r in p.features.dropna(subset=["percentile"]).itertuples():
        train = F[r.feature].dropna()
        want = percentileofscore(train, r.value, kind="mean")
        if 2 < want < 98:  # inside the stored 1st-99th percentile range
            assert abs(r.percentile - want) < 2.5, (r.feature, r.percentile, want)
            checked += 1
    assert checked >= 10
    assert set(p.features["level"]) <= {"low", "typical", "high", ""}
    assert (p.features["compartment"] != "").all()


def test_survival_risk_group_and_shap_agree_with_scoring(served, profiles):
    from tmeprog.tracking.pyfunc import model_input

    c = load_cohort("gse4335")
    ids = ["shaz133", "shbg128"]
    pred = served.scorer.predict(model_input(c.expression.loc[ids], c.clinical.loc[ids]))
    for p in profiles:
        assert p.risk == pytest.approx(float(pred.loc[p.sample, "risk_score"]))
        assert p.risk_group == pred.loc[p.sample, "risk_group"]
        s5 = p.survival.set_index("month")["survival"].loc[60.0]
        assert s5 == pytest.approx(float(pred.loc[p.sample, "survival_prob_5y"]), abs=1e-9)
        assert np.all(np.diff(p.survival["survival"]) <= 1e-12)  # a survival curve
        # SHAP: base + contributions = the model's output for this patient
        assert p.shap_base + p.shap.sum() == pytest.approx(p.risk, rel=1e-6, abs=1e-6)
        assert len(p.group_curve) and "pooled" in p.endpoint
        assert "er" in p.subtype


def test_cli_writes_html_png_and_pdf(store, tmp_path):
    base = ["profile", M, "gse4335", "-s", "shaz133", "--tracking-uri", store]
    r = runner.invoke(app, base + ["-o", str(tmp_path / "p.html")])
    assert r.exit_code == 0, r.output
    text = (tmp_path / "p.html").read_text()
    assert text.startswith("<!DOCTYPE html>") and "Patient shaz133" in text
    assert "data:image/png;base64," in text and "Risk group" in text
    r = runner.invoke(app, base + ["-s", "shbg128", "-o", str(tmp_path / "p.png")])
    assert r.exit_code == 0, r.output
    pngs = sorted(p.name for p in tmp_path.glob("p_*.png"))
    assert pngs == ["p_shaz133.png", "p_shbg128.png"]
    assert (tmp_path / "p_shaz133.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = runner.invoke(app, base + ["-s", "shbg128", "-o", str(tmp_path / "p.pdf")])
    assert r.exit_code == 0, r.output
    pdf = (tmp_path / "p.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(
        b"/Type /Page ") + pdf.count(b"/Type /Page>") >= 2 or b"/Count 2" in pdf


def test_bad_input_is_one_error_and_writes_nothing(store, tmp_path, served):
    out = tmp_path / "p.html"
    r = runner.invoke(app, ["profile", M, "gse4335", "-s", "SHAZ133", "-o", str(out),
                            "--tracking-uri", store])
    assert r.exit_code == 2 and "shaz133" in r.output and not out.exists()
    r = runner.invoke(app, ["profile", M, "gse4335", "-s", "shaz133", "-o",
                            str(tmp_path / "p.docx"), "--tracking-uri", store])
    assert r.exit_code == 2 and ".html, .png or .pdf" in r.output
    out.write_text("mine")
    r = runner.invoke(app, ["profile", M, "gse4335", "-s", "shaz133", "-o", str(out),
                            "--tracking-uri", store])
    assert r.exit_code == 2 and "exists" in r.output and out.read_text() == "mine"

    from dataclasses import replace

    from tmeprog.errors import InputError
    from tmeprog.report.profile import build_profiles

    old = replace(served.scorer, feature_reference=None)
    with pytest.raises(InputError, match="train it again"):
        build_profiles(old, load_cohort("gse4335"), ["shaz133"])
    c = load_cohort("gse4335")
    thin = replace(c, expression=c.expression.iloc[:, :500])
    with pytest.raises(InputError, match="of the model's"):
        build_profiles(served.scorer, thin, ["shaz133"])


@needs_chromium
def test_profile_page_renders_in_headless_chromium(store, tmp_path):
    import matplotlib.pyplot as plt

    out = tmp_path / "p.html"
    r = runner.invoke(app, ["profile", M, "gse4335", "-s", "shaz133", "-o", str(out),
                            "--tracking-uri", store])
    assert r.exit_code == 0, r.output
    page = dom(out.as_uri(), tmp_path / "chromium")
    assert "Patient shaz133" in page and "Risk group" in page and "<img" in page
    img = plt.imread(screenshot(out.as_uri(), tmp_path / "shot.png", tmp_path / "chromium"))
    assert img.shape[0] > 500 and img.std() > 0.05  # a page with content, not blank
