"""Parquet writer/reader of SHAP tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tmeprog.errors import InputError
from tmeprog.explain import ShapExplanation, explain, read_shap_table, write_shap_table
from tmeprog.explain.result import BASE_COLUMN, OUTPUT_COLUMN


def test_round_trip_keeps_values_index_and_metadata(rsf4, surv4, tmp_path):
    X, _ = surv4
    res = explain(rsf4, X.iloc[:12])
    path = write_shap_table(res, tmp_path / "shap.parquet")
    assert [p.name for p in tmp_path.iterdir()] == ["shap.parquet"]  # no temporary left
    back = read_shap_table(path)
    pd.testing.assert_frame_equal(back.values, res.values)
    assert back.base_value == res.base_value and back.output == res.output
    assert back.compartments == res.compartments and back.data is None
    raw = pd.read_parquet(path)
    assert list(raw.columns) == [*X.columns, BASE_COLUMN, OUTPUT_COLUMN]
    np.testing.assert_allclose(raw[OUTPUT_COLUMN], rsf4.predict(X.iloc[:12]), rtol=1e-12)


def test_refuses_to_overwrite_unless_asked(rsf4, surv4, tmp_path):
    X, _ = surv4
    res = explain(rsf4, X.iloc[:3])
    path = tmp_path / "shap.parquet"
    path.write_text("user file")
    with pytest.raises(InputError, match="exists"):
        write_shap_table(res, path)
    assert path.read_text() == "user file"
    write_shap_table(res, path, overwrite=True)
    assert len(read_shap_table(path).values) == 3


def test_bad_paths_and_clashing_names(tmp_path):
    vals = pd.DataFrame({BASE_COLUMN: [0.1], "a": [0.2]})
    res = ShapExplanation(vals, 0.0, "x", "m", "M", "b")
    with pytest.raises(InputError, match="clash"):
        write_shap_table(res, tmp_path / "a.parquet")
    ok = ShapExplanation(pd.DataFrame({"a": [0.2]}), 0.0, "x", "m", "M", "b")
    with pytest.raises(InputError, match="does not exist"):
        write_shap_table(ok, tmp_path / "missing" / "a.parquet")
    pd.DataFrame({"a": [1.0]}).to_parquet(tmp_path / "plain.parquet")
    with pytest.raises(InputError, match="not a tmeprog SHAP table"):
        read_shap_table(tmp_path / "plain.parquet")
