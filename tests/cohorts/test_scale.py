import numpy as np
import pandas as pd
import pytest

from tmeprog.cohorts.bundled import BUNDLED, EXPR_PREFIX, load_survset_table
from tmeprog.cohorts.scale import detect_scale, normalise_scale_name, resolve_scale, to_log2
from tmeprog.errors import InputError


@pytest.fixture(scope="module")
def counts():
    rng = np.random.default_rng(7)
    mu = np.exp(rng.normal(3.0, 2.0, size=3000))
    depth = rng.uniform(0.5, 2.0, size=(10, 1))
    return rng.poisson(mu * depth).astype(float)  # samples x genes


def test_counts(counts):
    assert detect_scale(counts).scale == "counts"


def test_tpm_and_fpkm(counts):
    rng = np.random.default_rng(8)
    tpm = counts / counts.sum(axis=1, keepdims=True) * 1e6
    r = detect_scale(pd.DataFrame(tpm))
    assert r.scale == "tpm" and "1e6" in r.reason
    fpkm = tpm / rng.uniform(0.3, 5.0, size=tpm.shape[1])
    assert detect_scale(fpkm).scale == "linear"


def test_log2_and_ratio(counts):
    tpm = counts / counts.sum(axis=1, keepdims=True) * 1e6
    assert detect_scale(np.log2(tpm + 1)).scale == "log2"
    logged = np.log2(tpm + 1)
    centred = logged - logged.mean(axis=0)
    assert detect_scale(centred).scale == "log2_ratio"


def test_ambiguous():
    rng = np.random.default_rng(9)
    assert detect_scale(rng.uniform(0, 4, size=(5, 500))).scale == "ambiguous"  # log10-like
    assert detect_scale(rng.integers(0, 10, size=(5, 500))).scale == "ambiguous"
    assert detect_scale(np.full((2, 3), np.nan)).scale == "ambiguous"
    with pytest.raises(InputError, match="scale="):
        resolve_scale(rng.uniform(0, 4, size=(5, 500)))


@pytest.mark.parametrize("name", ["gse1992", "gse4335", "gse3143", "vdv"])
def test_bundled_cohorts_match_their_declared_scale(name):
    raw = load_survset_table(BUNDLED[name].survset_name)
    prefix = BUNDLED[name].expr_prefix
    assert prefix == EXPR_PREFIX or name == "vdv"
    expr = raw[[c for c in raw.columns if c.startswith(prefix)]].astype(float)
    assert detect_scale(expr).scale == BUNDLED[name].meta.scale


def test_to_log2_linear_and_counts(counts):
    df = pd.DataFrame(counts)
    out, note = to_log2(df, "counts")
    cpm = counts / counts.sum(axis=1)[:, None] * 1e6
    np.testing.assert_allclose(out.to_numpy(), np.log2(cpm + 1), rtol=1e-12)
    assert "CPM" in note
    out, note = to_log2(df, "fpkm")
    np.testing.assert_allclose(out.to_numpy(), np.log1p(counts) / np.log(2), rtol=1e-12)
    assert "log2(x + 1)" in note
    same, note = to_log2(df, "log2")
    assert same is df and "as they are" in note


def test_stated_scale_is_checked():
    neg = np.array([[-1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(InputError, match="negative"):
        resolve_scale(neg, "tpm")
    r = resolve_scale(neg, "log2_ratio")
    assert r.scale == "log2_ratio" and "stated" in r.reason
    with pytest.raises(InputError, match="unknown expression scale"):
        normalise_scale_name("zscore-ish")
    assert normalise_scale_name("FPKM") == "linear"
