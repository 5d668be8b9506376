"""Per-cohort counts of the features the models impute."""

import numpy as np
import pandas as pd

from tmeprog.pipeline.missing import imputed_features, missing_by_cohort, missing_warnings


def test_counts_per_cohort():
    F = pd.DataFrame({"a": [1.0, 2, 3, 4, 5], "b": [1.0, 2, np.nan, np.nan, np.nan],
                      "c": [np.nan, 1.0, 2, 3, 4]}, index=list("vwxyz"))
    groups = ["one", "one", "two", "two", "two"]
    t = missing_by_cohort(F, groups).set_index("cohort")
    assert t.loc["one", "n_missing_whole_cohort"] == 0
    assert t.loc["one", "n_missing_some_samples"] == 1  # c: one of two samples
    assert t.loc["two", "n_missing_whole_cohort"] == 1
    assert t.loc["two", "missing_whole_cohort"] == "b"
    assert t.loc["two", "imputed_fraction"] == 3 / 9
    assert list(t["n_samples"]) == [2, 3]
    assert imputed_features(t.reset_index()) == ["b"]
    (w,) = missing_warnings(t.reset_index())
    assert "'two'" in w and "b" in w and "median" in w
