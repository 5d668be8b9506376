"""The co-expression statistic against a direct computation, and its directional handling."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from tmeprog.errors import InputError
from tmeprog.signatures import Signature
from tmeprog.signatures.coherence import coexpression, mean_pairwise_correlation, standardise


def _direct_mean_corr(x, cols, signs):
    r = spearmanr(x[:, cols]).statistic
    k = len(cols)
    d = np.asarray(signs, float)
    return ((np.outer(d, d) * r).sum() - k) / (k * (k - 1))


def test_closed_form_matches_spearmanr():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 30))
    x[:, 5] = np.round(x[:, 5])  # ties
    z = standardise(x, method="spearman", center_samples=False)
    cols, signs = [0, 3, 5, 7, 11], [1, -1, 1, 1, -1]
    got = mean_pairwise_correlation(z, np.array([cols]), np.array(signs, float))[0]
    assert got == pytest.approx(_direct_mean_corr(x, cols, signs), abs=1e-12)
    zp = standardise(x, method="pearson", center_samples=False)
    r = np.corrcoef(x[:, cols], rowvar=False)
    want = (r.sum() - len(cols)) / (len(cols) * (len(cols) - 1))
    assert mean_pairwise_correlation(zp, np.array([cols]))[0] == pytest.approx(want, abs=1e-12)


def _synthetic(rng, n=80, p=400):
    f = rng.normal(size=n)
    x = rng.normal(size=(n, p))
    x[:, :6] += 2 * f[:, None]   # up with the factor
    x[:, 6:10] -= 2 * f[:, None]  # down with the factor
    return pd.DataFrame(x, columns=[f"G{i}" for i in range(p)])


def test_directional_signature_needs_sign_correction():
    df = _synthetic(np.random.default_rng(1))
    genes = tuple(f"G{i}" for i in range(10))
    signed = Signature("signed", genes, "signalling", weights=(1.0,) * 6 + (-1.0,) * 4)
    unsigned = Signature("unsigned", genes, "signalling")
    rand = Signature("random", tuple(f"G{i}" for i in range(200, 210)), "signalling")
    res = coexpression(df, [signed, unsigned, rand], rng=np.random.default_rng(2), n_random=199)
    assert res.loc["signed", "mean_corr"] > 0.5 and res.loc["signed", "p_value"] == 0.005
    assert res.loc["unsigned", "mean_corr"] < 0.1 < res.loc["unsigned", "p_value"]
    assert res.loc["random", "p_value"] > 0.05
    assert abs(res.loc["signed", "null_mean"]) < 0.02


def test_coverage_rules_and_reproducibility():
    df = _synthetic(np.random.default_rng(3))
    half = Signature("half", ("G0", "G1", "G2", "X1", "X2", "X3"), "immune")
    few = Signature("few", ("G0", "G1", "X1"), "immune")
    args = dict(rng=np.random.default_rng(4), n_random=50)
    res = coexpression(df, [half, few], **args)
    assert res.loc["half", "tested"] and res.loc["half", "n_present"] == 3
    assert not res.loc["few", "tested"] and np.isnan(res.loc["few", "p_value"])
    again = coexpression(df, [half, few], rng=np.random.default_rng(4), n_random=50)
    pd.testing.assert_frame_equal(res, again)


def test_published_alias_is_used_when_current_symbol_absent():
    df = _synthetic(np.random.default_rng(5)).rename(columns={"G0": "OLDNAME"})
    s = Signature("s", ("NEW", "G1", "G2"), "immune", renamed=(("OLDNAME", "NEW"),))
    res = coexpression(df, [s], rng=np.random.default_rng(6), n_random=20)
    assert res.loc["s", "n_present"] == 3


def test_input_errors():
    df = _synthetic(np.random.default_rng(7))
    s = Signature("s", ("G0", "G1", "G2"), "immune")
    with pytest.raises(InputError, match="NaN"):
        coexpression(df.assign(G0=np.nan), [s], rng=np.random.default_rng(0))
    with pytest.raises(InputError, match="at least 4 samples"):
        coexpression(df.iloc[:3], [s], rng=np.random.default_rng(0))
