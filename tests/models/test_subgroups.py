import numpy as np
import pytest

from tmeprog.models import CoxNetSurvival
from tmeprog.models.metrics import harrell_c
from tmeprog.models.subgroups import restrict, subgroup_metrics
from tmeprog.models.validation import leave_one_cohort_out


def test_loco_c_within_subgroup_is_mean_of_per_cohort_c(sim):
    X, y, _ = sim
    rng = np.random.default_rng(4)
    groups = np.where(np.arange(len(y)) < len(y) // 2, "c1", "c2")
    er_neg = rng.uniform(size=len(y)) < 0.4
    res = leave_one_cohort_out(CoxNetSurvival(alpha=0.05, ci="none"), X, y, groups)
    out = subgroup_metrics({("coxnet", "tme", "loco"): res}, {"ER-": er_neg, "ER+": ~er_neg},
                           n_boot=50, seed=1)
    row = out[(out["subgroup"] == "ER-") & (out["validation"] == "loco")].iloc[0]
    expect = []
    for f in res.folds:
        keep = er_neg[f.test_index]
        expect.append(harrell_c(f.y_test[keep], f.risk[keep]))
    assert row["value"] == pytest.approx(np.mean(expect), rel=1e-12)
    assert row["n"] == er_neg.sum() and row["ci_low"] <= row["value"] <= row["ci_high"]
    per = out[(out["subgroup"] == "ER+") & (out["validation"] == "loco:c2")].iloc[0]
    f2 = res.folds[1]
    keep = ~er_neg[f2.test_index]
    assert per["value"] == pytest.approx(harrell_c(f2.y_test[keep], f2.risk[keep]), rel=1e-12)
    assert restrict(res, np.zeros(len(y), bool)) is None
