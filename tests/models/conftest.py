"""Fixtures of the model tests: simulated survival data and stand-in TME features.

The stand-in features (mean z-score of a few marker genes per compartment) exist only here, until
the real TME extractor provides feature tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

MARKERS = {
    "immune_cd8": ["CD8A", "GZMB", "PRF1"],
    "proliferation": ["MKI67", "TOP2A", "CCNB1"],
    "stromal_caf": ["COL1A1", "FAP", "DCN"],
}
BUNDLED = {"gse1992": "rfs", "gse4335": "os", "gse3143": "os"}


def simulate(n: int = 200, beta=(0.9, -0.6, 0.0), n_noise: int = 2, seed: int = 0,
             scale: float = 40.0, shape: float = 1.3, cens_max: float = 120.0):
    """Weibull proportional-hazards data: X (DataFrame), y (structured), true linear predictor."""
    rng = np.random.default_rng(seed)
    p = len(beta) + n_noise
    X = rng.normal(size=(n, p))
    lp = X[:, : len(beta)] @ np.asarray(beta, float)
    u = rng.uniform(size=n)
    t = scale * (-np.log(u) / np.exp(lp)) ** (1 / shape)
    c = rng.uniform(6, cens_max, size=n)
    y = np.empty(n, dtype=[("event", bool), ("time", float)])
    y["event"] = t <= c
    y["time"] = np.maximum(np.minimum(t, c), 0.1)
    cols = [f"f{i}" for i in range(p)]
    return pd.DataFrame(X, columns=cols, index=[f"s{i:03d}" for i in range(n)]), y, lp


@pytest.fixture(scope="session")
def sim():
    return simulate()


def standin_features(expression: pd.DataFrame) -> pd.DataFrame:
    """Mean z-score of the marker genes present, per compartment."""
    z = (expression - expression.mean()) / expression.std()
    return pd.DataFrame({k: z[[g for g in v if g in z.columns]].mean(axis=1)
                         for k, v in MARKERS.items()})


@pytest.fixture(scope="session")
def bundled():
    """Stand-in features, clinical table, survival and cohort labels of the 3 GSE cohorts."""
    from tmeprog.cohorts import load_cohort

    feats, clins, ys, groups = [], [], [], []
    for name, endpoint in BUNDLED.items():
        c = load_cohort(name)
        f = standin_features(c.expression)
        f.index = name + ":" + f.index.astype(str)
        cl = c.clinical.copy()
        cl.index = f.index
        feats.append(f)
        clins.append(cl)
        ys.append(c.survival(endpoint))
        groups += [name] * c.n_samples
    return (pd.concat(feats), pd.concat(clins), np.concatenate(ys), np.asarray(groups))
