"""Small seeded survival data sets and fitted models shared by the explain tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sksurv.util import Surv

FEATURES = ["cell_cd8_t", "stromal_score", "pathway_tgfb", "age"]


def survival_data(n: int = 160, p: int = 4, seed: int = 0, names=None):
    """Features with an interaction and a monotone effect; exponential times, ~30% censored."""
    rng = np.random.default_rng(seed)
    cols = names or (FEATURES if p == len(FEATURES) else [f"f{i}" for i in range(p)])
    X = pd.DataFrame(rng.normal(size=(n, p)), columns=cols,
                     index=[f"p{i:03d}" for i in range(n)])
    lp = X.iloc[:, 0] - 0.7 * X.iloc[:, 1] * X.iloc[:, 2]
    t = rng.exponential(12 * np.exp(-lp.to_numpy()))
    e = rng.random(n) < 0.7
    return X, Surv.from_arrays(e, t + 0.1)


@pytest.fixture(scope="module")
def surv4():
    return survival_data()


@pytest.fixture(scope="module")
def rsf4(surv4):
    from sksurv.ensemble import RandomSurvivalForest

    X, y = surv4
    return RandomSurvivalForest(n_estimators=15, min_samples_leaf=4, random_state=0).fit(X, y)
