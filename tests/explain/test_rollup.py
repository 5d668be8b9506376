"""Roll-ups: importance, compartments, groups and fold stability against plain computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tmeprog.errors import InputError
from tmeprog.explain import (
    compartment_importance,
    explain,
    feature_compartments,
    group_importance,
    mean_abs_shap,
    patient_compartments,
    ranking_stability,
    stability_summary,
)
from tmeprog.explain.rollup import UNASSIGNED


@pytest.fixture(scope="module")
def expl(rsf4, surv4):
    return explain(rsf4, surv4[0])


def test_feature_compartments_resolution():
    from tmeprog.signatures import load_catalogue

    hypoxia = load_catalogue().get("pathway_hypoxia").compartment
    comps = feature_compartments(
        ["cell_cd8_t", "stromal_score", "tumor_purity", "age", "pam50_Basal", "grade",
         "my_sig", "pathway_hypoxia"], {"my_sig": "user"}, warn=False)
    assert comps == {"cell_cd8_t": "immune", "stromal_score": "stromal",
                     "tumor_purity": "stromal", "age": "clinical", "pam50_Basal": "clinical",
                     "grade": "clinical", "my_sig": "user", "pathway_hypoxia": hypoxia}
    with pytest.warns(UserWarning, match="mystery"):
        assert feature_compartments(["mystery"])["mystery"] == UNASSIGNED


def test_importance_and_compartment_sums(expl):
    v = expl.values.to_numpy()
    imp = mean_abs_shap(expl)
    assert imp.index[0] == expl.features[int(np.argmax(np.abs(v).mean(0)))]
    np.testing.assert_allclose(imp[expl.features], np.abs(v).mean(0))
    comp = compartment_importance(expl)
    # cell_cd8_t immune; stromal_score stromal; pathway_tgfb signalling; age clinical
    assert comp["immune"] == pytest.approx(np.abs(v[:, 0]).mean())
    assert comp.sum() == pytest.approx(np.abs(v).mean(0).sum())
    custom = compartment_importance(expl.values, {f: "immune" for f in expl.features})
    assert list(custom.index) == ["immune"]


def test_patient_compartments_add_up_to_prediction(expl, rsf4, surv4):
    per = patient_compartments(expl)
    assert list(per.columns) == ["immune", "stromal", "signalling", "clinical"]
    np.testing.assert_allclose(per.sum(1) + expl.base_value, rsf4.predict(surv4[0]), rtol=1e-10)
    ab = patient_compartments(expl, absolute=True)
    np.testing.assert_allclose(ab["immune"], expl.values["cell_cd8_t"].abs())


def test_group_importance(expl):
    groups = pd.Series(np.where(np.arange(len(expl.values)) % 3 == 0, "TNBC", "HR+/HER2-"),
                       index=expl.values.index)
    groups.iloc[1] = None
    by_f = group_importance(expl, groups)
    mask = (groups == "TNBC").to_numpy()
    np.testing.assert_allclose(by_f.loc["TNBC"], expl.values[mask].abs().mean())
    assert by_f.attrs["n"] == {"HR+/HER2-": int((groups == "HR+/HER2-").sum()),
                               "TNBC": int(mask.sum())}
    by_c = group_importance(expl, groups, by="compartment")
    assert by_c.loc["TNBC", "immune"] == pytest.approx(by_f.loc["TNBC", "cell_cd8_t"])
    with pytest.raises(InputError, match="lack"):
        group_importance(expl, groups.iloc[5:])


def test_ranking_stability_matches_pandas_rank_correlations():
    rng = np.random.default_rng(0)
    table = pd.DataFrame(rng.random((12, 4)), columns=["f1", "f2", "f3", "f4"],
                         index=[f"feat{i}" for i in range(12)])
    table.iloc[3, 1] = table.iloc[4, 1]  # a tie
    for method in ("spearman", "kendall"):
        got = ranking_stability(table, method=method)
        pd.testing.assert_frame_equal(got, table.corr(method=method), check_exact=False,
                                      rtol=1e-12)
        s = stability_summary(got)
        off = table.corr(method=method).to_numpy()[~np.eye(4, dtype=bool)]
        assert s["mean"] == pytest.approx(off.mean()) and s["n_folds"] == 4
    # from per-fold SHAP tables; a feature missing in one fold counts as 0 importance
    a = pd.DataFrame({"x": [1.0, -2.0], "y": [0.5, 0.5], "z": [0.1, 0.0]})
    b = a.drop(columns="z") * 2
    m = ranking_stability({"fold1": a, "fold2": b})
    assert m.loc["fold1", "fold2"] == pytest.approx(1.0)
    with pytest.raises(InputError, match="two folds"):
        ranking_stability([a])
