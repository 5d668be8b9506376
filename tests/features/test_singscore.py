"""singscore kernel against a straightforward per-sample reimplementation of R singscore's
``simpleScore`` (ranks by ``rank(ties.method = "min")``, ``mad``), and hand-checked cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata

from tmeprog.features import EmptySignatureWarning, score_signatures
from tmeprog.features.singscore import DirectedSet, singscore_chunk


def r_mad(v: np.ndarray) -> float:
    return 1.4826 * float(np.median(np.abs(v - np.median(v))))


def simple_score(x, up, down=(), center=True, known_direction=True):
    """One sample, following singscore's R code line by line (rankAndScoring.R)."""
    n = len(x)
    ranks = rankdata(x, method="min")
    offset = -0.5 if center else 0.0
    if not known_direction:
        offset = 0.0
        ranks = np.abs(ranks - np.ceil(np.median(ranks)))

    def bounds(k, m):
        return (k + 1) / 2, (2 * m - k + 1) / 2

    lo, hi = bounds(len(up) // 2, -(-n // 2)) if not known_direction else bounds(len(up), n)
    up_r = ranks[list(up)]
    score = (up_r.mean() - lo) / (hi - lo) + offset
    disp = r_mad(up_r)
    if len(down):
        dlo, dhi = bounds(len(down), n)
        dn_r = ranks[list(down)]
        score += 1 - (dn_r.mean() - dlo) / (dhi - dlo) + offset
        disp += r_mad(dn_r)
    return score, disp


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(11)
    x = np.round(rng.normal(size=(8, 400)), 1)  # ties
    x[0] = rng.normal(size=400)
    up = [rng.choice(400, size=s, replace=False) for s in (1, 7, 50)]
    down = [rng.choice(np.setdiff1d(np.arange(400), u), size=s, replace=False)
            for u, s in zip(up, (3, 20, 50), strict=True)]
    return x, up, down


def test_up_only_matches_reference(data):
    x, up, _ = data
    sets = [DirectedSet(u, np.array([], dtype=np.int64)) for u in up]
    for center in (True, False):
        got, disp = singscore_chunk(x, sets, center=center, dispersion=True)
        want = np.array([[simple_score(row, u, center=center) for u in up] for row in x])
        np.testing.assert_allclose(got, want[..., 0], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(disp, want[..., 1], rtol=1e-12)


def test_up_down_matches_reference(data):
    x, up, down = data
    sets = [DirectedSet(u, d) for u, d in zip(up, down, strict=True)]
    got, disp = singscore_chunk(x, sets, dispersion=True)
    want = np.array([[simple_score(row, u, d) for u, d in zip(up, down, strict=True)]
                     for row in x])
    np.testing.assert_allclose(got, want[..., 0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(disp, want[..., 1], rtol=1e-12)
    assert np.all(np.abs(got) <= 1.0)


def test_undirected_matches_reference(data):
    x, up, _ = data
    sets = [DirectedSet(u, np.array([], dtype=np.int64)) for u in up]
    got = singscore_chunk(x, sets, known_direction=False)
    want = np.array([[simple_score(row, u, known_direction=False)[0] for u in up] for row in x])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_hand_checked_values():
    # n = 4, x = (4, 3, 2, 1): top gene mean rank 4 on bounds [1, 4] -> 1, centred 0.5.
    x = np.array([[4.0, 3.0, 2.0, 1.0]])
    e = np.array([], dtype=np.int64)
    got = singscore_chunk(x, [DirectedSet(np.array([0]), e), DirectedSet(np.array([3]), e),
                              DirectedSet(np.array([0]), np.array([3]))])
    np.testing.assert_allclose(got[0], [0.5, -0.5, 1.0])
    # ties take the minimum rank: x = (1, 2, 2, 0), gene 1 has rank 3 -> (3 - 1) / 3 - 0.5.
    y = np.array([[1.0, 2.0, 2.0, 0.0]])
    assert singscore_chunk(y, [DirectedSet(np.array([1]), e)])[0, 0] == pytest.approx(1 / 6)


def test_direction_from_weights_and_dispersion_frames():
    rng = np.random.default_rng(3)
    genes = [f"G{i}" for i in range(300)]
    expr = pd.DataFrame(rng.normal(size=(5, 300)), columns=genes)
    sig = {"ud": {"G1": 1, "G2": 1, "G3": -1, "G4": -1}, "u": ["G1", "G2"]}
    scores, disp = score_signatures(expr, sig, "singscore", min_genes=100, dispersion=True)
    x = expr.to_numpy()
    for i in range(5):
        s, d = simple_score(x[i], [1, 2], [3, 4])
        assert scores.iloc[i]["ud"] == pytest.approx(s, rel=1e-12)
        assert disp.iloc[i]["ud"] == pytest.approx(d, rel=1e-12)
        assert scores.iloc[i]["u"] == pytest.approx(simple_score(x[i], [1, 2])[0], rel=1e-12)
    # a down-only signature scores 0.5 - down, i.e. minus the same genes' up score
    down_only = score_signatures(expr, {"d": {"G3": -1, "G4": -1}}, "singscore", min_genes=100)
    up_only = score_signatures(expr, {"d": ["G3", "G4"]}, "singscore", min_genes=100)
    np.testing.assert_allclose(down_only.to_numpy(), -up_only.to_numpy(), atol=1e-15)


def test_up_down_signature_missing_one_direction_is_empty():
    rng = np.random.default_rng(4)
    expr = pd.DataFrame(rng.normal(size=(3, 200)), columns=[f"G{i}" for i in range(200)])
    with pytest.warns(EmptySignatureWarning, match="half"):
        out = score_signatures(expr, {"half": {"G1": 1, "NOPE": -1}, "ok": ["G1"]},
                               "singscore", min_genes=100)
    assert out["half"].isna().all() and out["ok"].notna().all()
    assert out.attrs["empty_signatures"] == ["half"] and out.attrs["n_genes_used"]["half"] == 1
