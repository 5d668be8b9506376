"""Bad-input catalogue, the cases that need a trained model (score, validate, explain).

Same rules as :mod:`tests.cli.test_bad_input_catalogue`: exit code, one clear message, no
traceback, nothing left behind, a user's file untouched.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.cli.test_bad_input_catalogue import Case, _materialise, check, write_clin, write_expr

M = "models:/tmeprog-test-prognosis@champion"
STORE = "{store}"
SCORE = ["score", "{ws}/expr.tsv", "-m", M, "-o", "{ws}/s.tsv", "--tracking-uri", STORE]
EXPR = {"expr.tsv": write_expr("expr.tsv")}
SC_CLIN = SCORE + ["--clinical", "{ws}/clin.tsv"]


def set_row(e: pd.DataFrame, i: int, value: float) -> pd.DataFrame:
    e = e.copy()
    e.iloc[i, :] = value
    return e


def with_clin(edit=None, n: int = 30) -> dict:
    return {**EXPR, "clin.tsv": write_clin("clin.tsv", n, edit)}


VALIDATE = ["validate", M, "{ws}/expr.tsv", "--clinical", "{ws}/clin.tsv", "--tracking-uri",
            STORE]
EXPLAIN = ["explain", M, "{ws}/expr.tsv", "--clinical", "{ws}/clin.tsv", "-o",
           "{ws}/shap.parquet", "--tracking-uri", STORE]

CASES = [
    Case("score-unknown-alias", ["score", "{ws}/expr.tsv", "-m",
                                 "models:/tmeprog-test-prognosis@nope", "-o", "{ws}/s.tsv",
                                 "--tracking-uri", STORE], 2, r"alias", EXPR,
         absent=("s.tsv",)),
    Case("score-unknown-model", ["score", "{ws}/expr.tsv", "-m", "models:/nomodel@champion",
                                 "-o", "{ws}/s.tsv", "--tracking-uri", STORE], 2,
         r"no model named 'nomodel'", EXPR, absent=("s.tsv",)),
    Case("score-unknown-version", ["score", "{ws}/expr.tsv", "-m",
                                   "models:/tmeprog-test-prognosis/99", "-o", "{ws}/s.tsv",
                                   "--tracking-uri", STORE], 2, r"version|99", EXPR,
         absent=("s.tsv",)),
    Case("score-missing-store", ["score", "{ws}/expr.tsv", "-m", M, "-o", "{ws}/s.tsv",
                                 "--tracking-uri", "sqlite:///{ws}/none.db"], 2,
         r"no tracking store", EXPR, absent=("s.tsv", "none.db")),
    Case("score-output-exists", SCORE + ["--clinical", "{ws}/clin.tsv"], 2, r"exists",
         {**with_clin(), "s.tsv": "keep me\n"}),
    Case("score-bad-output-suffix", ["score", "{ws}/expr.tsv", "-m", M, "-o", "{ws}/s.xlsx",
                                     "--tracking-uri", STORE], 2, r"xlsx|\.parquet", EXPR,
         absent=("s.xlsx",)),
    Case("score-unknown-engine", SC_CLIN + ["--engine", "spark"], 2, r"spark", with_clin(),
         absent=("s.tsv",)),
    Case("score-workers-zero", SC_CLIN + ["--workers", "0"], 2, r"workers", with_clin(),
         absent=("s.tsv",)),
    Case("score-chunk-size-zero", SC_CLIN + ["--chunk-size", "0"], 2, r"chunk", with_clin(),
         absent=("s.tsv",)),
    Case("score-missing-input", ["score", "{ws}/nope.tsv", "-m", M, "-o", "{ws}/s.tsv",
                                 "--tracking-uri", STORE], 2, r"nope\.tsv",
         absent=("s.tsv",)),
    Case("score-covariates-absent", SC_CLIN, 2, r"age",
         with_clin(lambda c: c.drop(columns=["age"])), absent=("s.tsv",)),
    Case("score-age-in-days", SC_CLIN, 2, r"days",
         with_clin(lambda c: c.assign(age=c["age"].astype(float) * 365.25)),
         absent=("s.tsv",)),
    Case("score-grade-impossible", SC_CLIN, 2, r"grade",
         with_clin(lambda c: c.assign(grade=5)), absent=("s.tsv",)),
    Case("score-too-few-genes", SC_CLIN, 2, r"gene",
         {"expr.tsv": write_expr("expr.tsv", edit=lambda e: e.iloc[:, :300]),
          "clin.tsv": write_clin("clin.tsv")}, absent=("s.tsv",)),
    Case("score-third-of-ids-match", SC_CLIN, 2, r"lack a clinical row|allow-missing",
         with_clin(lambda c: c.set_axis([s if i % 3 == 0 else f"other{i}"
                                         for i, s in enumerate(c.index)])),
         absent=("s.tsv",)),
    Case("score-duplicated-genes", SC_CLIN, 2, r"duplicate",
         {"expr.tsv": write_expr("expr.tsv", edit=lambda e: pd.concat(
             [e, e[["CD8A"]] + 1.0], axis=1)), "clin.tsv": write_clin("clin.tsv")},
         absent=("s.tsv",)),
    Case("score-blank-sample", SC_CLIN, 2, r"every expression value is 0|blank",
         {"expr.tsv": write_expr("expr.tsv", edit=lambda e: set_row(e, 3, 0.0)),
          "clin.tsv": write_clin("clin.tsv")},
         absent=("s.tsv",)),
    Case("score-infinite-value", SC_CLIN, 2, r"inf|finite|1e30",
         {"expr.tsv": write_expr("expr.tsv", edit=lambda e: set_row(e, 2, np.inf)),
          "clin.tsv": write_clin("clin.tsv")},
         absent=("s.tsv",)),
    Case("score-resume-and-overwrite", SC_CLIN + ["--resume", "--overwrite"], 2,
         r"resume|overwrite", with_clin(), absent=("s.tsv",)),
    Case("validate-unknown-cohort", ["validate", M, "gse43355", "--tracking-uri", STORE], 2,
         r"gse4335"),
    Case("validate-no-outcomes", VALIDATE, 2, r"os|outcome|endpoint",
         with_clin(lambda c: c.drop(columns=["os_time", "os_event"]))),
    Case("validate-unknown-endpoint", VALIDATE + ["--endpoint", "dfs"], 2, r"dfs",
         with_clin()),
    Case("validate-missing-store", ["validate", M, "gse4335", "--tracking-uri",
                                    "sqlite:///{ws}/none.db"], 2, r"no tracking store",
         absent=("none.db",)),
    Case("explain-bad-suffix", EXPLAIN[:-3] + ["{ws}/shap.tsv", "--tracking-uri", STORE], 2,
         r"\.parquet", with_clin(), absent=("shap.tsv",)),
    Case("explain-output-exists", EXPLAIN, 2, r"exists",
         {**with_clin(), "shap.parquet": b"keep me"}),
    Case("explain-no-model", ["explain", "models:/nomodel@champion", "{ws}/expr.tsv", "-o",
                              "{ws}/shap.parquet", "--tracking-uri", STORE], 2,
         r"cannot load model", EXPR, absent=("shap.parquet",)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_with_a_model_gets_one_clear_error(case, store, tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    argv = [a.replace("{store}", store) for a in _materialise(case, ws)]
    check(case, ws, argv)


def test_ids_do_not_clash_with_the_file_catalogue():
    from tests.cli.test_bad_input_catalogue import CASES as FILE_CASES

    mine = {c.id for c in CASES}
    assert not mine & {c.id for c in FILE_CASES}
    assert len(mine) == len(CASES) and np.all([c.code in (1, 2, 3) for c in CASES])
