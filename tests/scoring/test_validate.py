"""Pieces of external validation: model kind, endpoints, Brier, calibration-in-the-large."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from tmeprog.cohorts import load_cohort
from tmeprog.errors import InputError
from tmeprog.scoring.validate import (
    as_held_out,
    brier_at,
    calibration_in_the_large,
    check_prognosis,
    choose_endpoint,
    with_absent_covariates,
)
from tmeprog.serving.scorer import Scorer


def _y(time, event):
    y = np.empty(len(time), dtype=[("event", bool), ("time", float)])
    y["event"], y["time"] = event, time
    return y


def _scorer(task="prognosis", endpoints=None, clinical=("age", "er")):
    return Scorer(task=task, model=None, design_columns=list(clinical),
                  clinical_columns=list(clinical), info={"endpoints": endpoints or {}})


def test_response_model_is_refused():
    with pytest.raises(InputError, match=r"response model .*prognosis"):
        check_prognosis(_scorer("response"), "models:/r@champion")
    check_prognosis(_scorer(), "models:/p@champion")


def test_endpoint_choice_and_errors():
    c = load_cohort("gse4335")
    assert choose_endpoint(c, None, _scorer(endpoints={"gse1992": "rfs"})) == "os"
    assert choose_endpoint(c, "os", _scorer()) == "os"
    with pytest.raises(InputError, match=r"no survival endpoint 'rfs'.*\['os'\].*--endpoint"):
        choose_endpoint(c, "rfs", _scorer())
    bare = replace(c, endpoint_info={}, endpoints=c.endpoints.iloc[:, :0])
    with pytest.raises(InputError, match="records no survival outcome.*os_time"):
        choose_endpoint(bare, None, _scorer())


def test_absent_covariates_become_missing_columns():
    clin = pd.DataFrame({"er": [1, 0]}, index=["a", "b"])
    sc = Scorer(task="prognosis", model=None, design_columns=["age", "size", "er"],
                clinical_columns=["age", "size", "er"])
    out, absent = with_absent_covariates(sc, clin.copy())
    assert absent == ["age", "size"]
    assert out["age"].isna().all() and out["t_stage"].isna().all()
    assert list(out["er"]) == [1, 0]


def test_held_out_scorer_imputes_every_feature_but_keeps_the_original():
    sc = Scorer(task="prognosis", model=None, design_columns=["til_density", "age"],
                clinical_columns=["age"])
    held = as_held_out(sc)
    assert held.imputable == ["til_density"] and sc.imputable == []


def test_brier_without_censoring_is_the_mean_squared_error():
    rng = np.random.default_rng(0)
    t = rng.uniform(1, 100, 200)
    y = _y(t, np.ones(200, bool))
    s = rng.uniform(0, 1, 200)
    h = 40.0
    want = np.mean(((t > h).astype(float) - s) ** 2)
    assert brier_at(y, s, h) == pytest.approx(want, rel=1e-9)
    assert np.isnan(brier_at(y, s, 1000.0))  # beyond follow-up


def test_calibration_in_the_large():
    t = np.arange(1, 101, dtype=float)
    y = _y(t, np.ones(100, bool))
    h = 30.0  # 30 of 100 died by 30 months: observed risk 0.3
    assert calibration_in_the_large(y, np.full(100, 0.7), h) == pytest.approx(0.0, abs=1e-12)
    assert calibration_in_the_large(y, np.full(100, 0.9), h) == pytest.approx(0.2)
