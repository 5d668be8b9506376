"""PROGENy activities: PROGENy's own statistic (scaled weighted sum) computed independently,
decoupler's weighted sum on the same weights, per-sample independence, the bundled model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tmeprog.errors import InputError
from tmeprog.features.coverage import CoverageWarning
from tmeprog.features.progeny import Progeny, feature_name, progeny_features
from tmeprog.signatures.references import load_progeny

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data" / "reference" / "PROGENy_human_top100_14pathways.csv"
BUNDLED = ROOT / "tmeprog" / "signatures" / "data" / "progeny"


@pytest.fixture(scope="module")
def expr() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    genes = list(load_progeny().index[::2]) + [f"OTHER{i}" for i in range(300)]
    x = rng.normal(6, 1.5, size=(40, len(genes))) + rng.normal(0, 1, size=(1, len(genes)))
    return pd.DataFrame(x, columns=genes, index=[f"p{i}" for i in range(40)])


def test_names_and_model():
    w = load_progeny()
    assert w.shape == (1301, 14) and ((w != 0).sum(axis=0) == 100).all()
    assert feature_name("JAK-STAT") == "progeny_jak_stat"
    assert feature_name("TGFb") == "progeny_tgfb" and feature_name("p53") == "progeny_p53"
    assert len(set(progeny_features())) == 14


@pytest.mark.skipif(not SHARED.is_file(), reason="shared reference data absent")
def test_bundled_model_equals_shared_copy_and_renames_agree():
    from tmeprog.cohorts.gene_map import resolve_identifiers

    assert (BUNDLED / "PROGENy_human_top100_14pathways.csv").read_bytes() == SHARED.read_bytes()
    raw = pd.read_csv(SHARED, index_col=0).index
    d = resolve_identifiers(raw)
    a = d[d["kind"] == "alias"]
    table = json.loads((BUNDLED.parent / "reference_symbols.json").read_text())
    assert table["progeny"] == dict(zip(a["id"], a["symbol"], strict=True))
    assert "TBXT" in load_progeny().index  # published as T


def test_equals_progeny_scaled_weighted_sum_on_the_fitting_cohort(expr):
    # PROGENy: result = t(expr[common, ]) %*% model[common, ]; scale(result)
    w = load_progeny()
    common = [g for g in w.index if g in expr.columns]
    raw = expr[common].to_numpy() @ w.loc[common].to_numpy()
    want = (raw - raw.mean(axis=0)) / raw.std(axis=0, ddof=1)
    got = Progeny(min_coverage=0.4).fit_transform(expr)
    assert list(got.columns) == list(progeny_features())
    np.testing.assert_allclose(got.to_numpy(), want, atol=1e-10)


def test_weighted_sum_equals_decouplers(expr):
    dc = pytest.importorskip("decoupler")
    w = load_progeny()
    net = w.stack().reset_index()
    net.columns = ["target", "source", "weight"]
    net = net[net["weight"] != 0]
    es = dc.mt.waggr(expr, net, fun="wsum", times=1, tmin=1)[0]
    es = es[list(w.columns)]
    est = Progeny(min_coverage=0.4).fit(expr)
    # ours is decoupler's weighted sum, centred and scaled over the fitting samples
    ours = est.transform(expr).to_numpy() * est.sd_.to_numpy()
    d = es.to_numpy()
    np.testing.assert_allclose(ours, d - d.mean(axis=0), atol=1e-8)


def test_a_patient_alone_gets_the_cohort_score(expr):
    est = Progeny(min_coverage=0.4).fit(expr.iloc[:30])
    cohort = est.transform(expr.iloc[30:])
    alone = est.transform(expr.iloc[[33]])
    pd.testing.assert_frame_equal(alone, cohort.loc[["p33"]], check_exact=True)


def test_low_coverage_pathways_are_nan_with_a_warning(expr):
    with pytest.warns(CoverageWarning, match="progeny_"):
        est = Progeny(min_coverage=0.6).fit(expr)  # about half of each footprint present
    out = est.transform(expr)
    low = est.coverage_ < 0.6
    assert low.any()
    assert out.loc[:, low.to_numpy()].isna().all().all()
    assert out.loc[:, (~low).to_numpy()].notna().all().all()


def test_missing_gene_counts_at_its_mean(expr):
    est = Progeny(min_coverage=0.4).fit(expr)
    g = est.mean_.index[0]
    one = expr.iloc[[0]].copy()
    at_mean = one.assign(**{g: est.mean_[g]})
    missing = one.assign(**{g: np.nan})
    pd.testing.assert_frame_equal(est.transform(missing), est.transform(at_mean))


def test_bad_input(expr):
    with pytest.raises(InputError, match="at least 2"):
        Progeny().fit(expr.iloc[:1])
    with pytest.raises(InputError, match="infinite"):
        Progeny(min_coverage=0.4).fit(expr.assign(**{expr.columns[0]: np.inf}))
