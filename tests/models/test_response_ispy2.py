"""pCR models on the real I-SPY2 development split (published signature scores)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tmeprog.models.response_compare import response_feature_sets
from tmeprog.models.response_cv import cross_validate_response
from tmeprog.models.response_logistic import PenalisedLogistic
from tmeprog.models.response_validation import evaluate_response


@pytest.fixture(scope="module")
def ispy2(shared_data):
    from tmeprog.cohorts import load_cohort

    c = load_cohort(shared_data / "cohorts" / "ispy2" / "ISPY2_clinical_signatures_dev.csv")
    y = c.binary("pcr")
    y = y.iloc[:, 0] if isinstance(y, pd.DataFrame) else y
    return c, y.astype(int)


def test_pcr_cross_validation_on_ispy2(ispy2):
    c, y = ispy2
    sets = response_feature_sets(c.clinical, c.features)
    cv = cross_validate_response(PenalisedLogistic(), sets["clinical+tme"], y,
                                 param_grid={"C": [0.02, 0.2]}, n_splits=5, n_repeats=2)
    assert cv.settings["stratified_on"] == "outcome x arm"
    tab = evaluate_response(cv, model="logistic", feature_set="clinical+tme", n_boot=50)
    auc = tab[(tab.validation == "cv") & (tab.metric == "auroc")].iloc[0]
    # pCR is predictable from subtype and immune signatures (published AUCs ~0.7-0.8)
    assert 0.68 < auc["value"] < 0.9
    assert auc["ci_low"] < auc["value"] < auc["ci_high"]
    per_arm = tab[tab.validation.str.startswith("cv:arm=")]
    assert len(per_arm) == c.clinical["arm"].nunique()  # every arm has >= 10 patients
    pembro = per_arm.set_index("validation").loc["cv:arm=Pembro"]
    assert pembro["n"] == int((c.clinical["arm"] == "Pembro").sum())
    assert pembro["positives"] == int(y[c.clinical["arm"] == "Pembro"].sum())


def test_per_arm_immune_effects_on_ispy2(ispy2):
    c, y = ispy2
    X = pd.concat([c.clinical[["hr", "her2", "arm"]], c.features[["Chemokine12_score"]]],
                  axis=1)
    m = PenalisedLogistic(C=0.5, arm_interaction=True, interaction_features=["Chemokine12_score"],
                          n_boot=40).fit(X, y)
    eff = m.arm_effects().set_index("arm")
    assert len(eff) == c.clinical["arm"].nunique()
    assert eff.loc["Pembro", "n_arm"] == int((c.clinical["arm"] == "Pembro").sum())
    # a chemokine (immune) signature raises the odds of pCR in the pembrolizumab arm
    assert eff.loc["Pembro", "ci_low"] > 1
    assert np.isfinite(eff[["ci_low", "ci_high"]].to_numpy()).all()
