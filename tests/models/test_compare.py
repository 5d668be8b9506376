import numpy as np
import pytest

from tmeprog.errors import InputError
from tmeprog.models import CoxNetSurvival, XGBAFTSurvival, compare, default_models
from tmeprog.models.compare import TABLE_COLUMNS
from tmeprog.models.feature_sets import design_matrices


@pytest.fixture(scope="module")
def result(bundled):
    feats, clin, y, groups = bundled
    sets = design_matrices(clin, feats, sets=("clinical", "clinical+tme"))
    models = {
        "coxnet": (CoxNetSurvival(ci="none"), {"alpha": [0.02, 0.1]}),
        "xgb_aft": (XGBAFTSurvival(n_estimators=20, random_state=0), None),
    }
    return compare(sets, y, groups, models=models, n_splits=3, n_repeats=1, n_boot=10,
                   cohort_standardise={"clinical+tme": list(feats.columns)}, n_jobs=2), sets


def test_compare_table_shape(result):
    res, sets = result
    t = res.table
    assert list(t.columns) == TABLE_COLUMNS
    assert set(t["model"]) == {"coxnet", "xgb_aft"}
    assert set(t["feature_set"]) == {"clinical", "clinical+tme", "clinical+tme - clinical"}
    assert set(t["validation"]) == {"cv", "loco", "loco:gse1992", "loco:gse4335", "loco:gse3143"}
    assert set(t["metric"]) == {"harrell_c", "uno_c", "td_auc_3y", "td_auc_5y", "ibs",
                                "calibration_slope_5y"}
    # 2 models x (2 sets + 1 difference) x (cv + 4 loco rows) x 6 metrics
    assert len(t) == 2 * 3 * 5 * 6
    assert t.loc[t["feature_set"].str.contains(" - "), "p_value"].notna().any()
    assert t.loc[~t["feature_set"].str.contains(" - "), "p_value"].isna().all()
    assert res.runtime_seconds > 0
    std = res.results[("coxnet", "clinical+tme", "loco")].settings["cohort_standardise"]
    assert std == [c for c in sets["clinical+tme"].columns if c not in sets["clinical"].columns]
    assert res.results[("coxnet", "clinical", "loco")].settings["cohort_standardise"] is None


def test_compare_numbers_consistent(result):
    res, _ = result
    t = res.table.set_index(["model", "feature_set", "validation", "metric"])
    c = t.loc[("coxnet", "clinical", "cv", "harrell_c")]
    assert 0.6 < c["value"] < 0.9 and c["ci_low"] <= c["value"] <= c["ci_high"]
    assert c["n"] == 397 and c["events"] == 123
    d = t.loc[("coxnet", "clinical+tme - clinical", "cv", "harrell_c"), "value"]
    a = t.loc[("coxnet", "clinical+tme", "cv", "harrell_c"), "value"]
    assert d == pytest.approx(a - c["value"])
    per = [t.loc[("xgb_aft", "clinical+tme", f"loco:{k}", "uno_c"), "value"]
           for k in ("gse1992", "gse4335", "gse3143")]
    assert t.loc[("xgb_aft", "clinical+tme", "loco", "uno_c"), "value"] == pytest.approx(
        np.mean(per))


def test_compare_errors(bundled):
    feats, clin, y, groups = bundled
    sets = design_matrices(clin, feats)
    with pytest.raises(InputError, match="needs groups"):
        compare(sets, y, None)
    with pytest.raises(InputError, match="other samples"):
        compare({"a": sets["tme"], "b": sets["clinical"].iloc[::-1]}, y, groups)
    with pytest.raises(InputError, match="unknown validations"):
        compare(sets, y, groups, validations=("bootstrap",))


def test_default_models_are_clonable():
    from sklearn.base import clone

    for quick in (True, False):
        for est, grid in default_models(0, quick).values():
            clone(est)
            assert set(grid) <= set(est.get_params())
