import numpy as np
import pandas as pd
import pytest

from tmeprog.errors import InputError
from tmeprog.models.inputs import FeatureDroppedWarning, as_frame, check_survival_y
from tmeprog.models.preprocess import MedianStandardScaler


def test_statistics_come_from_fit_rows_only():
    train = pd.DataFrame({"a": [1.0, 2.0, np.nan, 10.0], "b": [0.0, 1.0, 0.0, 1.0]})
    test = pd.DataFrame({"a": [np.nan, 100.0], "b": [5.0, np.nan]})
    sc = MedianStandardScaler().fit(train)
    a_imp = np.array([1.0, 2.0, 2.0, 10.0])  # median of 1, 2, 10
    out = sc.transform(test)
    assert out.loc[0, "a"] == pytest.approx((2.0 - a_imp.mean()) / a_imp.std())
    assert out.loc[1, "a"] == pytest.approx((100.0 - a_imp.mean()) / a_imp.std())
    assert out.loc[1, "b"] == pytest.approx((0.5 - 0.5) / 0.5)
    tr = sc.transform(train)
    np.testing.assert_allclose(tr.mean().to_numpy(), 0, atol=1e-12)
    np.testing.assert_allclose(tr.std(ddof=0).to_numpy(), 1)


def test_all_missing_and_constant_columns_dropped_with_warning():
    X = pd.DataFrame({"ok": [1.0, 2.0, 3.0], "empty": [np.nan] * 3, "flat": [4.0, 4.0, np.nan]})
    with pytest.warns(FeatureDroppedWarning, match="empty .all values missing.*flat .constant"):
        sc = MedianStandardScaler().fit(X)
    assert sc.features_out_ == ["ok"]
    assert list(sc.transform(X).columns) == ["ok"]
    with pytest.raises(InputError, match="all-missing or constant"):
        MedianStandardScaler(drop_constant=False).fit(X)


def test_no_usable_column_and_missing_columns_raise():
    with pytest.raises(InputError, match="no usable feature"), pytest.warns(FeatureDroppedWarning):
        MedianStandardScaler().fit(pd.DataFrame({"x": [1.0, 1.0]}))
    sc = MedianStandardScaler().fit(pd.DataFrame({"x": [1.0, 2.0], "z": [0.0, 1.0]}))
    with pytest.raises(InputError, match=r"missing at prediction: \['z'\]"):
        sc.transform(pd.DataFrame({"x": [1.0]}))


def test_as_frame_rejects_bad_tables():
    with pytest.raises(InputError, match="non-numeric"):
        as_frame(pd.DataFrame({"a": ["x", "y"]}))
    with pytest.raises(InputError, match="infinite"):
        as_frame(pd.DataFrame({"a": [1.0, np.inf]}))
    with pytest.raises(InputError, match="duplicated"):
        as_frame(pd.DataFrame([[1.0, 2.0]], columns=["a", "a"]))
    assert list(as_frame(np.zeros((2, 2))).columns) == ["x0", "x1"]


def test_check_survival_y():
    from sksurv.util import Surv

    y = Surv.from_arrays([True] * 9 + [False], np.arange(1.0, 11.0))
    with pytest.raises(InputError, match="only 9 events"):
        check_survival_y(y)
    assert check_survival_y(y, min_events=None).dtype.names == ("event", "time")
    bad = Surv.from_arrays([True, False], [0.0, 2.0])
    with pytest.raises(InputError, match="> 0"):
        check_survival_y(bad, min_events=None)
    with pytest.raises(InputError, match="structured array"):
        check_survival_y(np.ones(3))
