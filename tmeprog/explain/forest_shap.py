"""Path-dependent TreeSHAP of a converted random survival forest through shap's TreeExplainer.

shap's C implementation of TreeSHAP (Lundberg et al. 2020) takes the forest as a custom tree
ensemble (:func:`tmeprog.explain.tree_rsf.forest_to_tree_model`); it runs on one core, so large
tables are split into row blocks explained in worker processes, each with its own explainer.
"""

from __future__ import annotations

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs

#: Below this many row x node visits, worker start-up costs more than it saves.
PARALLEL_MIN_WORK = 2_000_000


def _explain_rows(tree_model: dict, X: np.ndarray) -> tuple[np.ndarray, float]:
    import shap  # deferred: loads with every explain(); linear models need no shap (~3 s)

    ex = shap.TreeExplainer(tree_model, feature_perturbation="tree_path_dependent")
    phi = np.asarray(ex.shap_values(X, check_additivity=False), dtype=float)
    return phi, float(np.ravel(ex.expected_value)[0])


def path_dependent_shap(tree_model: dict, X: np.ndarray,
                        n_jobs: int | None = 1) -> tuple[np.ndarray, float]:
    """Exact path-dependent SHAP values of a single-output tree ensemble.

    Parameters
    ----------
    tree_model : dict
        shap-style ensemble ``{"trees": [...], "base_offset": float}``.
    X : ndarray of shape (n_samples, n_features)
        Rows to explain (NaN follows ``children_default``).
    n_jobs : int or None
        Worker processes, each explaining a block of rows; None or 1 runs in this process,
        -1 uses every core.

    Returns
    -------
    (phi, base_value)
        ``phi.sum(1) + base_value`` equals the ensemble output.
    """
    X = np.ascontiguousarray(X, dtype=np.float32 if X.dtype == np.float32 else float)
    jobs = min(effective_n_jobs(n_jobs if n_jobs is not None else 1), max(len(X), 1))
    work = len(X) * sum(len(t["children_left"]) for t in tree_model["trees"])
    if jobs <= 1 or work < PARALLEL_MIN_WORK:
        return _explain_rows(tree_model, X)
    blocks = np.array_split(np.arange(len(X)), jobs)
    parts = Parallel(n_jobs=jobs, backend="loky")(
        delayed(_explain_rows)(tree_model, X[b]) for b in blocks if len(b))
    return np.vstack([p for p, _ in parts]), parts[0][1]
