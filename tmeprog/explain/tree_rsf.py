"""Random survival forests as scalar tree ensembles that shap's TreeExplainer explains exactly.

shap's ``TreeExplainer`` does not accept scikit-survival forests. Their risk score is linear in
the trees, though: ``RandomSurvivalForest.predict`` is the sum of the ensemble cumulative hazard
over the training event times (``is_event_time_``), and the ensemble cumulative hazard is the mean
of the trees' leaf Nelson-Aalen estimates. So

    risk(x) = 1/T * sum_t  sum_{j: event time} CHF_t(leaf_t(x), time_j)

and every tree becomes a regression tree whose leaf value is its leaf CHF summed over the event
times. In scikit-survival 0.28 a tree's ``tree_.value`` has shape ``(n_nodes, n_unique_times, 2)``
with the CHF in ``[..., 0]`` and the survival function in ``[..., 1]``; with ``low_memory=True``
it has shape ``(n_nodes, 1, 1)`` holding that sum already.

Splits compare ``float32(x) <= threshold`` as scikit-learn does, so inputs are rounded to float32
before explaining; missing values follow each node's ``missing_go_to_left``. Internal node values
are set to the sample-weighted mean of their leaves (the Nelson-Aalen estimate of a parent is not
the mean of its children's), which is what path-dependent TreeSHAP assumes.
"""

from __future__ import annotations

import numpy as np

from tmeprog.errors import InputError

__all__ = ["is_survival_forest", "forest_to_tree_model", "predict_tree_model",
           "to_float32_grid", "check_conversion"]

_SKSURV_TREE_MODELS = ("RandomSurvivalForest", "ExtraSurvivalTrees", "SurvivalTree",
                       "ExtraSurvivalTree")


def is_survival_forest(model) -> bool:
    """True for scikit-survival random survival forests, extra survival trees and single trees."""
    mod = type(model).__module__ or ""
    return mod.startswith("sksurv.") and type(model).__name__ in _SKSURV_TREE_MODELS


def _leaf_risk_values(tree, is_event_time: np.ndarray) -> np.ndarray:
    """Per-node sum of the CHF over event times (only leaf entries are used downstream)."""
    value = tree.tree_.value
    if getattr(tree, "low_memory", False) or value.shape[1] == 1:
        if value.shape[1] != 1:  # pragma: no cover - defensive
            raise InputError("unexpected low-memory survival tree layout")
        return np.asarray(value[:, 0, 0], dtype=np.float64)
    if value.ndim != 3 or value.shape[1] != is_event_time.shape[0]:
        raise InputError(
            f"survival tree values have shape {value.shape}, expected (n_nodes, "
            f"{is_event_time.shape[0]}, 2); the scikit-survival version may be unsupported"
        )
    return np.asarray(value[:, is_event_time, 0].sum(axis=1), dtype=np.float64)


def _convert_tree(tree, is_event_time: np.ndarray, scaling: float) -> dict:
    t = tree.tree_
    left = t.children_left.astype(np.int32)
    right = t.children_right.astype(np.int32)
    weight = t.weighted_n_node_samples.astype(np.float64)
    values = _leaf_risk_values(tree, is_event_time) * scaling
    # internal nodes: weighted mean of the children (children always have larger ids)
    for node in range(t.node_count - 1, -1, -1):
        lc, rc = left[node], right[node]
        if lc != -1:
            w = weight[lc] + weight[rc]
            values[node] = (weight[lc] * values[lc] + weight[rc] * values[rc]) / w
            weight[node] = w
    go_left = getattr(t, "missing_go_to_left", None)
    if go_left is None:  # pragma: no cover - older scikit-learn
        default = left.copy()
    else:
        default = np.where(np.asarray(go_left).astype(bool), left, right).astype(np.int32)
    default[left == -1] = -1
    features = t.feature.astype(np.int32)
    features[left == -1] = -1
    return {
        "children_left": left,
        "children_right": right,
        "children_default": default,
        "features": features,
        "thresholds": t.threshold.astype(np.float64),
        "values": values.reshape(-1, 1),
        "node_sample_weight": weight,
    }


def forest_to_tree_model(model) -> dict:
    """Convert a fitted scikit-survival tree model into shap's custom tree-ensemble dict.

    Parameters
    ----------
    model : RandomSurvivalForest, ExtraSurvivalTrees or SurvivalTree
        Fitted model.

    Returns
    -------
    dict
        ``{"trees": [...], "base_offset": 0.0, ...}`` as accepted by
        ``shap.TreeExplainer(model=dict)``; its output is the model's ``predict`` risk score.
    """
    if not is_survival_forest(model):
        raise InputError(f"{type(model).__name__} is not a scikit-survival tree model")
    if not hasattr(model, "is_event_time_"):
        raise InputError(f"{type(model).__name__} is not fitted; call fit first")
    is_event = np.asarray(model.is_event_time_, dtype=bool)
    trees = list(getattr(model, "estimators_", [model]))
    if not trees:
        raise InputError("the forest has no trees")
    scaling = 1.0 / len(trees)
    return {
        "trees": [_convert_tree(t, is_event, scaling) for t in trees],
        "base_offset": 0.0,
        "input_dtype": np.float64,
        "internal_dtype": np.float64,
        "tree_output": "raw_value",
    }


def to_float32_grid(X) -> np.ndarray:
    """Round ``X`` to float32 and back: the values scikit-learn trees compare to thresholds."""
    return np.asarray(X, dtype=np.float32).astype(np.float64)


def predict_tree_model(tree_model: dict, X) -> np.ndarray:
    """Output of a converted tree ensemble, by direct traversal (independent of shap).

    Parameters
    ----------
    tree_model : dict
        Output of :func:`forest_to_tree_model`.
    X : array-like of shape (n_samples, n_features)

    Returns
    -------
    numpy.ndarray of shape (n_samples,)
    """
    X = to_float32_grid(X)
    n = X.shape[0]
    out = np.full(n, float(tree_model.get("base_offset", 0.0)))
    rows = np.arange(n)
    for tree in tree_model["trees"]:
        node = np.zeros(n, dtype=np.int64)
        left, right, default = tree["children_left"], tree["children_right"], tree[
            "children_default"]
        feat, thr = tree["features"], tree["thresholds"]
        active = left[node] != -1
        while active.any():
            idx = rows[active]
            nd = node[idx]
            x = X[idx, feat[nd]]
            nxt = np.where(x <= thr[nd], left[nd], right[nd])
            nxt = np.where(np.isnan(x), default[nd], nxt)
            node[idx] = nxt
            active = left[node] != -1
        out += tree["values"][node, 0]
    return out


def check_conversion(model, X, rtol: float = 1e-10) -> float:
    """Largest relative difference between the model's ``predict`` and its converted ensemble.

    Raises :class:`~tmeprog.errors.InputError` when it exceeds ``rtol``.
    """
    conv = predict_tree_model(forest_to_tree_model(model), X)
    ref = np.asarray(model.predict(np.asarray(X, dtype=float)), dtype=float)
    scale = max(1.0, float(np.max(np.abs(ref))))
    err = float(np.max(np.abs(conv - ref))) / scale
    if err > rtol:
        raise InputError(
            f"converted survival forest differs from its predict() by {err:.2e} (relative); "
            "the scikit-survival tree layout may have changed"
        )
    return err
