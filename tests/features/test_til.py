import numpy as np
import pytest
from sklearn.base import clone

from tmeprog.errors import InputError
from tmeprog.features.til import TILCalibrator


def _paired(n=200, seed=0):
    rng = np.random.default_rng(seed)
    score = rng.normal(1500, 800, size=n)
    pct = np.clip(100 / (1 + np.exp(-(score - 1500) / 400)) + rng.normal(0, 5, n), 0, 100)
    return score, pct


def test_monotone_map_within_0_100_and_reports_agreement():
    score, pct = _paired()
    cal = TILCalibrator().fit(score, pct)
    grid = np.linspace(-2000, 5000, 50)
    mapped = cal.transform(grid)
    assert (np.diff(mapped) >= 0).all() and mapped.min() >= 0 and mapped.max() <= 100
    assert cal.spearman_ > 0.8 and cal.cv_mae_ < 10 and cal.n_ == 200
    # an independent check: the map tracks the generating curve in the bulk of the data
    mid = np.array([1000.0, 1500.0, 2000.0])
    truth = 100 / (1 + np.exp(-(mid - 1500) / 400))
    assert np.abs(cal.transform(mid) - truth).max() < 10


def test_nan_in_nan_out_and_missing_pairs_skipped():
    score, pct = _paired()
    pct[:10] = np.nan
    cal = TILCalibrator().fit(score, pct)
    assert cal.n_ == 190
    assert np.isnan(cal.transform([np.nan, 1.0])[0])


@pytest.mark.parametrize("pct, msg", [(np.full(200, 150.0), "between 0 and 100"),
                                      (np.full(200, np.nan), "at least 20")])
def test_bad_input(pct, msg):
    with pytest.raises(InputError, match=msg):
        TILCalibrator().fit(np.arange(200.0), pct)


def test_clone():
    assert clone(TILCalibrator(n_splits=3)).get_params()["n_splits"] == 3
