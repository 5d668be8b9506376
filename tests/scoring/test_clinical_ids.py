"""Scoring with a clinical table: every sample needs a row, unless imputation is asked for;
then each imputed sample is flagged (``imputed_covariates``) and counted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tmeprog.cli import app
from tmeprog.errors import InputError
from tmeprog.scoring import score_batch

from .conftest import CHAMPION

runner = CliRunner()
SCORES = ["risk_score", "risk_group", "survival_prob_3y", "survival_prob_5y"]


def _nothing_written(out):
    assert not out.exists() and not out.with_name(out.name + ".parts").exists()


def _covariates(served) -> set[str]:
    """Vocabulary names of the covariates the champion uses (``age@os`` is age)."""
    return {"age" if c.startswith("age@") else c for c in served.scorer.covariate_sources()}


@pytest.fixture(scope="module")
def clin(cohort_files) -> pd.DataFrame:
    return pd.read_csv(cohort_files["clinical"], sep="\t", dtype=str)


def test_a_third_of_the_ids_is_an_error_naming_the_count(served, cohort_files, clin, tmp_path):
    part = tmp_path / "third.tsv"
    clin.iloc[:38].to_csv(part, sep="\t", index=False)
    out = tmp_path / "o.parquet"
    first_missing = clin["sample_id"].iloc[38]
    with pytest.raises(InputError, match=rf"clinical file 'third.tsv' \(id column 'sample_id'\): "
                                         rf"77 of 115 samples of 'expr.parquet' have no clinical "
                                         rf"row, e.g. '{first_missing}'.*--allow-missing-covariat"):
        score_batch(CHAMPION, cohort_files["parquet"], out, clinical=str(part), served=served)
    _nothing_written(out)


def test_streamed_text_ids_are_all_checked(served, cohort_files, clin, tmp_path):
    # the tsv holds 40 samples; its ids are read before scoring
    part = tmp_path / "part.tsv"
    clin.iloc[:30].to_csv(part, sep="\t", index=False)
    out = tmp_path / "o.tsv"
    with pytest.raises(InputError, match=r"10 of 40 samples of 'expr.tsv' have no clinical row"):
        score_batch(CHAMPION, cohort_files["tsv"], out, clinical=str(part), served=served)
    _nothing_written(out)


def test_lower_case_ids_get_a_hint(served, cohort_files, clin, tmp_path):
    low = clin.assign(sample_id=clin["sample_id"].str.upper())  # ids are lower case
    p = tmp_path / "low.tsv"
    low.to_csv(p, sep="\t", index=False)
    with pytest.raises(InputError, match=r"115 of 115 samples .*115 of them match a clinical "
                                         r"id when case and white space are ignored"):
        score_batch(CHAMPION, cohort_files["parquet"], tmp_path / "o.parquet", clinical=str(p),
                    served=served)


def test_allowed_imputation_is_flagged_per_sample(served, cohort_files, clin, tmp_path):
    part = clin.iloc[:100].copy()
    age_col = "age"
    blank = part["sample_id"].iloc[5]
    part.loc[part.index[5], age_col] = ""  # a matched row with an empty cell
    p = tmp_path / "part.tsv"
    part.to_csv(p, sep="\t", index=False)
    out = tmp_path / "o.parquet"
    s = score_batch(CHAMPION, cohort_files["parquet"], out, clinical=str(p), served=served,
                    allow_missing_covariates=True)
    got = pd.read_parquet(out).set_index("sample_id")
    assert s.n_scored == 115
    flags = got["imputed_covariates"]
    no_row = clin["sample_id"].iloc[100:]
    covs = _covariates(served)
    assert "age" in covs
    for i in no_row:
        assert set(flags[i].split(",")) == covs
    assert flags[blank] == "age"
    others = flags.drop(list(no_row) + [blank])
    # gse4335 records every covariate of the champion except where its own cells are empty
    raw = clin.set_index("sample_id").loc[others.index]
    for i, f in others.items():
        assert (f == "") == raw.loc[i, [c for c in covs if c in raw.columns]].notna().all()
    assert s.n_imputed == int((flags != "").sum()) >= 16
    assert s.warnings[0].startswith(f"{s.n_imputed} of 115 scored samples had clinical "
                                    "covariates imputed")
    assert any("15 of 115 samples" in n and "no clinical row" in n for n in s.notes)
    # samples with their whole row score as without the flag
    full = tmp_path / "full.parquet"
    score_batch(CHAMPION, cohort_files["parquet"], full, clinical=cohort_files["clinical"],
                served=served)
    ref = pd.read_parquet(full).set_index("sample_id")
    keep = others.index[others == ""]
    pd.testing.assert_frame_equal(got.loc[keep, SCORES], ref.loc[keep, SCORES])
    assert not np.allclose(got.loc[no_row, "risk_score"], ref.loc[no_row, "risk_score"])


def test_unreadable_cell_counts_as_imputed(served, cohort_files, clin, tmp_path):
    bad = clin.copy()
    sid = bad["sample_id"].iloc[3]
    bad.loc[bad.index[3], "age"] = "fifty"
    p = tmp_path / "bad.tsv"
    bad.to_csv(p, sep="\t", index=False)
    out = tmp_path / "o.parquet"
    with pytest.raises(InputError, match=r"column 'age'.*'fifty'.*--allow-missing-covariates"):
        score_batch(CHAMPION, cohort_files["parquet"], out, clinical=str(p), served=served)
    s = score_batch(CHAMPION, cohort_files["parquet"], out, clinical=str(p), served=served,
                    allow_missing_covariates=True)
    got = pd.read_parquet(out).set_index("sample_id")
    assert "age" in got.loc[sid, "imputed_covariates"].split(",")
    assert any("'fifty'" in n for n in s.notes)


def test_cli_flag_and_stderr_count(served, store, cohort_files, clin, tmp_path):
    p = tmp_path / "part.tsv"
    clin.iloc[:100].to_csv(p, sep="\t", index=False)
    out = tmp_path / "o.csv"
    args = ["score", cohort_files["parquet"], "--model", CHAMPION, "-o", str(out),
            "--clinical", str(p), "--tracking-uri", store, "-q"]
    res = runner.invoke(app, args)
    text = " ".join(res.output.split())
    assert res.exit_code == 2 and "error: clinical file 'part.tsv'" in text
    assert "15 of 115 samples" in text and not out.exists()
    res = runner.invoke(app, args + ["--allow-missing-covariates", "--json"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.stderr.split())
    n = int((pd.read_csv(out, keep_default_na=False)["imputed_covariates"] != "").sum())
    assert n >= 15 and f"warning: {n} of 115 scored samples had clinical covariates imputed" \
        in text


def test_validate_refuses_a_partial_clinical_table(store, cohort_files, clin, tmp_path):
    from tmeprog.scoring.validate_run import validate

    p = tmp_path / "half.tsv"
    clin.iloc[:57].to_csv(p, sep="\t", index=False)
    with pytest.raises(InputError, match=r"half.tsv \(id column 'sample_id'\): 58 of 115 "
                                         r"samples of expression file 'expr.parquet' have no "
                                         r"clinical row"):
        validate(CHAMPION, cohort_files["parquet"], clinical=str(p), n_boot=0,
                 tracking_uri=store)
