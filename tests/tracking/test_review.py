"""The run description names the champion, its estimator and CI, and the clinical-only best."""

import pandas as pd

from tmeprog.tracking.review import run_description


def test_description_states_estimator_ci_endpoints_and_clinical_reference():
    results = pd.DataFrame([
        {"model": "coxnet", "feature_set": "clinical+tme", "metric": "harrell_c",
         "validation": "loco", "value": 0.74, "ci_low": 0.70, "ci_high": 0.78},
        {"model": "rsf", "feature_set": "clinical", "metric": "harrell_c",
         "validation": "loco", "value": 0.66, "ci_low": 0.61, "ci_high": 0.71},
        {"model": "coxnet", "feature_set": "clinical", "metric": "harrell_c",
         "validation": "loco", "value": 0.64, "ci_low": 0.60, "ci_high": 0.69},
        {"model": "coxnet", "feature_set": "clinical", "metric": "harrell_c",
         "validation": "cv", "value": 0.90, "ci_low": 0.8, "ci_high": 0.95}])
    champ = {"model": "coxnet", "feature_set": "clinical+tme", "metric": "harrell_c",
             "validation": "loco", "value": 0.74, "ci_low": 0.70, "ci_high": 0.78}
    text = run_description(champ, ["a", "b"], {"a": "rfs", "b": "os"}, True, results)
    assert "Harrell's C" in text and "leave-one-cohort-out" in text
    assert "0.740" in text and "0.700-0.780" in text
    assert "`rsf`): 0.660" in text  # the best clinical-only model under the same validation
    assert "a: rfs, b: os" in text and "pooled" in text
    assert "0.900" not in text
