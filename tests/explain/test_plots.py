"""Figures: created without pyplot state, named in order, patient plots only on request."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from tmeprog.errors import InputError
from tmeprog.explain import explain, read_shap_table, write_shap_table
from tmeprog.explain.plots import (
    beeswarm,
    compartment_bar,
    dependence,
    figure_name,
    save_figures,
    waterfall,
)


@pytest.fixture(scope="module")
def expl(rsf4, surv4):
    return explain(rsf4, surv4[0].iloc[:60])


def test_each_plot_returns_a_figure_and_leaves_pyplot_alone(expl):
    before = plt.get_fignums()
    figs = [beeswarm(expl), compartment_bar(expl), dependence(expl, "cell_cd8_t", "age"),
            waterfall(expl, expl.values.index[0], max_display=2)]
    assert all(isinstance(f, Figure) for f in figs)
    assert plt.get_fignums() == before
    # waterfall: first bar starts at the base value, the last ends at the sample's output
    bars = figs[3].axes[0].patches
    assert len(bars) == 3  # 2 features + "other features"
    row = expl.values.iloc[0]
    assert bars[0].get_x() == pytest.approx(expl.base_value)
    assert bars[-1].get_x() + bars[-1].get_width() == pytest.approx(expl.base_value + row.sum())
    assert abs(bars[-1].get_width()) == pytest.approx(row.abs().max())


def test_save_figures_naming_and_privacy(expl, tmp_path):
    paths = save_figures(expl, tmp_path / "figs", top_dependence=2, dpi=60)
    names = [p.name for p in paths]
    assert names == sorted(names)
    assert names[:2] == ["shap_01_beeswarm.png", "shap_02_compartments.png"]
    assert all(n.startswith("shap_03_dependence_") for n in names[2:])
    assert not any("waterfall" in n for n in names)  # no patient plot unless asked
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in paths)
    with pytest.raises(InputError, match="already holds"):
        save_figures(expl, tmp_path / "figs", top_dependence=0)
    pid = expl.values.index[3]
    more = save_figures(expl, tmp_path / "figs", top_dependence=0, patients=[pid],
                        overwrite=True, dpi=60)
    assert more[-1].name == f"shap_04_waterfall_{pid}.png"


def test_names_and_errors(expl, tmp_path):
    assert figure_name("dependence", "CD8+ T cells/ratio") == \
        "shap_03_dependence_CD8+_T_cells_ratio.png"
    with pytest.raises(InputError, match="not in the explanation"):
        dependence(expl, "nope")
    with pytest.raises(InputError, match="sample"):
        waterfall(expl, "nobody")
    back = read_shap_table(write_shap_table(expl, tmp_path / "s.parquet"))
    with pytest.raises(InputError, match="holds no feature values"):
        dependence(back, "age")
    assert isinstance(beeswarm(back), Figure)  # no data: grey beeswarm still works
