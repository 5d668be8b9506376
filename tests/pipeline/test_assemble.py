import numpy as np
import pytest

from tmeprog.cohorts import load_cohort
from tmeprog.errors import InputError
from tmeprog.pipeline.assemble import MixedEndpointsWarning, assemble, check_endpoints
from tmeprog.pipeline.config import load_config, parse_config


@pytest.fixture(scope="module")
def cohorts():
    return [load_cohort(n) for n in ("gse1992", "gse4335")]


def test_mixed_endpoints_refused_without_pooling(cohorts):
    with pytest.raises(InputError) as exc:
        assemble(cohorts)
    msg = str(exc.value)
    assert "gse1992: rfs" in msg and "gse4335: os" in msg
    assert "pool_endpoints = true" in msg and "[data] endpoint" in msg


def test_pooled_endpoints_warn_and_carry_strata(cohorts):
    with pytest.warns(MixedEndpointsWarning, match="endpoints are mixed"):
        ts = assemble(cohorts, pool_endpoints=True)
    assert ts.mixed_endpoints and ts.pooled
    assert ts.endpoints == {"gse1992": "rfs", "gse4335": "os"}
    n1 = cohorts[0].n_samples
    assert set(ts.strata[:n1]) == {"gse1992:rfs"} and set(ts.strata[n1:]) == {"gse4335:os"}
    assert (ts.sample_endpoints[n1:] == "os").all()


def test_one_endpoint_needs_no_pooling(recwarn):
    ts = assemble([load_cohort("gse4335"), load_cohort("gse3143")])
    assert not ts.mixed_endpoints
    assert not [w for w in recwarn if issubclass(w.category, MixedEndpointsWarning)]
    check_endpoints({"a": "os", "b": "os"}, pool=False)  # nothing to refuse


def test_named_endpoint_a_cohort_lacks_is_one_error(cohorts):
    with pytest.raises(InputError, match="no survival endpoint 'os'"):
        assemble(cohorts, endpoint="os")


def test_config_pooling_keys():
    cfg = load_config(None)
    assert cfg.data.pool_endpoints is True  # the default pipeline states it pools
    assert cfg.data.cohorts == ["gse1992", "gse4335", "gse3143", "vdv"]
    assert "clinical+tme+subtype" in cfg.models.feature_sets
    own = parse_config({"data": {"cohorts": ["gse1992", "gse4335"]}})
    assert own.data.pool_endpoints is False  # a config of one's own must say so
    with pytest.raises(InputError, match=r"\[data\] pool_endpoints: expected true or false"):
        parse_config({"data": {"pool_endpoints": "yes"}})
    with pytest.raises(InputError, match="not an endpoint"):
        parse_config({"data": {"endpoint": "pooled"}})
    with pytest.raises(InputError, match="not response feature sets"):
        parse_config({"task": {"kind": "response"}, "models": {"feature_sets": ["tme+subtype"]}})


def test_default_pipeline_file_matches_defaults():
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "pipelines" / "prognosis_bundled.toml"
    cfg, default = load_config(path), load_config(None)
    assert cfg.data == default.data
    assert cfg.models.feature_sets == default.models.feature_sets
    assert np.isclose(cfg.features.coverage_threshold, default.features.coverage_threshold)
