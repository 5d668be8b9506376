"""The method registry: one list of methods, each loadable and cited."""

from __future__ import annotations

import re

import pytest

from tmeprog.errors import InputError
from tmeprog.features import scoring
from tmeprog.features.registry import KINDS, get_method, method_names, methods
from tmeprog.pipeline import config


def test_every_method_loads_and_cites_a_doi():
    ms = methods()
    assert len({m.name for m in ms}) == len(ms)
    for m in ms:
        assert m.kind in KINDS
        assert callable(m.load())
        assert re.fullmatch(r"10\.\d{4,9}/\S+", m.reference.doi), m.name
        assert m.reference.pmid and m.summary
        assert set(m.to_record()) >= {"name", "kind", "cohort_dependent", "reference"}


def test_registry_is_the_list_the_code_uses():
    assert scoring.METHODS == method_names("scoring") == ("ssgsea", "singscore", "zscore",
                                                         "gsva")
    assert method_names("deconvolution") == ("quantiseq",)
    assert method_names("activity") == ("progeny",)
    config.parse_config({"features": {"method": "gsva", "deconvolution": "quantiseq",
                                      "pathways": "progeny"}})
    with pytest.raises(InputError, match="use one of"):
        config.parse_config({"features": {"pathways": "hallmark"}})


def test_cohort_dependence_is_stated():
    dep = {m.name: m.cohort_dependent for m in methods()}
    assert dep == {"ssgsea": False, "singscore": False, "zscore": True, "gsva": True,
                   "quantiseq": False, "progeny": True}


def test_unknown_names_are_clear_errors():
    with pytest.raises(InputError, match="choose one of quantiseq"):
        get_method("epic", "deconvolution")
    with pytest.raises(InputError, match="unknown method kind"):
        methods("plage")


def test_method_checks_leave_the_task_settings_alone():
    cfg = config.parse_config({"task": {"kind": "response"},
                               "features": {"deconvolution": "quantiseq"}})
    assert cfg.selection.metric == "auroc" and cfg.selection.validation == "cv"
