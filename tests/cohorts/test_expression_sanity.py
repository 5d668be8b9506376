"""Expression sanity: Excel dates as gene names, duplicated genes, absurd values, unusable
samples, cut rows and truncated .gz files; on the pieces and through the whole-file loader
(the pieces that locate damaged text files: tests/tables/test_damage.py)."""

import gzip
import string

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cohorts.test_userfiles import mf
from tmeprog.cohorts import load_cohort
from tmeprog.cohorts.expression_sanity import (
    UnusableSamplesError,
    check_gene_names,
    check_values,
    collapse_duplicates,
    degenerate_samples,
    duplicate_groups,
    is_excel_date,
)
from tmeprog.cohorts.userfiles import load_user_cohort
from tmeprog.errors import InputError

# ----------------------------------------------------------------------------- Excel dates

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@pytest.fixture(scope="module")
def real_symbols() -> list[str]:
    return sorted(set(load_cohort("gse4335").expression.columns) |
                  set(load_cohort("gse1992").expression.columns))


def test_known_mangled_names_are_flagged():
    for label in ["1-Mar", "2-Sep", "1-Dec", "15-SEP", "2-sept", "Mar-01", "Sep-15",
                  "2019-03-01", "2019-03-01 00:00:00", "3/1/2019", "01.03.2019", "1-Mar-19"]:
        assert is_excel_date(label), label


def test_dash_and_month_like_symbols_are_not_flagged(real_symbols):
    for label in ["MARCHF1", "SEPTIN2", "DELEC1", "MARCH1", "SEPT9", "DEC1", "HLA-A", "NKX2-1",
                  "MT-CO1", "OCT4", "MAR1", "SEP15", "MARS1", "C1orf43", "KRT5", "ENSG00000141510"]:
        assert not is_excel_date(label), label
    assert len(real_symbols) > 15000


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_property_no_real_symbol_of_the_bundled_cohorts_is_flagged(real_symbols, data):
    sym = data.draw(st.sampled_from(real_symbols))
    assert not is_excel_date(sym)
    check_gene_names([sym], "x")  # never raises on real symbols


def _case(text: str, mode: int) -> str:
    return [text, text.upper(), text.lower()][mode]


dates = st.one_of(
    st.builds(lambda d, m, c: _case(f"{d}-{m}", c), st.integers(1, 31), st.sampled_from(MONTHS),
              st.integers(0, 2)),
    st.builds(lambda m, y, c: _case(f"{m}-{y:02d}", c), st.sampled_from(MONTHS),
              st.integers(0, 99), st.integers(0, 2)),
    st.builds(lambda y, m, d: f"{y}-{m:02d}-{d:02d}", st.integers(1900, 2099),
              st.integers(1, 12), st.integers(1, 31)),
    st.builds(lambda m, d, y: f"{m}/{d}/{y}", st.integers(1, 12), st.integers(1, 31),
              st.integers(1900, 2099)),
)


@given(label=dates, pad=st.sampled_from(["", " "]))
def test_property_generated_date_strings_are_always_flagged(label, pad):
    assert is_excel_date(pad + label + pad)
    with pytest.raises(InputError, match="look like dates made by Excel"):
        check_gene_names(["TP53", pad + label, "KRT5"], "x")


@given(st.text(alphabet=string.ascii_uppercase, min_size=1, max_size=6),
       st.text(alphabet=string.digits, max_size=3))
def test_property_letters_then_digits_are_never_flagged(letters, digits):
    assert not is_excel_date(letters + digits)


def test_one_error_names_every_mangled_name():
    with pytest.raises(InputError) as exc:
        check_gene_names(["TP53", "1-Mar", "2-Sep", "KRT5", "1-Dec"], "'e.tsv'")
    msg = str(exc.value)
    assert "'e.tsv': 3 gene name(s)" in msg and "'1-Mar', '2-Sep', '1-Dec'" in msg
    assert "formatted as text" in msg


# ----------------------------------------------------------------------------- duplicates


