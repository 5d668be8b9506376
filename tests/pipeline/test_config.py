"""Pipeline config: every key typed and ranged, unknown keys refused, `[section] key` named."""

from pathlib import Path

import pytest

from tmeprog.errors import InputError
from tmeprog.pipeline.config import load_config, parse_config

PIPELINES = sorted(Path(__file__).resolve().parents[2].joinpath("pipelines").glob("*.toml"))

BAD = [
    ({"validation": {"loco": "false"}}, "[validation] loco", "true or false"),
    ({"data": {"cohorts": "gse1992"}}, "[data] cohorts", "list"),
    ({"data": {"cohorts": ["gse1992", 3]}}, "[data] cohorts[1]", "string"),
    ({"validation": {"cv_folds": "five"}}, "[validation] cv_folds", "whole number"),
    ({"validation": {"cv_folds": 1}}, "[validation] cv_folds", ">= 2"),
    ({"validation": {"cv_repeats": 0}}, "[validation] cv_repeats", ">= 1"),
    ({"validation": {"bootstrap": 20.5}}, "[validation] bootstrap", "whole number"),
    ({"validation": {"bootstrap": -1}}, "[validation] bootstrap", ">= 0"),
    ({"validation": {"bootstrap": True}}, "[validation] bootstrap", "whole number"),
    ({"task": {"seed": -1}}, "[task] seed", ">= 0"),
    ({"task": {"seed": 2**40}}, "[task] seed", "<="),
    ({"task": {"seed": "1"}}, "[task] seed", "whole number"),
    ({"validation": {"n_jobs": 0}}, "[validation] n_jobs", ">= 1"),
    ({"validation": {"horizons_months": [36, "x"]}}, "[validation] horizons_months[1]",
     "number"),
    ({"validation": {"horizons_months": [0]}}, "[validation] horizons_months[0]", "> 0"),
    ({"validation": {"per_cohort_standardise": 1}}, "[validation] per_cohort_standardise",
     "true or false"),
    ({"features": {"coverage_threshold": 2}}, "[features] coverage_threshold", "<= 1"),
    ({"features": {"coverage_threshold": "0.5"}}, "[features] coverage_threshold", "number"),
    ({"features": {"arrays": "yes"}}, "[features] arrays", "true or false"),
    ({"features": {"method": 1}}, "[features] method", "string"),
    ({"models": {"families": "coxnet"}}, "[models] families", "list"),
    ({"task": {"kind": "survival"}}, "[task] kind", "prognosis"),
    ({"validation": {"cvfolds": 5}}, "[validation] cvfolds", "unknown key"),
    ({"selection": {"metric": "accuracy"}}, "[selection] metric", "harrell_c"),
    ({"task": "prognosis"}, "[task]", "table"),
    ({"train": {}}, "unknown sections", "allowed"),
]


@pytest.mark.parametrize(("raw", "where", "what"), BAD)
def test_wrong_values_name_section_and_key(raw, where, what):
    with pytest.raises(InputError) as info:
        parse_config(raw, "p.toml")
    msg = str(info.value)
    assert msg.startswith("p.toml")
    assert where in msg and what in msg, msg


def test_defaults_and_types_are_kept():
    cfg = parse_config({"validation": {"horizons_months": [36, 60.5]}, "task": {"seed": 0}})
    assert cfg.validation.horizons_months == [36, 60.5]
    assert cfg.task.seed == 0 and cfg.task.experiment == "tmeprog-prognosis"
    assert cfg.validation.loco is True and cfg.data.cohorts == ["gse1992", "gse4335", "gse3143",
                                                          "vdv"]


@pytest.mark.parametrize("path", PIPELINES, ids=lambda p: p.name)
def test_shipped_pipelines_validate(path):
    assert load_config(path).source == str(path)


@pytest.mark.parametrize("encoding", ["utf-16", "latin-1"])
def test_config_in_other_encodings_is_read(tmp_path, encoding):
    p = tmp_path / "c.toml"
    p.write_text('# Müller\n[task]\nexperiment = "é"\n', encoding=encoding)
    assert load_config(p).task.experiment == "é"


def test_binary_config_is_refused(tmp_path):
    p = tmp_path / "c.toml"
    p.write_bytes(b"\x00\x01\x02[task]")
    with pytest.raises(InputError, match="not a text file"):
        load_config(p)


def test_per_cohort_standardise_is_a_prognosis_option():
    assert parse_config({"validation": {"per_cohort_standardise": True}}
                        ).validation.per_cohort_standardise
    with pytest.raises(InputError, match="per_cohort_standardise applies to prognosis"):
        parse_config({"task": {"kind": "response"},
                      "validation": {"per_cohort_standardise": True}})
