import numpy as np
import pandas as pd
import pytest

from tmeprog.errors import InputError
from tmeprog.models.feature_sets import clinical_baseline, design_matrices


def test_baseline_maps_size_and_drops_empty():
    clin = pd.DataFrame({
        "age": [50.0, 60.0, 70.0], "grade": pd.array([1, 2, None], dtype="Int64"),
        "t_stage": pd.array([1, None, 3], dtype="Int64"), "tumor_size_mm": [10.0, 35.0, 80.0],
        "er": pd.array([None, None, None], dtype="Int64"), "pam50": ["LumA", "Basal", "Her2"],
    })
    out = clinical_baseline(clin)
    assert list(out.columns) == ["age", "grade", "size"]
    assert out["size"].tolist() == [1.0, 2.0, 3.0]  # missing T filled from 35 mm -> T2
    assert out.attrs["dropped"] == ["node_status", "er"]
    assert out["grade"].isna().sum() == 1 and out.dtypes.eq(float).all()
    mm_only = clinical_baseline(pd.DataFrame({"tumor_size_mm": [12.0, 40.0]}))
    assert mm_only["size"].tolist() == [12.0, 40.0]


def test_design_matrices(bundled):
    feats, clin, _, groups = bundled
    m = groups == "gse3143"
    sets = design_matrices(clin[m], feats[m])
    assert list(sets["clinical"].columns) == ["er"]  # gse3143 records only ER
    assert list(sets["tme"].columns) == list(feats.columns)
    assert list(sets["clinical+tme"].columns) == ["er", *feats.columns]
    m1 = groups == "gse1992"
    s1 = design_matrices(clin[m1], feats[m1].iloc[::-1])  # re-aligned to clinical order
    assert list(s1["clinical"].columns) == ["age", "grade", "size", "node_status", "er"]
    assert s1["tme"].index.equals(clin[m1].index)
    np.testing.assert_allclose(s1["tme"].to_numpy(), feats[m1].to_numpy())


def test_design_matrix_errors(bundled):
    feats, clin, _, _ = bundled
    with pytest.raises(InputError, match="lacks 1 samples"):
        design_matrices(clin, feats.iloc[1:])
    with pytest.raises(InputError, match="clash"):
        design_matrices(clin, feats.rename(columns={"proliferation": "age"}))
    with pytest.raises(InputError, match="unknown feature sets"):
        design_matrices(clin, feats, sets=("genes",))
    with pytest.raises(InputError, match="no clinical baseline"):
        design_matrices(pd.DataFrame(index=feats.index), feats, sets=("clinical",))


def test_age_enters_per_endpoint():
    from tmeprog.models.feature_sets import age_by_endpoint

    clin = pd.DataFrame({"age": [40.0, 50.0, 60.0, 70.0], "er": [1.0, 0.0, 1.0, 1.0]})
    out = age_by_endpoint(clin, ["os", "rfs", "os", "dmfs"])
    assert list(out.columns) == ["age@dmfs", "age@os", "age@rfs", "er"]
    assert out["age@os"].tolist()[0] == 40.0 and np.isnan(out["age@os"].iloc[1])
    assert out["age@rfs"].notna().sum() == 1 and out["age@dmfs"].iloc[3] == 70.0
    # one endpoint: unchanged; an endpoint without any recorded age gets no column
    assert age_by_endpoint(clin, ["os"] * 4).equals(clin)
    gap = clin.assign(age=[40.0, 50.0, np.nan, np.nan])
    assert list(age_by_endpoint(gap, ["os", "os", "dmfs", "dmfs"]).columns) == ["age@os", "er"]
    with pytest.raises(InputError, match="4 samples"):
        age_by_endpoint(clin, ["os"])


def test_subtype_sets_indicator_and_products():
    from tmeprog.models.feature_sets import family_design, is_clinical_design

    idx = [f"s{i}" for i in range(4)]
    clin = pd.DataFrame({"age": [40.0, 50.0, 60.0, 70.0], "er": [1.0, 0.0, np.nan, 0.0]},
                        index=idx)
    feats = pd.DataFrame({"cell_t": [1.0, 2.0, 3.0, 4.0], "til": [0.5, -0.5, 1.0, 2.0]},
                         index=idx)
    sets = design_matrices(clin, feats, ["tme+subtype", "clinical+tme+subtype"],
                           endpoints=["os", "os", "rfs", "rfs"])
    t = sets["tme+subtype"]
    assert list(t.columns) == ["cell_t", "til", "er_negative", "cell_t:er_negative",
                               "til:er_negative"]
    assert t["er_negative"].tolist()[:2] == [0.0, 1.0] and np.isnan(t["er_negative"].iloc[2])
    # product = feature in ER-negative tumours, 0 in ER-positive, missing where ER is
    np.testing.assert_array_equal(t["cell_t:er_negative"].to_numpy(), [0.0, 2.0, np.nan, 4.0])
    c = sets["clinical+tme+subtype"]
    assert "er" not in c.columns and {"age@os", "age@rfs", "er_negative"} <= set(c.columns)
    assert [is_clinical_design(x) for x in c.columns].count(True) == 3
    trees = family_design("rsf", c)
    assert not any(x.endswith(":er_negative") for x in trees.columns)
    assert "er_negative" in trees.columns and family_design("coxnet", c) is c
    with pytest.raises(InputError, match="subtype_calls"):
        design_matrices(clin.drop(columns="er"), feats, ["tme+subtype"])


def test_refresh_interactions_recomputes_products_from_rescaled_features():
    from tmeprog.models.feature_sets import refresh_interactions

    X = pd.DataFrame({"f": [1.0, 2.0, 3.0], "er_negative": [1.0, 0.0, np.nan],
                      "f:er_negative": [1.0, 0.0, np.nan]})
    X["f"] = [10.0, 20.0, 30.0]
    out = refresh_interactions(X)
    np.testing.assert_array_equal(out["f:er_negative"].to_numpy(), [10.0, 0.0, np.nan])
    plain = X.drop(columns="f:er_negative")
    assert refresh_interactions(plain).equals(plain)