def _dups():
    values = np.array([[1.0, 2.0, 5.0, 1.0, 9.0],
                       [3.0, 2.0, 7.0, 3.0, 1.0],
                       [5.0, np.nan, 9.0, 5.0, 5.0]])
    return pd.DataFrame(values, columns=["A", "B", "C", "A", "C"])  # A: identical copies


def test_duplicates_error_names_genes_and_flag():
    with pytest.raises(InputError) as exc:
        collapse_duplicates(_dups(), "error", "'e.tsv'")
    msg = str(exc.value)
    assert "'e.tsv': 1 gene(s) appear more than once with different values" in msg
    assert "C (2 copies)" in msg and "A (" not in msg
    assert "--duplicates mean" in msg and "--duplicates max-variance" in msg


def test_identical_copies_pass_silently_under_error():
    frame = _dups().iloc[:, :4]
    out, note = collapse_duplicates(frame, "error", "x")
    assert list(out.columns) == ["A", "B", "C"]
    np.testing.assert_array_equal(out["A"], frame.iloc[:, 0])
    assert "1 with identical copies (one kept)" in note


def test_mean_and_max_variance():
    frame = _dups()
    mean, note = collapse_duplicates(frame, "mean", "x")
    np.testing.assert_allclose(mean["C"], [7.0, 4.0, 7.0])
    assert "averaged; --duplicates mean" in note
    best, _ = collapse_duplicates(frame, "max-variance", "x")
    np.testing.assert_array_equal(best["C"], [9.0, 1.0, 5.0])  # var 10.7 vs 2.7
    np.testing.assert_array_equal(best["B"], frame["B"])


@settings(max_examples=60)
@given(st.integers(2, 8), st.integers(2, 4), st.integers(0, 2**32 - 1))
def test_property_mean_is_the_nan_mean_of_the_copies(n_rows, n_copies, seed):
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(n_rows, n_copies))
    v[rng.random(v.shape) < 0.2] = np.nan
    frame = pd.DataFrame(v, columns=["G"] * n_copies)
    out, _ = collapse_duplicates(frame, "mean", "x")
    ok = ~np.isnan(v)
    want = np.where(ok.any(axis=1), np.where(ok, v, 0).sum(axis=1) / np.maximum(ok.sum(1), 1),
                    np.nan)
    np.testing.assert_allclose(out["G"].to_numpy(), want)


def test_duplicate_groups_keep_first_appearance_order():
    symbols, members, _ = duplicate_groups(pd.Index(["B", "A", "B"]),
                                           np.array([[1.0, 2.0, 1.0]]), "error", "x")
    assert list(symbols) == ["B", "A"] and [list(m) for m in members] == [[0], [1]]


# ----------------------------------------------------------------------------- values


@pytest.mark.parametrize("bad", [np.inf, -np.inf, 1e31, -1e308])
def test_infinite_and_absurd_values_are_named(bad):
    v = np.ones((3, 2))
    v[2, 1] = bad
    with pytest.raises(InputError, match=r"'f': 1 expression value\(s\) .* gene 'G2', "
                                         r"sample 'S3'"):
        check_values(v, ["G1", "G2"], ["S1", "S2", "S3"], "'f'")
    check_values(np.array([[1e29, np.nan]]), ["a", "b"], ["s"], "f")  # large but finite: ok


def test_unusable_samples_and_reasons():
    v = np.array([[np.nan, np.nan, np.nan], [0.0, 0.0, np.nan], [4.0, 4.0, 4.0],
                  [1.0, 2.0, np.nan]])
    bad = degenerate_samples(v, ["na", "zero", "const", "ok"])
    assert list(bad.index) == ["na", "zero", "const"]
    assert "every cell is empty" in bad["na"] and "is 0" in bad["zero"]
    assert "is 4 (constant)" in bad["const"]


@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=30).filter(
    lambda xs: len(set(xs)) > 1))
