"""Landmark outcome from survival data: labels, IPCW weights (against lifelines), exclusion."""

from __future__ import annotations

import numpy as np
import pytest
from lifelines import KaplanMeierFitter
from sksurv.util import Surv

from tmeprog.errors import InputError
from tmeprog.models.landmark import landmark_outcome, landmark_target


def _surv(event, time):
    return Surv.from_arrays(np.asarray(event, bool), np.asarray(time, float))


def _lifelines_left_limit(time, event, at):
    """G(t-) from lifelines' Kaplan-Meier fitted on the censoring indicator."""
    kmf = KaplanMeierFitter().fit(time, event_observed=1 - np.asarray(event, int))
    before = np.nextafter(np.asarray(at, float), -np.inf)
    return kmf.survival_function_at_times(before).to_numpy()


def test_labels_on_hand_made_cases():
    # event before H, event at H, censored at H, censored before H, event after H, followed past H
    y = _surv([1, 1, 0, 0, 1, 0], [10, 60, 60, 30, 80, 90])
    out = landmark_outcome(y, horizon=60, method="exclude")
    np.testing.assert_array_equal(out["outcome"].to_numpy(),
                                  [1.0, 1.0, 0.0, np.nan, 0.0, 0.0])
    np.testing.assert_array_equal(out["weight"].to_numpy(), [1, 1, 1, 0, 1, 1])
    assert out.attrs["n_censored_before"] == 1
    assert out.attrs["n_events"] == 2 and out.attrs["n_event_free"] == 3


@pytest.mark.parametrize("horizon", [24.0, 60.0])
def test_ipcw_weights_match_lifelines_censoring_km(horizon):
    rng = np.random.default_rng(3)
    n = 300
    t_event = rng.exponential(70, n)
    t_cens = rng.uniform(5, 120, n)
    time = np.round(np.minimum(t_event, t_cens), 0) + 1  # rounding creates ties
    event = t_event <= t_cens
    time[:3] = horizon  # ties at the horizon: an event and two censorings
    event[:3] = [True, False, False]
    out = landmark_outcome(_surv(event, time), horizon=horizon, method="ipcw")
    known = out["known"].to_numpy()
    expected = 1.0 / _lifelines_left_limit(time, event, np.minimum(time, horizon))
    np.testing.assert_allclose(out["weight"].to_numpy()[known], expected[known], rtol=1e-12)
    assert (out["weight"].to_numpy()[~known] == 0).all()
    assert (~known == (~event & (time < horizon))).all()


def test_ipcw_event_rate_reproduces_kaplan_meier():
    rng = np.random.default_rng(7)
    n = 2000
    t_event = rng.weibull(1.3, n) * 80
    t_cens = rng.uniform(10, 150, n)
    time = np.minimum(t_event, t_cens)  # continuous: no ties
    event = t_event <= t_cens
    out = landmark_outcome(_surv(event, time), horizon=60)
    w, o = out["weight"].to_numpy(), out["outcome"].fillna(0).to_numpy()
    km = KaplanMeierFitter().fit(time, event).survival_function_at_times([60.0]).iloc[0]
    assert np.sum(w * o) / np.sum(w) == pytest.approx(1 - km, abs=1e-10)
    excl = landmark_outcome(_surv(event, time), horizon=60, method="exclude")
    naive = excl["outcome"].mean()
    assert naive > 1 - km + 0.02  # excluding early censoring over-counts events


def test_landmark_target_on_bundled_cohort():
    from tmeprog.cohorts import load_cohort

    c = load_cohort("gse3143")
    out = landmark_target(c, "os", horizon=60)
    y = c.with_endpoint("os").survival("os")
    assert out.index.equals(c.with_endpoint("os").samples)
    assert out.attrs["n_events"] == int((y["event"] & (y["time"] <= 60)).sum())
    assert out.attrs["endpoint"] == "os"


def test_bad_inputs_raise():
    y = _surv([1, 0, 1, 0], [5, 70, 20, 80])
    with pytest.raises(InputError, match="method"):
        landmark_outcome(y, method="drop")
    with pytest.raises(InputError, match="single class"):
        landmark_outcome(y, horizon=2)  # nobody has an event by 2 months
    with pytest.raises(InputError, match="structured"):
        landmark_outcome(np.array([1.0, 2.0]))
    with pytest.raises(InputError, match="horizon"):
        landmark_outcome(y, horizon=-1)
