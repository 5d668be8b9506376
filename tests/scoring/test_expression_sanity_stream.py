"""Expression sanity on streamed scoring: duplicated genes follow --duplicates, unusable
samples fail one by one (--keep-going lists them), and bad files end in one clear error."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tmeprog.cli import app
from tmeprog.errors import InputError
from tmeprog.scoring import ChunkFailedError, score_batch

from .conftest import CHAMPION

runner = CliRunner()
SCORES = ["risk_score", "risk_group", "survival_prob_3y", "survival_prob_5y"]


def _nothing_written(out):
    assert not out.exists() and not out.with_name(out.name + ".parts").exists()
    assert not out.with_name(out.name + ".failed.tsv").exists()


def _read(path):
    return pd.read_parquet(path).set_index("sample_id")


@pytest.fixture(scope="module")
def expr(cohort_files) -> pd.DataFrame:
    return cohort_files["cohort"].expression.rename_axis("sample_id")


@pytest.fixture(scope="module")
def gene(served, expr) -> str:
    """A gene of the CD8 T-cell signature the champion scores."""
    up = served.scorer.extractor.signatures_["cell_cd8_t"]["up"]
    return next(g for g in up if g in expr.columns)


def _score(served, cohort_files, path, out, **kw):
    return score_batch(CHAMPION, str(path), out, clinical=cohort_files["clinical"],
                       served=served, **kw)


def test_duplicated_gene_follows_the_rule(served, cohort_files, expr, gene, tmp_path):
    e = expr.iloc[:40]
    copy = (e[gene] * 2.0).rename(gene)  # a second copy of the gene, with other values
    dup = tmp_path / "dup.tsv"
    pd.concat([e, copy], axis=1).to_csv(dup, sep="\t")  # two columns named `gene`
    out = tmp_path / "o.parquet"
    with pytest.raises(InputError, match=rf"'dup.tsv': 1 gene\(s\) appear more than once with "
                                         rf"different values .*{gene} \(2 copies\).*"
                                         r"--duplicates mean"):
        _score(served, cohort_files, dup, out)
    _nothing_written(out)

    for rule, values in (("mean", e[gene] * 1.5), ("max-variance", e[gene] * 2.0)):
        ref_in = tmp_path / f"ref-{rule}.tsv"
        e.assign(**{gene: values}).to_csv(ref_in, sep="\t")
        ref_out = tmp_path / f"ref-{rule}.parquet"
        _score(served, cohort_files, ref_in, ref_out)
        got_out = tmp_path / f"got-{rule}.parquet"
        s = _score(served, cohort_files, dup, got_out, duplicates=rule)
        pd.testing.assert_frame_equal(_read(got_out)[SCORES], _read(ref_out)[SCORES])
        assert any(f"--duplicates {rule}" in n for n in s.notes)
    # identical copies are not a conflict
    same = tmp_path / "same.tsv"
    pd.concat([e, e[gene]], axis=1).to_csv(same, sep="\t")
    s = _score(served, cohort_files, same, tmp_path / "same.parquet")
    assert s.n_scored == 40


def test_bad_rule_is_refused(served, cohort_files, store, tmp_path):
    out = tmp_path / "o.parquet"
    with pytest.raises(InputError, match="--duplicates 'first'; use one of error, mean, "
                                         "max-variance"):
        _score(served, cohort_files, cohort_files["parquet"], out, duplicates="first")
    from tmeprog.scoring.validate_run import validate

    with pytest.raises(InputError, match="--duplicates 'first'"):
        validate(CHAMPION, "gse4335", duplicates="first", n_boot=0, tracking_uri=store)
    res = runner.invoke(app, ["score", cohort_files["parquet"], "--model", CHAMPION, "-o",
                              str(out), "--clinical", cohort_files["clinical"],
                              "--tracking-uri", store, "--duplicates", "first", "-q"])
    assert res.exit_code == 2 and "--duplicates 'first'" in res.output
    _nothing_written(out)


def test_unusable_samples_fail_and_keep_going_lists_them(served, cohort_files, expr, tmp_path):
    e = expr.copy()
    zero, const, empty = e.index[3], e.index[70], e.index[100]
    e.loc[zero] = 0.0
    e.loc[const] = 6.5
    e.loc[empty] = np.nan
    path = tmp_path / "blank.parquet"
    e.to_parquet(path)
    out = tmp_path / "o.parquet"
    with pytest.raises(ChunkFailedError, match=rf"chunk 0 .*{zero}: every expression value is 0"
                                               r".*--keep-going"):
        _score(served, cohort_files, path, out, chunk_size=60)
    assert not out.exists()
    s = _score(served, cohort_files, path, out, chunk_size=60, keep_going=True, resume=True)
    assert (s.n_scored, s.n_failed) == (112, 3)
    failed = pd.read_csv(out.with_name(out.name + ".failed.tsv"), sep="\t").set_index(
        "sample_id")["error"]
    assert failed[zero] == "unusable: every expression value is 0 (a blank array?)"
    assert failed[const] == "unusable: every expression value is 6.5 (constant)"
    assert failed[empty] == "unusable: no expression values (every cell is empty)"
    got = _read(out)
    assert not {zero, const, empty} & set(got.index)
    ref = tmp_path / "ref.parquet"
    _score(served, cohort_files, cohort_files["parquet"], ref, chunk_size=60)
    want = _read(ref).loc[got.index, SCORES]
    pd.testing.assert_frame_equal(got[SCORES], want, check_exact=False, rtol=1e-12)


@pytest.mark.parametrize("bad", [np.inf, 1e308])
def test_infinite_or_absurd_value_is_refused_up_front(served, cohort_files, expr, gene, bad,
                                                      tmp_path):
    e = expr.copy()
    e.loc[e.index[7], gene] = bad
    path = tmp_path / "inf.parquet"
    e.to_parquet(path)
    out = tmp_path / "o.parquet"
    with pytest.raises(InputError, match=rf"'inf.parquet': 1 expression value\(s\) are infinite "
                                         rf"or beyond 1e30 .*gene '{gene}', sample "
                                         rf"'{e.index[7]}'"):
        _score(served, cohort_files, path, out)
    _nothing_written(out)


def test_excel_dates_as_gene_names(served, cohort_files, expr, tmp_path):
    e = expr.iloc[:40]
    e = e.rename(columns={e.columns[0]: "1-Mar", e.columns[1]: "2-Sep"})
    path = tmp_path / "xl.csv"
    e.to_csv(path)
    with pytest.raises(InputError, match=r"'xl.csv': 2 gene name\(s\) look like dates .*"
                                         r"'1-Mar', '2-Sep'"):
        _score(served, cohort_files, path, tmp_path / "o.parquet")


def test_cut_row_is_named_by_line(served, cohort_files, tmp_path):
    lines = open(cohort_files["tsv"]).read().splitlines()
    lines[12] = "\t".join(lines[12].split("\t")[:500])
    path = tmp_path / "cut.tsv"
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "o.parquet"
    with pytest.raises(InputError, match=r"cut.tsv': line 13 has 500 fields but the header "
                                         r"has \d+"):
        _score(served, cohort_files, path, out)
    _nothing_written(out)


def test_truncated_gz_is_an_error_naming_file_and_line(served, store, cohort_files, tmp_path):
    blob = gzip.compress(open(cohort_files["tsv"], "rb").read())
    path = tmp_path / "expr.tsv.gz"
    path.write_bytes(blob[: len(blob) * 3 // 4])
    out = tmp_path / "o.parquet"
    res = runner.invoke(app, ["score", str(path), "--model", CHAMPION, "-o", str(out),
                              "--clinical", cohort_files["clinical"], "--tracking-uri", store,
                              "-q"])
    text = " ".join(res.output.split())
    assert res.exit_code == 2, res.output
    assert "Aborted" not in text
    assert "expr.tsv.gz': the compressed file is truncated or corrupt: its data end in line" \
        in text
    _nothing_written(out)


@pytest.fixture(scope="module")
def big(expr, cohort_files, tmp_path_factory):
    """gse4335 three times over (345 samples, more than the first rows read up front) as text,
    with a clinical table for every copy."""
    d = tmp_path_factory.mktemp("big")
    parts = [expr.rename(index=lambda i, k=k: f"{i}_{k}") for k in range(3)]
    path = d / "big.tsv"
    pd.concat(parts).to_csv(path, sep="\t")
    clin = pd.read_csv(cohort_files["clinical"], sep="\t")
    cp = d / "clin.tsv"
    pd.concat([clin.assign(sample_id=clin["sample_id"] + f"_{k}") for k in range(3)]).to_csv(
        cp, sep="\t", index=False)
    return path, cp


def test_problems_past_the_first_rows_still_stop_the_run(served, big, tmp_path):
    path, clin = big
    lines = path.read_text().splitlines()
    lines[300] = "\t".join(lines[300].split("\t")[:20])
    cut = tmp_path / "cut.tsv"
    cut.write_text("\n".join(lines) + "\n")
    out = tmp_path / "o.parquet"
    with pytest.raises(InputError, match=r"cut.tsv': line 301 has 20 fields"):
        score_batch(CHAMPION, str(cut), out, clinical=str(clin), served=served, chunk_size=100)
    assert not out.exists()
    gz = tmp_path / "big.tsv.gz"
    blob = gzip.compress(path.read_bytes())
    gz.write_bytes(blob[: len(blob) * 9 // 10])
    out = tmp_path / "g.parquet"
    with pytest.raises(InputError, match=r"big.tsv.gz': the compressed file is truncated .*"
                                         r"line (\d+)"):
        score_batch(CHAMPION, str(gz), out, clinical=str(clin), served=served, chunk_size=100)
    assert not out.exists()
