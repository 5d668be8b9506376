"""Refitting a model on all training samples with the inner tuning used in validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from tmeprog.models.validation import accepts_strata


def refit(est, grid, X: pd.DataFrame, y, seed: int, kind: str, inner_splits: int = 3,
          strata=None):
    """Fit on all samples with the same inner tuning (and strata) as in validation."""

    kw = {"strata": strata} if strata is not None and accepts_strata(est) else {}
    if not grid:
        return clone(est).fit(X, y, **kw), {}
    strat = y["event"] if kind == "prognosis" else np.asarray(y)
    splits = list(StratifiedKFold(inner_splits, shuffle=True, random_state=seed)
                  .split(X, strat))
    scoring = None if kind == "prognosis" else "roc_auc"
    gs = GridSearchCV(clone(est), grid, cv=splits, refit=True, n_jobs=1, scoring=scoring,
                      error_score="raise")
    gs.fit(X, y, **kw)
    return gs.best_estimator_, dict(gs.best_params_)