def test_property_a_sample_with_two_distinct_values_is_usable(xs):
    assert degenerate_samples(np.array([xs]), ["s"]).empty


# ----------------------------------------------------------------------------- loader


@pytest.fixture(scope="module")
def expr() -> pd.DataFrame:
    return mf.expression_log2()  # genes x samples


def _tsv(frame, path):
    frame.to_csv(path, sep="\t")
    return path


def test_loader_refuses_excel_dates(expr, tmp_path):
    e = expr.copy()
    e.index = ["1-Mar", "2-Sep"] + list(e.index[2:])
    with pytest.raises(InputError, match=r"dates.tsv'.*2 gene name\(s\) look like dates"):
        load_user_cohort(_tsv(e, tmp_path / "dates.tsv"))


def test_loader_duplicates_rule(expr, tmp_path):
    e = expr.copy()
    g = e.index[10]
    copy = e.iloc[[10]] + 1.0
    dup = _tsv(pd.concat([e, copy]), tmp_path / "dup.tsv")
    with pytest.raises(InputError, match=rf"1 gene\(s\) appear more than once .*{g} \(2 copies"):
        load_user_cohort(dup)
    ref = load_user_cohort(_tsv(e, tmp_path / "ref.tsv")).expression
    mean = load_user_cohort(dup, duplicates="mean").expression
    np.testing.assert_allclose(mean[g], ref[g] + 0.5)
    other = mean.columns.drop(g)
    pd.testing.assert_frame_equal(mean[other], ref[other])
    same = load_user_cohort(_tsv(pd.concat([e, e.iloc[[10]]]), tmp_path / "same.tsv"))
    pd.testing.assert_frame_equal(same.expression, ref)
    with pytest.raises(InputError, match="--duplicates 'median'; use one of error, mean"):
        load_user_cohort(dup, duplicates="median")


def test_loader_max_variance_keeps_the_more_variable_copy(expr, tmp_path):
    e = expr.copy()
    g = e.index[20]
    flat = e.iloc[[20]] * 0 + 5.0 + np.arange(e.shape[1]) * 1e-3
    path = _tsv(pd.concat([flat, e]), tmp_path / "mv.tsv")  # the flat copy comes first
    got = load_user_cohort(path, duplicates="max-variance").expression
    np.testing.assert_array_equal(got[g].to_numpy(), e.loc[g].to_numpy())


def test_loader_refuses_inf_and_unusable_samples(expr, tmp_path):
    e = expr.copy()
    e.iloc[5, 2] = np.inf
    with pytest.raises(InputError, match=rf"inf.tsv'.*gene {e.index[5]!r}, sample "
                                         rf"{e.columns[2]!r}"):
        load_user_cohort(_tsv(e, tmp_path / "inf.tsv"))
    e = expr.copy()
    e[e.columns[1]] = 0.0
    e[e.columns[4]] = np.nan
    with pytest.raises(UnusableSamplesError) as exc:
        load_user_cohort(_tsv(e, tmp_path / "blank.tsv"))
    msg = str(exc.value)
    assert "2 sample(s) hold no usable expression" in msg
    assert f"{e.columns[1]}: every expression value is 0" in msg
    assert f"{e.columns[4]}: no expression values" in msg


def test_loader_names_the_cut_line_and_the_truncated_gz(expr, tmp_path):
    path = _tsv(expr, tmp_path / "cut.tsv")
    lines = path.read_text().splitlines()
    lines[7] = "\t".join(lines[7].split("\t")[:3])  # line 8 cut after two values
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"cut.tsv': line 8 has 3 fields but the header has 7"):
        load_user_cohort(path)
    gz = tmp_path / "t.tsv.gz"
    blob = gzip.compress(_tsv(expr, tmp_path / "full.tsv").read_bytes())
    gz.write_bytes(blob[: len(blob) * 2 // 3])
    with pytest.raises(InputError, match=r"t.tsv.gz': the compressed file is truncated or "
                                         r"corrupt: its data end in line \d+"):
        load_user_cohort(gz)
