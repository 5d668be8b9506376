"""ssGSEA kernel: exact parity with R GSVA (committed fixture), an independent random-walk
implementation, and hand-checkable cases (ties included)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata

from tmeprog.features import EmptySignatureWarning, score_signatures
from tmeprog.features.ssgsea import ssgsea_chunk

GSVA = Path(__file__).resolve().parents[1] / "fixtures" / "gsva"


def read_fixture(scores: str = "gsva_ssgsea_scores.tsv"
                 ) -> tuple[pd.DataFrame, dict[str, list[str]], pd.DataFrame]:
    """Expression (samples x genes), gene sets, and R GSVA scores (samples x sets) of the
    fixture written by scripts/gsva_fixture.R (``scores``: its ssGSEA or GSVA output)."""
    # pyarrow parses decimals with correct rounding, as R does; ties depend on the last bit.
    expr = pd.read_csv(GSVA / "gse3143_subset.tsv.gz", sep="\t", index_col=0,
                       engine="pyarrow").T
    sets = {}
    for line in (GSVA / "gene_sets.gmt").read_text().splitlines():
        name, _desc, *genes = line.split("\t")
        sets[name] = genes
    r = pd.read_csv(GSVA / scores, sep="\t", index_col=0, engine="pyarrow").T
    return expr, sets, r


def walk_es(x: np.ndarray, members: np.ndarray, alpha: float = 0.25) -> float:
    """GSVA's ``.rndWalk`` written out: the sum of the running-sum difference over positions.

    Ranks are increasing average ranks truncated to integers; genes are ordered by that rank,
    decreasing, ties in original order (R's stable ``order``).
    """
    r = np.trunc(rankdata(x, method="average"))
    order = np.argsort(-r, kind="stable")
    inside = np.isin(order, members)
    step_in = np.where(inside, np.abs(r[order]) ** alpha, 0.0)
    cdf_in = np.cumsum(step_in) / step_in.sum()
    cdf_out = np.cumsum(~inside) / (~inside).sum()
    return float(np.sum(cdf_in - cdf_out))


def test_matches_r_gsva_on_gse3143_subset_with_ties():
    expr, sets, r = read_fixture()
    assert expr.shape == (158, 2000)
    ours = score_signatures(expr, sets, "ssgsea")
    assert list(ours.columns) == list(r.columns) and ours.index.equals(r.index)
    rel = np.abs(ours.to_numpy() - r.to_numpy()) / np.abs(r.to_numpy())
    assert rel.max() <= 1e-6
    assert rel.max() <= 1e-10  # in practice ~1e-13


def test_fixture_is_sensitive_to_gsva_tie_rules():
    # The fixture has many tied values: ignoring either tie rule moves scores far beyond 1e-6.
    expr, sets, r = read_fixture()
    x = expr.iloc[0].to_numpy()
    genes = list(expr.columns)
    members = np.array([genes.index(g) for g in sets["T_cells"] if g in genes])
    assert (np.diff(np.sort(x)) == 0).sum() > 500
    assert walk_es(x, members) == pytest.approx(r.iloc[0]["T_cells"], rel=1e-10)
    n, k = len(x), len(members)
    avg = rankdata(x, method="average")  # untruncated average ranks
    pos = np.empty(n, dtype=int)
    pos[np.argsort(-x, kind="stable")] = np.arange(n)
    w, d = avg[members] ** 0.25, n - pos[members]
    untruncated = (w * d).sum() / w.sum() - (n * (n + 1) / 2 - d.sum()) / (n - k)
    assert abs(untruncated / r.iloc[0]["T_cells"] - 1) > 1e-6


def test_matches_random_walk_with_ties_and_alphas():
    rng = np.random.default_rng(7)
    x = np.round(rng.normal(size=(6, 300)), 1)  # heavy ties
    x[0] = np.round(x[0], 0)
    x[1] = rng.normal(size=300)  # no ties
    sets = [rng.choice(300, size=s, replace=False) for s in (1, 5, 40, 150)]
    for alpha in (0.25, 1.0, 0.0):
        got = ssgsea_chunk(x, sets, alpha=alpha)
        want = np.array([[walk_es(row, s, alpha) for s in sets] for row in x])
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-9)


def test_near_ties_and_signed_zero():
    # Values that differ only in their last bits must not be taken as ties; -0.0 == 0.0.
    base = np.array([1.0, 1.0 + 2**-52, 1.0 + 2**-51, 0.0, -0.0, 2.0, 1.0, 0.0])
    x = np.vstack([base, base[::-1]])
    sets = [np.array([0, 6]), np.array([1]), np.array([4]), np.array([3, 4])]
    want = np.array([[walk_es(row, s) for s in sets] for row in x])
    np.testing.assert_allclose(ssgsea_chunk(x, sets), want, rtol=1e-12)


def test_hand_checked_values():
    # x = (4, 3, 2, 1), set {g0}: walk in = (1, 1, 1, 1), out = (0, 1/3, 2/3, 1): ES = 4 - 2.
    x = np.array([[4.0, 3.0, 2.0, 1.0]])
    assert ssgsea_chunk(x, [np.array([0])])[0, 0] == pytest.approx(2.0)
    # x = (1, 2, 2, 0): g1 and g2 tie; g1 comes first (column order). Set {g2} sits at
    # position 2 of 4: walk in = (0, 1, 1, 1), out = (1/3, 1/3, 2/3, 1): ES = 3 - 7/3.
    y = np.array([[1.0, 2.0, 2.0, 0.0]])
    got = ssgsea_chunk(y, [np.array([2]), np.array([1])])[0]
    np.testing.assert_allclose(got, [3 - 7 / 3, 2.0])


def test_absent_genes_ignored_and_empty_set_is_nan():
    expr, sets, _ = read_fixture()
    expr = expr.iloc[:5]
    base = score_signatures(expr, {"t": sets["T_cells"]}, "ssgsea")
    more = score_signatures(expr, {"t": sets["T_cells"] + ["NOT_A_GENE", "ALSO_NOT"]}, "ssgsea")
    np.testing.assert_array_equal(base.to_numpy(), more.to_numpy())
    present = sum(g in expr.columns for g in sets["T_cells"])
    assert more.attrs["n_genes_used"] == {"t": present}
    with pytest.warns(EmptySignatureWarning, match="none_here"):
        out = score_signatures(expr, {"t": sets["T_cells"], "none_here": ["XX1", "XX2"]},
                               "ssgsea")
    assert out["none_here"].isna().all() and out["t"].notna().all()
    assert out.attrs["empty_signatures"] == ["none_here"]
