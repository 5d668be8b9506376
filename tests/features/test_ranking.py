"""Bucketed within-sample ranking equals a full stable sort, on every kind of data."""

import numpy as np
import pytest

from tmeprog.features.ranking import rank_chunk


def full_sort_ranks(x: np.ndarray, cols: np.ndarray):
    """Reference: lexsort of each row (decreasing value, ties in column order)."""
    n = x.shape[1]
    pos = np.empty((len(x), len(cols)), np.int64)
    first, last = pos.copy(), pos.copy()
    for r, row in enumerate(x.astype(np.float64)):
        order = np.lexsort((np.arange(n), -row))
        inv = np.empty(n, np.int64)
        inv[order] = np.arange(n)
        srt = row[order]
        new_run = np.r_[True, srt[1:] != srt[:-1]]
        run_first = np.maximum.accumulate(np.where(new_run, np.arange(n), 0))
        end_run = np.r_[srt[1:] != srt[:-1], True]
        run_last = np.minimum.accumulate(np.where(end_run, np.arange(n), n)[::-1])[::-1]
        pos[r] = inv[cols]
        first[r] = run_first[inv[cols]]
        last[r] = run_last[inv[cols]]
    return pos, first, last


def _data(kind: str, rng, rows: int, n: int) -> np.ndarray:
    if kind == "normal":
        return rng.normal(8, 2, (rows, n))
    if kind == "few_levels":  # heavy ties
        return rng.integers(0, 4, (rows, n)).astype(float)
    if kind == "signed_zeros":  # -0.0 must tie with 0.0, as in R
        z = np.where(rng.random((rows, n)) < 0.5, 0.0, -0.0)
        return z + (rng.random((rows, n)) < 0.3) * rng.integers(0, 3, (rows, n))
    if kind == "linear_scale":  # skewed: most genes fall in one value bucket
        return np.exp(rng.normal(0, 5, (rows, n)))
    if kind == "rnaseq_zeros":
        return np.where(rng.random((rows, n)) < 0.3, 0.0, rng.gamma(2, 2, (rows, n)))
    if kind == "constant":
        return np.full((rows, n), 3.0)
    if kind == "extreme":  # a span that overflows to infinity
        x = rng.normal(size=(rows, n))
        x[:, 0], x[:, -1] = 1.7e308, -1.7e308
        return x
    raise AssertionError(kind)


KINDS = ["normal", "few_levels", "signed_zeros", "linear_scale", "rnaseq_zeros", "constant",
         "extreme"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_equals_full_sort(kind, dtype):
    rng = np.random.default_rng(2 * KINDS.index(kind) + (dtype is np.float32))
    for n in (1, 2, 37, 500):
        with np.errstate(over="ignore"):  # float32 cannot hold the "extreme" values
            x = _data(kind, rng, 5, n).astype(dtype)
        if dtype is np.float32:
            x = np.where(np.isfinite(x), x, 0).astype(dtype)
        cols = rng.integers(0, n, 2 * n + 1)  # repeats and any order
        got = rank_chunk(x, cols)
        want = full_sort_ranks(x, cols)
        assert got.n == n
        for name, w in zip(("pos", "first", "last"), want, strict=True):
            np.testing.assert_array_equal(getattr(got, name), w, err_msg=f"{kind} n={n} {name}")


def test_universe_subset_without_copy():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 50, (4, 300)).astype(np.float32)
    use = rng.permutation(300)[:200]  # a subset of columns, in a chosen gene order
    cols = rng.integers(0, 200, 90)
    got = rank_chunk(x, cols, use=use)
    want = full_sort_ranks(x[:, use], cols)
    np.testing.assert_array_equal(got.pos, want[0])
    np.testing.assert_array_equal(got.first, want[1])
    np.testing.assert_array_equal(got.last, want[2])


def test_one_sample_alone_equals_in_block():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(6, 400))
    cols = np.arange(0, 400, 7)
    block = rank_chunk(x, cols)
    for r in range(6):
        alone = rank_chunk(x[r:r + 1], cols)
        np.testing.assert_array_equal(alone.pos[0], block.pos[r])


def test_ranks_helpers_match_r_conventions():
    x = np.array([[5.0, 3.0, 3.0, 1.0, 3.0]])
    r = rank_chunk(x, np.arange(5))
    # R: rank(x, ties.method="min") = 5 2 2 1 2; as.integer(rank(x)) = 5 3 3 1 3
    np.testing.assert_array_equal(r.min_rank()[0], [5, 2, 2, 1, 2])
    np.testing.assert_array_equal(r.truncated_average_rank()[0], [5, 3, 3, 1, 3])
    np.testing.assert_array_equal(r.pos[0], [0, 1, 2, 4, 3])
