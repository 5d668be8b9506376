"""Path-dependent TreeSHAP of converted forests (shap's TreeExplainer) against enumeration."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from sksurv.ensemble import RandomSurvivalForest

from tests.explain.conftest import survival_data
from tmeprog.explain.forest_shap import path_dependent_shap
from tmeprog.explain.tree_rsf import forest_to_tree_model, predict_tree_model, to_float32_grid


def tree_path_features(tree: dict) -> int:
    """Largest number of distinct features on one root-to-leaf path of ``tree``."""
    left, right, feat = tree["children_left"], tree["children_right"], tree["features"]
    best = 0
    stack = [(0, frozenset())]
    while stack:
        node, feats = stack.pop()
        if left[node] == -1:
            best = max(best, len(feats))
            continue
        f = feats | {int(feat[node])}
        stack.append((int(left[node]), f))
        stack.append((int(right[node]), f))
    return best


def expected_value(tree_model: dict) -> float:
    """Cover-weighted mean output of the ensemble (the path-dependent base value)."""
    total = float(tree_model.get("base_offset", 0.0))
    for tree in tree_model["trees"]:
        left = tree["children_left"]
        v = np.asarray(tree["values"], dtype=float)[:, 0]
        w = np.asarray(tree["node_sample_weight"], dtype=float)
        leaves = left == -1
        total += float(np.sum(v[leaves] * w[leaves]) / w[0])
    return total


def _cond_expectation(tree, x, S, node=0):
    """Lundberg's EXPVALUE: features in S follow x, others average children by cover."""
    left, right = tree["children_left"], tree["children_right"]
    if left[node] == -1:
        return tree["values"][node, 0]
    j = tree["features"][node]
    if j in S:
        if np.isnan(x[j]):
            child = tree["children_default"][node]
        else:
            child = left[node] if x[j] <= tree["thresholds"][node] else right[node]
        return _cond_expectation(tree, x, S, child)
    w = tree["node_sample_weight"]
    lc, rc = left[node], right[node]
    return (w[lc] * _cond_expectation(tree, x, S, lc)
            + w[rc] * _cond_expectation(tree, x, S, rc)) / w[node]


def brute_force_shap(model, x):
    """Shapley values by enumerating every coalition (exponential; tiny cases only)."""
    m = len(x)

    def v(S):
        return sum(_cond_expectation(t, x, S) for t in model["trees"])

    phi = np.zeros(m)
    for i in range(m):
        others = [j for j in range(m) if j != i]
        for k in range(m):
            for S in itertools.combinations(others, k):
                wgt = math.factorial(k) * math.factorial(m - k - 1) / math.factorial(m)
                phi[i] += wgt * (v(set(S) | {i}) - v(set(S)))
    return phi, v(set())


@pytest.fixture(scope="module")
def deep_forest(surv4):
    X, y = surv4
    # 4 features and deep trees: every path splits repeatedly on the same feature
    forest = RandomSurvivalForest(n_estimators=6, min_samples_leaf=2, max_features=None,
                                  random_state=2).fit(X.to_numpy(), y)
    return forest_to_tree_model(forest)


def test_matches_brute_force_enumeration(deep_forest, surv4):
    X, _ = surv4
    assert max(tree_path_features(t) for t in deep_forest["trees"]) == 4
    Xt = to_float32_grid(X.to_numpy()[:6])
    Xt[1, 2] = np.nan
    phi, base = path_dependent_shap(deep_forest, Xt)
    for i in range(len(Xt)):
        ref, ref_base = brute_force_shap(deep_forest, Xt[i])
        np.testing.assert_allclose(phi[i], ref, rtol=1e-10, atol=1e-9)
        assert base == pytest.approx(ref_base, rel=1e-12)


def test_adds_up_with_missing_values():
    X, y = survival_data(n=300, p=12, seed=4)
    forest = RandomSurvivalForest(n_estimators=10, min_samples_leaf=3,
                                  random_state=0).fit(X.to_numpy(), y)
    model = forest_to_tree_model(forest)
    Xt = to_float32_grid(survival_data(n=80, p=12, seed=9)[0].to_numpy())
    Xt[::5, 3] = np.nan
    phi, base = path_dependent_shap(model, Xt)
    assert base == pytest.approx(expected_value(model), rel=1e-12)
    pred = predict_tree_model(model, Xt)
    assert np.abs(phi.sum(1) + base - pred).max() < 1e-10 * np.abs(pred).max()


def test_parallel_equals_serial(monkeypatch):
    from tmeprog.explain import forest_shap

    monkeypatch.setattr(forest_shap, "PARALLEL_MIN_WORK", 0)
    X, y = survival_data(n=300, p=8, seed=1)
    forest = RandomSurvivalForest(n_estimators=9, min_samples_leaf=2,
                                  random_state=0).fit(X.to_numpy(), y)
    model = forest_to_tree_model(forest)
    Xt = to_float32_grid(X.to_numpy())
    serial, b1 = path_dependent_shap(model, Xt, n_jobs=1)
    par, b2 = path_dependent_shap(model, Xt, n_jobs=2)
    np.testing.assert_allclose(par, serial, rtol=1e-12, atol=1e-12)
    assert b1 == pytest.approx(b2, rel=1e-12)


def test_leaf_only_tree_and_handmade_tree():
    stump = {"children_left": np.array([-1]), "children_right": np.array([-1]),
             "children_default": np.array([-1]), "features": np.array([-1]),
             "thresholds": np.array([0.0]), "values": np.array([[2.5]]),
             "node_sample_weight": np.array([10.0])}
    # x0 <= 0 ? (x1 <= 1 ? 1 : 3) : 10 with covers 10 -> 6 (2, 4) / 4
    tree = {"children_left": np.array([1, 3, -1, -1, -1]),
            "children_right": np.array([2, 4, -1, -1, -1]),
            "children_default": np.array([1, 3, -1, -1, -1]),
            "features": np.array([0, 1, -1, -1, -1]),
            "thresholds": np.array([0.0, 1.0, 0, 0, 0]),
            "values": np.array([[0.0], [0.0], [10.0], [1.0], [3.0]]),
            "node_sample_weight": np.array([10.0, 6.0, 4.0, 2.0, 4.0])}
    model = {"trees": [stump, tree], "base_offset": 0.5}
    assert tree_path_features(tree) == 2 and tree_path_features(stump) == 0
    base = 0.5 + 2.5 + (2 * 1 + 4 * 3 + 4 * 10) / 10
    assert expected_value(model) == pytest.approx(base)
    x = np.array([[-1.0, 5.0], [3.0, 0.0]])
    phi, b = path_dependent_shap(model, x)
    assert b == pytest.approx(base)
    for i in range(2):
        ref, _ = brute_force_shap(model, x[i])
        np.testing.assert_allclose(phi[i], ref, rtol=1e-12)
    np.testing.assert_allclose(phi.sum(1) + b, predict_tree_model(model, x))
