"""Random survival forest -> scalar tree ensemble conversion."""

from __future__ import annotations

import numpy as np
import pytest
from sksurv.ensemble import ExtraSurvivalTrees, RandomSurvivalForest
from sksurv.tree import SurvivalTree

from tests.explain.conftest import survival_data
from tmeprog.errors import InputError
from tmeprog.explain.tree_rsf import (
    check_conversion,
    forest_to_tree_model,
    is_survival_forest,
    predict_tree_model,
)


def test_tree_value_layout_is_chf_then_survival(surv4):
    # the conversion relies on tree_.value[..., 0] = CHF and [..., 1] = survival function
    X, y = surv4
    tree = SurvivalTree(min_samples_leaf=10, random_state=0).fit(X.to_numpy(), y)
    Xt = X.to_numpy()[:20]
    value = tree.tree_.value
    assert value.shape == (tree.tree_.node_count, len(tree.unique_times_), 2)
    leaves = tree.apply(Xt.astype(np.float32))
    np.testing.assert_allclose(value[leaves, :, 0],
                               tree.predict_cumulative_hazard_function(Xt, return_array=True))
    np.testing.assert_allclose(value[leaves, :, 1],
                               tree.predict_survival_function(Xt, return_array=True))
    # predict = CHF summed over event times only (censoring-only times excluded)
    assert 0 < tree.is_event_time_.sum() < len(tree.unique_times_)
    np.testing.assert_allclose(value[leaves][:, tree.is_event_time_, 0].sum(1), tree.predict(Xt))


@pytest.mark.parametrize("cls", [RandomSurvivalForest, ExtraSurvivalTrees])
@pytest.mark.parametrize("low_memory", [False, True])
def test_converted_forest_predicts_like_sksurv(surv4, cls, low_memory):
    X, y = surv4
    forest = cls(n_estimators=8, min_samples_leaf=3, low_memory=low_memory,
                 random_state=1).fit(X.to_numpy(), y)
    Xn, _ = survival_data(n=300, seed=5)
    ref = forest.predict(Xn.to_numpy())
    got = predict_tree_model(forest_to_tree_model(forest), Xn.to_numpy())
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-10)
    assert check_conversion(forest, Xn.to_numpy()) < 1e-12


def test_single_tree_and_missing_values_follow_sklearn(surv4):
    X, y = surv4
    Xm = X.to_numpy().copy()
    rng = np.random.default_rng(3)
    Xm[rng.random(Xm.shape) < 0.15] = np.nan  # missing values seen in training
    tree = SurvivalTree(min_samples_leaf=5, random_state=0).fit(Xm, y)
    forest = RandomSurvivalForest(n_estimators=5, min_samples_leaf=5, random_state=0).fit(Xm, y)
    Xt = X.to_numpy()[:60].copy()
    Xt[rng.random(Xt.shape) < 0.3] = np.nan
    for model in (tree, forest):
        np.testing.assert_allclose(predict_tree_model(forest_to_tree_model(model), Xt),
                                   model.predict(Xt), rtol=1e-12)


def test_internal_values_are_cover_weighted_leaf_means(rsf4):
    tree = forest_to_tree_model(rsf4)["trees"][0]
    left, right = tree["children_left"], tree["children_right"]
    v, w = tree["values"][:, 0], tree["node_sample_weight"]
    internal = np.flatnonzero(left != -1)
    for node in internal[:20]:
        lc, rc = left[node], right[node]
        assert w[node] == pytest.approx(w[lc] + w[rc])
        assert v[node] == pytest.approx((w[lc] * v[lc] + w[rc] * v[rc]) / w[node])
    assert (tree["features"][left == -1] == -1).all()


def test_rejects_other_models_and_unfitted():
    from sklearn.ensemble import RandomForestRegressor

    assert not is_survival_forest(RandomForestRegressor())
    with pytest.raises(InputError, match="not a scikit-survival tree model"):
        forest_to_tree_model(RandomForestRegressor())
    with pytest.raises(InputError, match="not fitted"):
        forest_to_tree_model(RandomSurvivalForest())
