"""The model-family registry: the defaults the pipeline used before, overrides from the TOML."""

from __future__ import annotations

import json

import pytest
from sklearn.base import clone
from typer.testing import CliRunner

from tmeprog.cli import app
from tmeprog.errors import InputError
from tmeprog.models.families import FAMILIES, build_models
from tmeprog.pipeline.config import parse_config


def test_registry_builds_every_family_with_its_grid():
    models = build_models(7)
    assert set(models) == {"coxnet", "rsf", "xgb_cox", "xgb_aft"}
    est, grid = models["rsf"]
    assert est.get_params()["random_state"] == 7 and est.get_params()["n_estimators"] == 100
    assert grid == {"max_depth": [3, None], "min_samples_leaf": [5, 15]}
    assert clone(est).get_params() == est.get_params()
    quick = build_models(7, quick=True)
    assert quick["rsf"][0].get_params()["n_estimators"] == 30


def test_overrides_replace_defaults_and_are_checked():
    models = build_models(0, params={"rsf": {"n_estimators": 12}},
                          grids={"coxnet": {"alpha": [0.2]}, "xgb_cox": {}})
    assert models["rsf"][0].get_params()["n_estimators"] == 12
    assert models["coxnet"][1] == {"alpha": [0.2]} and models["xgb_cox"][1] == {}
    with pytest.raises(InputError, match="unknown hyperparameters"):
        build_models(0, params={"coxnet": {"penalty": 1}})
    with pytest.raises(InputError, match="unknown model families"):
        build_models(0, grids={"svm": {"C": [1]}})
    with pytest.raises(InputError, match="non-empty list"):
        build_models(0, grids={"rsf": {"max_depth": []}})


def test_config_sets_hyperparameters_and_grids():
    cfg = parse_config({"models": {"params": {"rsf": {"n_estimators": 50}},
                                   "grids": {"coxnet": {"alpha": [0.05, 0.1]}}}})
    assert cfg.models.params == {"rsf": {"n_estimators": 50}}
    with pytest.raises(InputError, match=r"\[models.params\] rsf: unknown hyperparameters"):
        parse_config({"models": {"params": {"rsf": {"trees": 5}}}})
    with pytest.raises(InputError, match="apply to prognosis"):
        parse_config({"task": {"kind": "response"},
                      "models": {"grids": {"coxnet": {"alpha": [0.1]}}}})


def test_models_command_lists_families():
    r = CliRunner().invoke(app, ["models", "--json"])
    assert r.exit_code == 0
    recs = json.loads(r.stdout)
    assert [x["family"] for x in recs] == list(FAMILIES)
    assert recs[0]["grid"] == {"l1_ratio": [0.5, 1.0], "alpha": [0.01, 0.03, 0.1]}
