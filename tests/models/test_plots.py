import io

import numpy as np
import pandas as pd
import pytest

from tmeprog.errors import InputError
from tmeprog.models.metrics import calibration_table
from tmeprog.models.plots import calibration_plot, forest_plot, km_by_risk_group, risk_groups


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    data = buf.getvalue()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    return data


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(lambda o: hasattr(o, "get_text"))]


def test_km_plot_lines_pvalue_and_risk_table(sim):
    from sksurv.compare import compare_survival

    _, y, lp = sim
    fig = km_by_risk_group(y, lp, title="Simulated")
    _png(fig)
    ax, tab = fig.axes
    km_lines = [ln for ln in ax.get_lines() if str(ln.get_gid()).startswith("km:")]
    assert [ln.get_gid() for ln in km_lines] == ["km:Low", "km:Intermediate", "km:High"]
    # log-rank p from an independent implementation (scikit-survival)
    p_ref = compare_survival(y, risk_groups(lp, 3))[1]
    assert fig.logrank_p == pytest.approx(p_ref, rel=1e-6)
    expect = "log-rank p < 0.001" if p_ref < 0.001 else f"log-rank p = {p_ref:.3f}"
    assert expect in _texts(fig)
    assert ax.get_ylabel() == "Survival probability"
    assert tab.get_xlabel() == "Time (months)"
    # numbers at risk at t = 0 are the group sizes
    at0 = sorted(int(t.get_text()) for t in tab.texts if t.get_position()[0] == 0)
    assert at0 == sorted(np.bincount(risk_groups(lp, 3))[1:].tolist())


def test_km_plot_bad_input(sim):
    _, y, lp = sim
    with pytest.raises(InputError, match="risk scores"):
        km_by_risk_group(y, lp[:-1])


def test_forest_plot_elements():
    screen = pd.DataFrame({
        "feature": ["a", "b", "c"], "stratum": "all", "adjusted": False,
        "hr": [1.5, 0.7, np.nan], "ci_low": [1.1, 0.5, np.nan], "ci_high": [2.0, 0.95, np.nan],
        "fdr": [0.01, 0.2, np.nan],
    })
    fig = forest_plot(screen, title="Screen")
    _png(fig)
    ax = fig.axes[0]
    assert len([ln for ln in ax.get_lines() if ln.get_gid() == "hr"]) == 2  # NaN row skipped
    assert ax.get_xscale() == "log"
    assert "1.50 (1.10-2.00), FDR 0.01" in _texts(fig)
    top = max(ax.get_yticklabels(), key=lambda t: t.get_position()[1])
    assert top.get_text() == "a"  # first row on top
    with pytest.raises(InputError):
        forest_plot(screen, stratum="ER+")


def test_calibration_plot(sim):
    _, y, lp = sim
    table = calibration_table(y, np.exp(-np.exp(lp) * 0.8), 60.0)
    fig = calibration_plot(table)
    _png(fig)
    ax = fig.axes[0]
    assert any(ln.get_gid() == "ideal" for ln in ax.get_lines())
    pts = [c for c in ax.containers]
    assert len(pts) == 1 and len(pts[0].lines[0].get_xdata()) == 3
    assert ax.get_xlabel() == "Predicted 5-year event probability"
