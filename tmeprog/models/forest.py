"""Random survival forest (scikit-survival ``RandomSurvivalForest``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from tmeprog.models.base import SurvivalModel, step_values


class RandomSurvivalForestModel(SurvivalModel):
    """Random survival forest with log-rank splits.

    The risk score is scikit-survival's: the ensemble cumulative hazard summed over the training
    event times. Survival curves are the ensemble Kaplan-Meier-type estimates of the leaves.

    Parameters
    ----------
    n_estimators : int, default=200
        Trees.
    max_depth : int or None, default=None
        Tree depth limit.
    min_samples_leaf : int, default=5
        Smallest leaf.
    min_samples_split : int, default=10
        Smallest node that may be split.
    max_features : {"sqrt", "log2"}, int, float or None, default="sqrt"
        Features tried per split.
    random_state : int or None, default=None
        Seed of bootstrap samples and feature draws.
    n_jobs : int, default=1
        Threads for fitting and prediction.
    preprocessor : transformer or None, default=None
        None means :class:`~tmeprog.models.preprocess.MedianStandardScaler` (the forest needs
        only the imputation; scaling leaves its splits unchanged).

    Attributes
    ----------
    forest_ : sksurv.ensemble.RandomSurvivalForest
    """

    def __init__(self, n_estimators: int = 200, max_depth: int | None = None,
                 min_samples_leaf: int = 5, min_samples_split: int = 10,
                 max_features="sqrt", random_state: int | None = None, n_jobs: int = 1,
                 preprocessor=None):
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.min_samples_split = min_samples_split
        self.max_features = max_features
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.preprocessor = preprocessor

    def _fit_transformed(self, Xt: pd.DataFrame, y: np.ndarray) -> None:
        # deferred: keeps `import tmeprog.models` (and `tmeprog models`) free of scikit-survival
        from sksurv.ensemble import RandomSurvivalForest

        self.forest_ = RandomSurvivalForest(
            n_estimators=self.n_estimators, max_depth=self.max_depth,
            min_samples_leaf=self.min_samples_leaf, min_samples_split=self.min_samples_split,
            max_features=self.max_features, random_state=self.random_state, n_jobs=self.n_jobs,
        ).fit(Xt.to_numpy(), y)

    def _risk(self, Xt: pd.DataFrame) -> np.ndarray:
        return self.forest_.predict(Xt.to_numpy())

    def _survival(self, Xt: pd.DataFrame, horizons: np.ndarray) -> np.ndarray:
        s = self.forest_.predict_survival_function(Xt.to_numpy(), return_array=True)
        return step_values(self.forest_.unique_times_, s, horizons, before=1.0)

    def summary(self) -> pd.DataFrame:
        """Split use per feature: number of splits and share of trees that split on it.

        Random survival forests have no impurity importance in scikit-survival; split counts
        are cheap and exact. Use permutation importance or SHAP for effect sizes.
        """
        check_is_fitted(self, "forest_")
        names = list(self.features_used_)
        counts = np.zeros(len(names))
        trees_using = np.zeros(len(names))
        for est in self.forest_.estimators_:
            f = est.tree_.feature
            f = f[f >= 0]
            counts += np.bincount(f, minlength=len(names))
            trees_using[np.unique(f)] += 1
        out = pd.DataFrame({"n_splits": counts.astype(int),
                            "share_of_trees": trees_using / len(self.forest_.estimators_)},
                           index=pd.Index(names, name="feature"))
        out = out.sort_values("n_splits", ascending=False)
        out.attrs["note"] = (
            f"random survival forest: {self.n_estimators} trees, max_depth={self.max_depth}, "
            f"min_samples_leaf={self.min_samples_leaf}; {self.n_train_} samples, "
            f"{self.n_events_} events; split counts, not effect sizes"
        )
        return out
