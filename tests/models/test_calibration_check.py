"""Calibration slopes read against [0.5, 2] (held-out risk scale transfers or not)."""

import numpy as np
import pandas as pd
import pytest

from tmeprog.models.calibration_check import (
    calibration_flags,
    champion_calibration,
    slope_message,
)


def _results():
    rows = []
    for model, fs, val, v in [("coxnet", "clinical+tme", "loco", 1.2),
                              ("coxnet", "clinical+tme", "cv", 0.9),
                              ("rsf", "clinical+tme", "loco", 2.6),
                              ("rsf", "clinical+tme", "cv", 1.1),
                              ("xgb_cox", "tme", "loco", 0.3),
                              ("xgb_cox", "tme", "loco:gse1992", np.nan)]:
        rows.append(dict(model=model, feature_set=fs, validation=val,
                         metric="calibration_slope_5y", value=v, ci_low=v - 0.2,
                         ci_high=v + 0.2))
        rows.append(dict(model=model, feature_set=fs, validation=val, metric="harrell_c",
                         value=0.7, ci_low=0.6, ci_high=0.8))
    return pd.DataFrame(rows)


def test_flags_follow_the_range_and_skip_other_metrics():
    f = calibration_flags(_results())
    assert len(f) == 6 and set(f["horizon"]) == {"5y"}
    got = dict(zip(zip(f["model"], f["validation"], strict=True), f["flagged"], strict=True))
    assert got[("rsf", "loco")] and got[("xgb_cox", "loco")]
    assert not got[("coxnet", "loco")] and not got[("rsf", "cv")]
    assert not got[("xgb_cox", "loco:gse1992")]  # not estimable is not flagged
    # the range is closed: exactly 0.5 and 2 are calibrated
    edge = calibration_flags(_results().assign(value=lambda d: np.where(
        d["metric"] == "harrell_c", 0.7, [0.5, 2.0] * 6)))
    assert not edge["flagged"].any()
    with pytest.raises(ValueError, match="must contain 1"):
        calibration_flags(_results(), (1.5, 3.0))


def test_champion_reads_its_loco_slope_first():
    f = calibration_flags(_results())
    rsf = champion_calibration(f, {"model": "rsf", "feature_set": "clinical+tme"})
    assert rsf["validation"] == "loco" and rsf["flagged"] and rsf["slope"] == pytest.approx(2.6)
    assert "2.60" in rsf["message"] and "relative" in rsf["message"]
    cox = champion_calibration(f, {"model": "coxnet", "feature_set": "clinical+tme"})
    assert not cox["flagged"] and cox["message"] == ""
    cv_only = calibration_flags(_results()[_results()["validation"] != "loco"])
    r = champion_calibration(cv_only, {"model": "rsf", "feature_set": "clinical+tme"})
    assert r["validation"] == "cv" and not r["flagged"]


def test_slope_message():
    assert slope_message(1.0, "x") == "" and slope_message(float("nan"), "x") == ""
    assert "0.20" in slope_message(0.2, "on gse4335 at 5y")
    assert "gse4335" in slope_message(3.0, "on gse4335 at 5y")
