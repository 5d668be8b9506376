"""quanTIseq deconvolution: the pipeline's own test output, exact recovery of known mixtures,
an independent solver, per-sample independence, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from tmeprog.errors import InputError
from tmeprog.features import DeconvolutionWarning, QuanTIseq, deconvolve
from tmeprog.features.deconvolution import CELL_COLUMNS, FRACTION_FEATURES, _solve
from tmeprog.signatures.references import load_til10

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data" / "reference" / "quantiseq"
BUNDLED = ROOT / "tmeprog" / "signatures" / "data" / "quantiseq"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="shared reference data absent")
CELLS = list(CELL_COLUMNS.values())


def mixture(x_true: np.ndarray, n_other: int = 3000, seed: int = 0) -> pd.DataFrame:
    """A TPM profile whose TIL10 genes are exactly ``A @ x_true`` after rescaling to 1e6."""
    ref = load_til10()
    sig = ref.signature
    rng = np.random.default_rng(seed)
    b = sig.to_numpy() @ x_true
    other = rng.gamma(0.5, 40.0, size=n_other)
    other *= (1e6 - b.sum()) / other.sum()
    genes = list(sig.index) + [f"FILLER{i}" for i in range(n_other)]
    return pd.DataFrame([np.r_[b, other]], columns=genes, index=["s1"])


@needs_shared
def test_matches_quantiseq_pipeline_output():
    from tmeprog.cohorts.genes import harmonise_genes

    tpm = pd.read_csv(SHARED / "quanTIseq_gene_tpm.txt", sep="\t", index_col=0,
                      engine="pyarrow").T
    want = pd.read_csv(SHARED / "quanTIseq_cell_fractions.txt", sep="\t", index_col=0)
    expr, _ = harmonise_genes(tpm)  # quanTIseq maps outdated symbols too
    # quanTIseq's defaults: RNA-seq, tumor=FALSE, mRNA scaling, lsei
    got = deconvolve(expr, scale="tpm", tumor=False)
    assert list(got.columns) == list(FRACTION_FEATURES)
    frac = got[[*CELLS, "frac_other"]].to_numpy()
    dev = np.abs(frac - want.to_numpy())
    assert dev.max() < 0.005, dev.max()
    np.testing.assert_allclose(frac.sum(axis=1), 1.0, atol=1e-12)
    # the same from log2(TPM + 1), the form cohorts hold it in
    again = deconvolve(np.log2(expr + 1), scale="log2p1", tumor=False)
    np.testing.assert_allclose(again.to_numpy(), got.to_numpy(), atol=1e-12)


@needs_shared
def test_bundled_reference_equals_shared_copy():
    for f in ("TIL10_signature.txt", "TIL10_mRNA_scaling.txt", "TIL10_rmgenes.txt",
              "TIL10_TCGA_aberrant_immune_genes.txt", "LICENSE.txt"):
        assert (BUNDLED / f).read_bytes() == (SHARED / f).read_bytes(), f


def test_symbol_renames_agree_with_gene_map():
    from tmeprog.cohorts.gene_map import resolve_identifiers

    table = json.loads((BUNDLED.parent / "reference_symbols.json").read_text())
    raw = pd.read_csv(BUNDLED / "TIL10_signature.txt", sep="\t", index_col=0).index
    d = resolve_identifiers(raw)
    aliases = d[d["kind"] == "alias"]
    assert table["quantiseq"] == dict(zip(aliases["id"], aliases["symbol"], strict=True))
    ref = load_til10()
    assert "TENT5C" in ref.signature.index and "FAM46C" not in ref.signature.index
    assert ref.signature.shape == (170, 10)


def test_recovers_a_known_mixture_exactly():
    ref = load_til10()
    x = np.array([0.03, 0.02, 0.05, 0.01, 0.04, 0.02, 0.06, 0.05, 0.03, 0.01])
    got = deconvolve(mixture(x), scale="linear", tumor=False).iloc[0]
    # expected: quanTIseq's mRNA scaling of the least-squares solution x (exact fit here)
    m = ref.mrna_scaling.to_numpy()
    f = x / m
    f = f / f.sum() * x.sum()
    np.testing.assert_allclose(got[CELLS].to_numpy(), f, atol=1e-9)
    assert got["frac_other"] == pytest.approx(1 - x.sum(), abs=1e-9)
    assert got["immune_fraction"] == pytest.approx(x.sum(), abs=1e-9)
    til = ["frac_b_cells", "frac_t_cells_cd4", "frac_t_cells_cd8", "frac_tregs",
           "frac_nk_cells"]
    assert got["til_fraction"] == pytest.approx(got[til].sum(), abs=1e-12)


def test_treg_correction_applies_below_two_percent():
    ref = load_til10()
    cells = list(ref.signature.columns)
    x = np.full(10, 0.03)
    x[cells.index("Tregs")] = 0.004
    x[cells.index("T.cells.CD4")] = 0.08
    got = deconvolve(mixture(x), scale="linear", tumor=False).iloc[0]
    A = ref.signature.drop(index=list(ref.rnaseq_removed)).to_numpy()
    b = A @ x
    m = ref.mrna_scaling.to_numpy()
    f = _solve(A, b, m)
    keep = [j for j in range(10) if j != cells.index("T.cells.CD4")]
    t2 = _solve(A[:, keep], b, m[keep])[keep.index(cells.index("Tregs"))]
    treg = (f[cells.index("Tregs")] + t2) / 2
    cd4 = max(0.0, f[cells.index("T.cells.CD4")] - (t2 + treg) / 2)
    assert t2 > f[cells.index("Tregs")]  # the correction moves something
    f[cells.index("Tregs")], f[cells.index("T.cells.CD4")] = treg, cd4
    full = np.r_[f, 1 - f.sum()]
    np.testing.assert_allclose(got[[*CELLS, "frac_other"]].to_numpy(), full / full.sum(),
                               atol=1e-9)


def test_solver_matches_an_independent_one():
    # quadprog (dual active set) against SLSQP on the same constrained least squares
    rng = np.random.default_rng(1)
    A = load_til10().signature.to_numpy()
    for trial in range(6):
        x = rng.dirichlet(np.ones(10)) * (1.4 if trial % 2 else 0.3)  # sum > 1: active
        b = np.maximum(A @ x + rng.normal(scale=20, size=len(A)), 0)
        ours = _solve(A, b, np.ones(10))
        s = np.linalg.norm(A, 2)
        res = minimize(lambda f, b=b, s=s: np.sum((A @ f - b) ** 2) / s**2,
                       np.full(10, 0.05), method="SLSQP",
                       jac=lambda f, b=b, s=s: 2 * A.T @ (A @ f - b) / s**2,
                       bounds=[(0, None)] * 10,
                       constraints=[{"type": "ineq", "fun": lambda f: 1 - f.sum()}],
                       options={"ftol": 1e-15, "maxiter": 1000})
        np.testing.assert_allclose(ours, res.x, atol=2e-5)
        assert ours.sum() <= 1 + 1e-9 and (ours >= 0).all()


def test_a_sample_alone_gets_its_cohort_numbers():
    rng = np.random.default_rng(5)
    base = mixture(np.full(10, 0.03))
    rows = base.to_numpy() * rng.lognormal(0, 0.3, size=(12, base.shape[1]))
    expr = np.log2(pd.DataFrame(rows, columns=base.columns) + 1)
    for arrays in (False, True):
        est = QuanTIseq(scale="log2p1", arrays=arrays).fit(expr)
        cohort = est.transform(expr)
        alone = est.transform(expr.iloc[[4]])
        pd.testing.assert_frame_equal(alone, cohort.iloc[[4]], check_exact=True)
        np.testing.assert_allclose(cohort[[*CELLS, "frac_other"]].sum(axis=1), 1, atol=1e-12)


def test_scale_contradicted_by_values_is_an_error():
    tpm = mixture(np.full(10, 0.03))
    with pytest.raises(InputError, match="log2 data"):
        deconvolve(np.log2(tpm + 1), scale="linear")
    with pytest.raises(InputError, match="data are linear"):
        deconvolve(tpm, scale="log2")
    with pytest.raises(InputError, match="negative value"):
        deconvolve(tpm.assign(FILLER3=-1.0), scale="linear")
    with pytest.raises(InputError, match="infinite"):
        deconvolve(np.log2(tpm.assign(FILLER3=0.0)), scale="log2")  # log of 0
    with pytest.raises(InputError, match="scale="):
        deconvolve(tpm, scale="log2_ratio")
    with pytest.raises(InputError, match="unknown deconvolution method"):
        deconvolve(tpm, method="cibersort", scale="linear")


def test_unusable_samples_get_nan_and_one_named_warning():
    rng = np.random.default_rng(2)
    good = np.log2(mixture(np.full(10, 0.03)) + 1)
    ratio = pd.DataFrame(rng.normal(0, 1, size=(1, good.shape[1])), columns=good.columns)
    zero = good * 0
    thin = good.copy()
    thin[list(load_til10().signature.index[:120])] = np.nan  # most signature genes missing
    expr = pd.concat([good, ratio, zero, thin])
    expr.index = ["ok", "ratio_sample", "zero_sample", "thin_sample"]
    with pytest.warns(DeconvolutionWarning) as rec:
        got = deconvolve(expr, scale="log2p1")
    text = " | ".join(str(w.message) for w in rec)
    for s in ("ratio_sample", "zero_sample", "thin_sample"):
        assert s in text
        assert got.loc[s].isna().all()
    assert got.loc["ok"].notna().all()


def test_log_with_a_floor_is_not_taken_for_log_ratios():
    # log2(TPM + 0.001) (as some public exports): many negatives, but a floor at log2(0.001)
    tpm = mixture(np.full(10, 0.03))
    tpm.iloc[0, -1500:] = 0.0
    got = deconvolve(np.log2(tpm + 0.001), scale="log2", tumor=False)
    want = deconvolve(tpm + 0.001, scale="linear", tumor=False)
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), atol=1e-9)
