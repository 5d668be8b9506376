"""Choosing the champion from the results table; the columns a model scales per cohort."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tmeprog.errors import InputError
from tmeprog.models.feature_sets import INTERACTION_SUFFIX, SUBTYPE_INDICATOR
from tmeprog.pipeline.champion import cohort_scaled_columns, cohort_standardised, select_champion


def _results(rows):
    return pd.DataFrame(rows, columns=["model", "feature_set", "validation", "metric", "value",
                                       "ci_low", "ci_high"])


def test_best_value_under_the_chosen_scheme_wins():
    res = _results([
        ("coxnet", "clinical+tme", "loco", "harrell_c", 0.70, 0.65, 0.75),
        ("rsf", "clinical", "loco", "harrell_c", 0.72, 0.66, 0.78),
        ("rsf", "tme", "cv", "harrell_c", 0.90, 0.85, 0.95),       # other scheme
        ("xgb_cox", "clinical+tme", "loco", "harrell_c", np.nan, np.nan, np.nan),
        ("rsf", "tme-private", "loco", "harrell_c", 0.99, 0.9, 1.0),  # not a compared set
    ])
    best = select_champion(res, "harrell_c", "loco")
    assert (best["model"], best["feature_set"], best["value"]) == ("rsf", "clinical", 0.72)


def test_lower_is_better_for_the_brier_score_and_ties_go_by_name():
    res = _results([
        ("rsf", "tme", "loco", "ibs", 0.20, 0.1, 0.3),
        ("coxnet", "tme", "loco", "ibs", 0.20, 0.1, 0.3),
        ("coxnet", "clinical", "loco", "ibs", 0.25, 0.1, 0.3),
    ])
    assert select_champion(res, "ibs", "loco")["model"] == "coxnet"


def test_no_candidate_is_one_clear_error():
    res = _results([("rsf", "tme", "cv", "harrell_c", 0.7, 0.6, 0.8)])
    with pytest.raises(InputError, match=r"no result for metric 'harrell_c' under 'loco'"):
        select_champion(res, "harrell_c", "loco")


def test_cohort_scaling_leaves_covariates_and_recomputes_products():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"age": rng.normal(60, 10, 40), "til_density": rng.normal(5, 2, 40),
                      SUBTYPE_INDICATOR: np.tile([1.0, 0.0], 20)})
    product = f"til_density{INTERACTION_SUFFIX}"
    X[product] = X["til_density"] * X[SUBTYPE_INDICATOR]
    assert cohort_scaled_columns(X) == ["til_density"]
    cols = cohort_scaled_columns(X)
    groups = np.repeat(["a", "b"], 20)
    Z = cohort_standardised(X, groups, cols)
    for g in ("a", "b"):
        z = Z.loc[groups == g, "til_density"]
        assert abs(z.mean()) < 1e-9 and abs(z.std(ddof=0) - 1) < 1e-6
    np.testing.assert_allclose(Z[product], Z["til_density"] * Z[SUBTYPE_INDICATOR])
    np.testing.assert_allclose(Z[["age", SUBTYPE_INDICATOR]], X[["age", SUBTYPE_INDICATOR]])
