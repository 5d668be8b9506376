"""score_signatures: single-sample stability, chunking, streaming, and input policy."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from tmeprog.errors import InputError
from tmeprog.features import (
    DroppedGenesWarning,
    ZScoreReference,
    score_chunks,
    score_signatures,
)
from tmeprog.features.scoring import parse_signatures

from .test_ssgsea import read_fixture


@pytest.fixture(scope="module")
def real():
    """gse3143 subset (158 samples x 2,000 genes, many ties) and ten gene sets."""
    expr, sets, _ = read_fixture()
    return expr, sets


def _methods(expr, sets):
    ref = ZScoreReference().fit(expr)
    updown = {k: {g: (1 if i % 3 else -1) for i, g in enumerate(v)} for k, v in sets.items()}
    weighted = {k: {g: 0.5 + i % 4 for i, g in enumerate(v)} for k, v in sets.items()}
    return [
        ("ssgsea", sets, {}),
        ("singscore", sets, {}),
        ("singscore", updown, {}),
        ("singscore", sets, {"known_direction": False}),
        ("zscore", weighted, {"reference": ref}),
    ]


def test_a_patient_scored_alone_gets_their_cohort_score(real):
    expr, sets = real
    rows = [0, 17, 101, 157]
    for method, sigs, kw in _methods(expr, sets):
        cohort = score_signatures(expr, sigs, method, **kw)
        alone = pd.concat([score_signatures(expr.iloc[[i]], sigs, method, **kw) for i in rows])
        # bitwise: per-sample ranks, and sums that do not depend on the chunk
        np.testing.assert_array_equal(alone.to_numpy(), cohort.iloc[rows].to_numpy(),
                                      err_msg=method)


def test_chunk_size_threads_and_stream_do_not_change_scores(real):
    expr, sets = real
    for method, sigs, kw in _methods(expr, sets):
        base = score_signatures(expr, sigs, method, **kw)
        for opts in ({"chunk_size": 1}, {"chunk_size": 13, "n_jobs": 2}):
            np.testing.assert_array_equal(
                score_signatures(expr, sigs, method, **opts, **kw).to_numpy(), base.to_numpy())
        pieces = (expr.iloc[i:i + 40] for i in range(0, len(expr), 40))
        streamed = pd.concat(list(score_chunks(pieces, sigs, method, chunk_size=7, **kw)))
        pd.testing.assert_frame_equal(streamed, base, check_freq=False)


def test_stream_replans_when_columns_change(real):
    # singscore is invariant to column order, so a permuted chunk must score the same.
    expr, sets = real
    perm = expr.columns[::-1]
    chunks = [expr.iloc[:50], expr.iloc[50:100][perm], expr.iloc[100:]]
    got = pd.concat(list(score_chunks(iter(chunks), sets, "singscore")))
    np.testing.assert_array_equal(got.to_numpy(),
                                  score_signatures(expr, sets, "singscore").to_numpy())


def test_output_shape_and_attrs(real):
    expr, sets = real
    out = score_signatures(expr.iloc[:3], sets, "ssgsea")
    assert out.shape == (3, len(sets)) and list(out.columns) == list(sets)
    assert out.index.equals(expr.index[:3]) and (out.dtypes == np.float64).all()
    assert out.attrs["method"] == "ssgsea" and out.attrs["n_genes_dropped_nan"] == 0
    assert out.attrs["n_genes_used"]["B_cells"] == sum(g in expr for g in sets["B_cells"])


def _small(n_genes=1200, n_samples=4, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(size=(n_samples, n_genes)),
                        index=[f"S{i}" for i in range(n_samples)],
                        columns=[f"G{i}" for i in range(n_genes)])


SIG = {"a": ["G1", "G2", "G3"], "b": ["G10", "G11"]}


def test_missing_values_raise_by_default_naming_the_cell():
    x = _small()
    x.iloc[2, 7] = np.nan
    with pytest.raises(InputError, match=r"sample 'S2', gene 'G7'.*drop_genes"):
        score_signatures(x, SIG)


def test_drop_genes_policy_drops_and_reports():
    x = _small()
    x.iloc[2, 7] = np.nan
    x.iloc[0, 2] = np.nan
    with pytest.warns(DroppedGenesWarning, match="dropped 2 of 1200"):
        got = score_signatures(x, SIG, nan_policy="drop_genes")
    assert got.attrs["n_genes_dropped_nan"] == 2 and got.attrs["n_genes_used"]["a"] == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        want = score_signatures(x.drop(columns=["G7", "G2"]), SIG)
    np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())


@pytest.mark.parametrize(("mutate", "kwargs", "match"), [
    (lambda x: x.rename(columns={"G5": "G4"}), {}, "duplicated gene columns.*G4"),
    (lambda x: x.iloc[:, :999], {}, "999 genes.*at least 1000"),
    (lambda x: x.assign(G3=np.inf), {}, "infinite value.*'G3'"),
    (lambda x: x.assign(G3="a"), {}, "non-numeric"),
    (lambda x: x.to_numpy(), {}, "pandas DataFrame"),
    (lambda x: x, {"method": "plage"}, "unknown scoring method"),
    (lambda x: x, {"alpha": 1, "method": "singscore"}, "no option 'alpha'"),
    (lambda x: x, {"method": "zscore"}, "frozen reference"),
    (lambda x: x, {"reference": ZScoreReference()}, "takes no reference"),
    (lambda x: x, {"nan_policy": "ignore"}, "nan_policy"),
    (lambda x: x, {"chunk_size": 0}, "chunk_size"),
])
def test_bad_input_is_named(mutate, kwargs, match):
    with pytest.raises(InputError, match=match):
        score_signatures(mutate(_small()), SIG, **kwargs)


def test_min_genes_is_configurable_and_zscore_needs_no_genome():
    x = _small(n_genes=50)
    assert score_signatures(x, SIG, min_genes=10).notna().all().all()
    ref = ZScoreReference().fit(x)
    assert score_signatures(x, SIG, "zscore", reference=ref).notna().all().all()


@pytest.mark.parametrize(("sigs", "method", "match"), [
    ({}, "ssgsea", "non-empty mapping"),
    ({"a": "CD8A"}, "ssgsea", "list of genes"),
    ({"a": []}, "ssgsea", "no genes"),
    ({"a": {"G1": 0.0}}, "zscore", "finite and non-zero"),
    ({"a": {"G1": 2.0, "G2": 1.0}}, "ssgsea", "unweighted"),
    ({"a": {"G1": 0.5}}, "singscore", r"\+1 \(up\) and -1"),
])
def test_bad_signatures_are_named(sigs, method, match):
    with pytest.raises(InputError, match=match):
        score_signatures(_small(), sigs, method, min_genes=10)


def test_parse_signatures_dedupes_in_order():
    (s,) = parse_signatures({"a": ["G2", "G1", "G2"]})
    assert s.genes == ("G2", "G1") and s.weights.tolist() == [1.0, 1.0]


def test_undirected_singscore_refuses_down_genes():
    with pytest.raises(InputError, match="down genes"):
        score_signatures(_small(), {"a": {"G1": 1, "G2": -1}}, "singscore",
                         known_direction=False)
