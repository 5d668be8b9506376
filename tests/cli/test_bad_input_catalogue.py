"""The project's catalogue of malformed inputs, across commands.

Every case is run through the command line as a user would: it must end with the stated exit
code and one clear message (matched below), print no Python traceback, and leave no output
behind (the output paths the case names must not exist afterwards). Cases that need a trained
model use the quick champion of the scoring tests' store.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tmeprog.cli import app
from tmeprog.cohorts import load_cohort

runner = CliRunner()


@dataclass
class Case:
    """One malformed input: the argv (``{ws}`` is the case's work folder), files to write
    first, expected exit code, a regex the message must match and outputs that must not
    appear."""

    id: str
    argv: list[str]
    code: int
    message: str
    files: dict = field(default_factory=dict)  # name -> str | bytes | callable(ws) -> None
    absent: tuple[str, ...] = ()


# -- fixtures written per case ---------------------------------------------------------
def _expr(n: int = 30) -> pd.DataFrame:
    return load_cohort("gse4335").expression.iloc[:n].rename_axis("sample_id")


def _clin(n: int = 30) -> pd.DataFrame:
    c = load_cohort("gse4335")
    clin = c.clinical.iloc[:n].copy()
    y = c.survival("os") if hasattr(c, "survival") else None
    if y is not None:
        clin["os_time"], clin["os_event"] = y["time"][:n], y["event"][:n].astype(int)
    return clin.rename_axis("sample_id")


def write_expr(name: str, n: int = 30, edit=None):
    def make(ws: Path):
        e = _expr(n)
        if edit is not None:
            e = edit(e)
        e.to_csv(ws / name, sep="\t")
    return make


def write_clin(name: str, n: int = 30, edit=None):
    def make(ws: Path):
        c = _clin(n).astype(object)
        if edit is not None:
            c = edit(c)
        c.to_csv(ws / name, sep="\t")
    return make


def set_cell(col: str, value, rows=slice(0, 3)):
    def edit(c: pd.DataFrame) -> pd.DataFrame:
        c = c.copy()
        c.iloc[rows, c.columns.get_loc(col)] = value
        return c
    return edit


def _without_signature_genes(e: pd.DataFrame) -> pd.DataFrame:
    from tmeprog.signatures import load_catalogue

    cat = load_catalogue()
    sigs = getattr(cat, "signatures", cat)
    used = set().union(*[set(s.genes) for s in (sigs.values() if isinstance(sigs, dict)
                                                else sigs)])
    return e[[g for g in e.columns if g not in used]]


def _duplicate_gene(e: pd.DataFrame) -> pd.DataFrame:
    extra = e[["CD8A"]] + 1.0
    return pd.concat([e, extra], axis=1)


def _infinite(e: pd.DataFrame) -> pd.DataFrame:
    e = e.copy()
    e.iloc[2, 5] = np.inf
    return e


def _huge(e: pd.DataFrame) -> pd.DataFrame:
    e = e.copy()
    e.iloc[3, 7] = 1e300
    return e


def _blank_sample(e: pd.DataFrame) -> pd.DataFrame:
    e = e.copy()
    e.iloc[4, :] = 0.0
    return e


def _excel_names(e: pd.DataFrame) -> pd.DataFrame:
    names = list(e.columns)
    names[:3] = ["1-Mar", "2-Sep", "1-Dec"]
    return e.set_axis(names, axis=1)


def _cut_row(ws: Path) -> None:
    text = _expr(30).to_csv(sep="\t").splitlines()
    text[5] = "\t".join(text[5].split("\t")[:4])
    (ws / "expr.tsv").write_text("\n".join(text) + "\n")


def config(body: str) -> str:
    return "[task]\nkind = \"prognosis\"\n" + body if "[task]" not in body else body


FEAT = ["features", "{ws}/expr.tsv", "-o", "{ws}/out.tsv"]
FEAT_FILES = {"expr.tsv": write_expr("expr.tsv")}


def feat_clin(edit, n: int = 30) -> dict:
    return {"expr.tsv": write_expr("expr.tsv"), "clin.tsv": write_clin("clin.tsv", n, edit)}


FEAT_C = FEAT + ["--clinical", "{ws}/clin.tsv"]
TRAIN = ["train", "--config", "{ws}/cfg.toml", "--tracking-uri", "sqlite:///{ws}/mlflow.db"]


def train_case(id_: str, toml: str, message: str) -> Case:
    return Case(id_, TRAIN, 2, message, {"cfg.toml": toml}, absent=("mlflow.db", "mlruns"))


CONFIG_CASES = [
    train_case("config-loco-as-text", '[validation]\nloco = "false"\n',
               r"\[validation\] loco"),
    train_case("config-cohorts-as-string", '[data]\ncohorts = "gse1992"\n',
               r"\[data\] cohorts"),
    train_case("config-cv-folds-word", '[validation]\ncv_folds = "five"\n',
               r"\[validation\] cv_folds"),
    train_case("config-bootstrap-float", "[validation]\nbootstrap = 20.5\n",
               r"\[validation\] bootstrap"),
    train_case("config-negative-seed", "[task]\nseed = -1\n", r"\[task\] seed"),
    train_case("config-n-jobs-zero", "[validation]\nn_jobs = 0\n", r"\[validation\] n_jobs"),
    train_case("config-unknown-section", "[modles]\nfamilies = [\"coxnet\"]\n", r"modles"),
    train_case("config-unknown-key", "[validation]\ncv_fold = 3\n", r"cv_fold"),
    train_case("config-unknown-cohort", '[data]\ncohorts = ["gse19922"]\n', r"gse19922"),
    train_case("config-unknown-family", '[models]\nfamilies = ["coxnett"]\n', r"coxnett"),
    train_case("config-unknown-feature-set", '[models]\nfeature_sets = ["clinical+tm"]\n',
               r"clinical\+tm"),
    train_case("config-toml-syntax", "[validation\ncv_folds = 3\n", r"cfg\.toml"),
    train_case("config-binary", "\x00\x01\x02\x03garbage\xff", r"cfg\.toml"),
    train_case("config-endpoint-pooled", '[data]\nendpoint = "pooled"\n',
               r"endpoint='pooled' is not an endpoint"),
    train_case("config-mixed-endpoints-unstated",
               '[data]\ncohorts = ["gse1992", "gse4335"]\n', r"pool_endpoints"),
    train_case("config-grid-unknown-param",
               '[models]\nfamilies = ["coxnet"]\n[models.grids.coxnet]\nalphaa = [0.1]\n',
               r"alphaa"),
    train_case("config-params-wrong-type",
               '[models]\nfamilies = ["rsf"]\n[models.params.rsf]\nn_estimators = "many"\n',
               r"n_estimators"),
    train_case("config-params-fraction-for-whole-number",
               '[models]\nfamilies = ["rsf"]\n[models.params.rsf]\nn_estimators = 30.5\n',
               r"rsf\.n_estimators: expected a whole number"),
    train_case("config-params-text-for-depth",
               '[models]\nfamilies = ["rsf"]\n[models.params.rsf]\nmax_depth = "3"\n',
               r"rsf\.max_depth: expected a number"),
    train_case("config-unknown-metric", '[selection]\nmetric = "accuracy"\n', r"accuracy"),
    train_case("config-negative-horizon", "[validation]\nhorizons_months = [-12]\n",
               r"horizons_months"),
    train_case("config-coverage-above-one", "[features]\ncoverage_threshold = 1.5\n",
               r"coverage_threshold"),
    train_case("config-unknown-kind", '[task]\nkind = "prognosys"\n', r"prognosys"),
    train_case("config-cv-folds-one", "[validation]\ncv_folds = 1\n", r"cv_folds"),
    train_case("config-clinical-only-cohort-with-tme",
               '[data]\ncohorts = ["gbsg2"]\n[models]\nfeature_sets = ["clinical", "tme"]\n',
               r"gbsg2"),
    Case("config-missing-file", ["train", "--config", "{ws}/nope.toml", "--tracking-uri",
                                 "sqlite:///{ws}/mlflow.db"], 2, r"nope\.toml",
         absent=("mlflow.db",)),
]

FEATURE_CASES = [
    Case("features-missing-input", ["features", "{ws}/nope.tsv", "-o", "{ws}/out.tsv"], 2,
         r"nope\.tsv", absent=("out.tsv",)),
    Case("features-cohort-typo", ["features", "gse433", "-o", "{ws}/out.tsv"], 2, r"gse4335",
         absent=("out.tsv",)),
    Case("features-output-exists", FEAT, 2, r"exists",
         {**FEAT_FILES, "out.tsv": "keep me\n"}),
    Case("features-bad-output-suffix", ["features", "{ws}/expr.tsv", "-o", "{ws}/out.xlsx"], 2,
         r"\.xlsx|suffix|parquet", FEAT_FILES, absent=("out.xlsx",)),
    Case("features-unknown-method", FEAT + ["--method", "gsvaa"], 2, r"gsvaa", FEAT_FILES,
         absent=("out.tsv",)),
    Case("features-coverage-above-one", FEAT + ["--coverage-threshold", "2"], 2,
         r"coverage", FEAT_FILES, absent=("out.tsv",)),
    Case("features-unknown-deconvolution", FEAT + ["--deconvolution", "cibersort"], 2,
         r"cibersort", FEAT_FILES, absent=("out.tsv",)),
    Case("features-unknown-pathways", FEAT + ["--pathways", "kegg"], 2, r"kegg", FEAT_FILES,
         absent=("out.tsv",)),
    Case("features-unknown-scale", FEAT + ["--scale", "log10"], 2, r"log10", FEAT_FILES,
         absent=("out.tsv",)),
    Case("features-unknown-orientation", FEAT + ["--orientation", "diagonal"], 2,
         r"diagonal", FEAT_FILES, absent=("out.tsv",)),
    Case("features-empty-file", FEAT, 2, r"expr\.tsv", {"expr.tsv": ""},
         absent=("out.tsv",)),
    Case("features-header-only", FEAT, 2, r"expr\.tsv", {"expr.tsv": "sample_id\tCD8A\n"},
         absent=("out.tsv",)),
    Case("features-binary-file", FEAT, 2, r"expr\.tsv",
         {"expr.tsv": bytes(range(256)) * 40}, absent=("out.tsv",)),
    Case("features-text-cells", FEAT, 2, r"expr\.tsv",
         {"expr.tsv": write_expr("expr.tsv", edit=lambda e: e.astype(object).assign(
             CD8A="high"))}, absent=("out.tsv",)),
    Case("features-duplicate-samples", FEAT, 2, r"duplicate",
         {"expr.tsv": write_expr("expr.tsv", edit=lambda e: pd.concat([e, e.iloc[:2]]))},
         absent=("out.tsv",)),
    Case("features-too-few-genes", FEAT, 2, r"gene",
         {"expr.tsv": write_expr("expr.tsv", edit=lambda e: e.iloc[:, :40])},
         absent=("out.tsv",)),
    Case("features-no-gene-symbols", FEAT, 2, r"gene|identifier",
         {"expr.tsv": write_expr("expr.tsv", edit=lambda e: e.set_axis(
             [f"X{i}" for i in range(e.shape[1])], axis=1))}, absent=("out.tsv",)),
    Case("features-no-signature-genes", FEAT, 2, r"no TME feature could be computed",
         {"expr.tsv": write_expr("expr.tsv", edit=_without_signature_genes)},
         absent=("out.tsv",)),
    Case("features-duplicated-genes", FEAT, 2, r"duplicate",
         {"expr.tsv": write_expr("expr.tsv", edit=_duplicate_gene)}, absent=("out.tsv",)),
    Case("features-infinite-value", FEAT, 2, r"inf|1e30|finite",
         {"expr.tsv": write_expr("expr.tsv", edit=_infinite)}, absent=("out.tsv",)),
    Case("features-huge-value", FEAT, 2, r"1e\+?30|absurd|finite",
         {"expr.tsv": write_expr("expr.tsv", edit=_huge)}, absent=("out.tsv",)),
    Case("features-blank-sample", FEAT, 2, r"every expression value is 0|blank",
         {"expr.tsv": write_expr("expr.tsv", edit=_blank_sample)}, absent=("out.tsv",)),
    Case("features-excel-gene-names", FEAT, 2, r"Excel|date",
         {"expr.tsv": write_expr("expr.tsv", edit=_excel_names)}, absent=("out.tsv",)),
    Case("features-cut-row", FEAT, 2, r"line \d+",
         {"expr.tsv": _cut_row}, absent=("out.tsv",)),
    Case("clinical-half-matching-ids", FEAT_C, 2, r"lack|clinical row|allow-missing-covariates",
         feat_clin(lambda c: c.set_axis([f"x{i}" if i % 2 else s
                                         for i, s in enumerate(c.index)])),
         absent=("out.tsv",)),
    Case("features-missing-signature-file", FEAT + ["--signatures", "{ws}/nope.gmt"], 2,
         r"nope\.gmt", FEAT_FILES, absent=("out.tsv",)),
    Case("features-empty-gmt", FEAT + ["--signatures", "{ws}/s.gmt"], 2, r"s\.gmt",
         {**FEAT_FILES, "s.gmt": ""}, absent=("out.tsv",)),
    Case("features-gmt-no-genes", FEAT + ["--signatures", "{ws}/s.gmt"], 2, r"s\.gmt",
         {**FEAT_FILES, "s.gmt": "mysig\tdesc\n"}, absent=("out.tsv",)),
    Case("features-binary-gmt", FEAT + ["--signatures", "{ws}/s.gmt"], 2, r"s\.gmt",
         {**FEAT_FILES, "s.gmt": b"\x00\xff\xfe\x00" * 100}, absent=("out.tsv",)),
    Case("features-missing-clinical", FEAT_C, 2, r"clin\.tsv", FEAT_FILES,
         absent=("out.tsv",)),
    # clinical sanity: impossible or unparseable values are an error naming column and row
    Case("clinical-age-in-days", FEAT_C, 2, r"age.*(years|110)",
         feat_clin(lambda c: c.assign(age=26000)), absent=("out.tsv",)),
    Case("clinical-age-with-unit", FEAT_C, 2, r"age",
         feat_clin(set_cell("age", "73 years")), absent=("out.tsv",)),
    Case("clinical-age-decimal-comma", FEAT_C, 2, r"decimal",
         feat_clin(set_cell("age", "73,4")), absent=("out.tsv",)),
    Case("clinical-grade-5", FEAT_C, 2, r"grade", feat_clin(set_cell("grade", 5)),
         absent=("out.tsv",)),
    Case("clinical-grade-text", FEAT_C, 2, r"grade", feat_clin(set_cell("grade", "high-ish")),
         absent=("out.tsv",)),
    Case("clinical-er-unknown-word", FEAT_C, 2, r"\ber\b",
         feat_clin(set_cell("er", "maybe")), absent=("out.tsv",)),
    Case("clinical-event-1-2", FEAT_C, 2, r"os_event",
         feat_clin(lambda c: c.assign(os_event=np.where(np.arange(len(c)) % 2, 1, 2))),
         absent=("out.tsv",)),
    Case("clinical-event-text", FEAT_C, 2, r"os_event",
         feat_clin(set_cell("os_event", "perhaps")), absent=("out.tsv",)),
    Case("clinical-negative-time", FEAT_C, 2, r"os_time",
         feat_clin(set_cell("os_time", -5)), absent=("out.tsv",)),
    Case("clinical-time-in-days", FEAT_C, 2, r"os_time.*days",
         feat_clin(lambda c: c.assign(os_time=pd.to_numeric(c["os_time"]) * 30.44)),
         absent=("out.tsv",)),
    Case("clinical-pcr-1-2", FEAT_C, 2, r"pcr",
         feat_clin(lambda c: c.assign(pcr=np.where(np.arange(len(c)) % 2, 1, 2))),
         absent=("out.tsv",)),
    Case("clinical-node-status-negative", FEAT_C, 2, r"node_status",
         feat_clin(set_cell("node_status", -1)), absent=("out.tsv",)),
    Case("clinical-duplicate-ids", FEAT_C, 2, r"duplicate",
         feat_clin(lambda c: pd.concat([c, c.iloc[:2]])), absent=("out.tsv",)),
    Case("clinical-no-matching-ids", FEAT_C, 2, r"clin\.tsv|sample",
         feat_clin(lambda c: c.set_axis([f"other{i}" for i in range(len(c))])),
         absent=("out.tsv",)),
    Case("clinical-binary", FEAT_C, 2, r"clin\.tsv",
         {**FEAT_FILES, "clin.tsv": b"\x00\x01\xff\xfe\x00" * 200}, absent=("out.tsv",)),
    Case("clinical-empty", FEAT_C, 2, r"clin\.tsv", {**FEAT_FILES, "clin.tsv": ""},
         absent=("out.tsv",)),
]

MISC_CASES = [
    Case("cohorts-show-unknown", ["cohorts", "show", "metabricc"], 2, r"metabricc"),
    Case("cohorts-show-typo-suggests", ["cohorts", "show", "gse199"], 2, r"gse1992"),
    Case("convert-missing-input", ["convert", "{ws}/nope.parquet", "{ws}/out.h5ad"], 2,
         r"nope\.parquet", absent=("out.h5ad",)),
    Case("convert-bad-suffix", ["convert", "{ws}/expr.tsv", "{ws}/out.xlsx"], 2,
         r"\.h5ad|\.zarr|xlsx", FEAT_FILES, absent=("out.xlsx",)),
    Case("convert-output-exists", ["convert", "{ws}/expr.tsv", "{ws}/out.h5ad"], 2,
         r"exists", {**FEAT_FILES, "out.h5ad": "keep me"}),
    Case("ui-port-out-of-range", ["ui", "--port", "99999", "--store",
                                  "sqlite:///{ws}/ui.db"], 2, r"between 1 and 65535",
         absent=("ui.db",)),
    Case("ui-port-zero", ["ui", "--port", "0", "--store", "sqlite:///{ws}/ui.db"], 2,
         r"between 1 and 65535", absent=("ui.db",)),
    Case("report-unknown-run", ["report", "0123456789abcdef", "-o", "{ws}/r.html",
                                "--tracking-uri", "sqlite:///{ws}/mlflow.db"], 2,
         r"tracking store|no run", absent=("r.html", "mlflow.db")),
    Case("subtypes-missing-input", ["subtypes", "{ws}/nope.tsv", "-o", "{ws}/out.tsv"], 2,
         r"nope\.tsv", absent=("out.tsv",)),
    Case("subtypes-output-exists", ["subtypes", "{ws}/expr.tsv", "-o", "{ws}/out.tsv"], 2,
         r"exists", {**FEAT_FILES, "out.tsv": "keep me\n"}),
    Case("signatures-check-missing", ["signatures", "check", "{ws}/nope.gmt"], 2,
         r"nope\.gmt"),
    Case("train-unknown-option", ["train", "--confgi", "x.toml"], 2, r"confgi|No such option"),
    Case("score-no-model-option", ["score", "{ws}/expr.tsv", "-o", "{ws}/s.tsv"], 2,
         r"--model|Missing option", FEAT_FILES, absent=("s.tsv",)),
]


def _gz_truncated(ws: Path) -> None:
    raw = gzip.compress(_expr(30).to_csv(sep="\t").encode())
    (ws / "expr.tsv.gz").write_bytes(raw[: len(raw) // 2])


FILE_FORMAT_CASES = [
    Case("expression-truncated-gz", ["features", "{ws}/expr.tsv.gz", "-o", "{ws}/out.tsv"], 2,
         r"expr\.tsv\.gz", {"expr.tsv.gz": _gz_truncated}, absent=("out.tsv",)),
    Case("expression-not-gzip", ["features", "{ws}/expr.tsv.gz", "-o", "{ws}/out.tsv"], 2,
         r"expr\.tsv\.gz", {"expr.tsv.gz": "sample_id\tCD8A\ns1\t1\n"}, absent=("out.tsv",)),
    Case("expression-parquet-corrupt", ["features", "{ws}/expr.parquet", "-o",
                                        "{ws}/out.tsv"], 2, r"expr\.parquet",
         {"expr.parquet": b"PAR1" + b"\x00" * 200}, absent=("out.tsv",)),
]

CASES = CONFIG_CASES + FEATURE_CASES + MISC_CASES + FILE_FORMAT_CASES


def _materialise(case: Case, ws: Path) -> list[str]:
    for name, content in case.files.items():
        p = ws / name
        if callable(content):
            content(ws)
        elif isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)
    return [a.replace("{ws}", str(ws)) for a in case.argv]


def check(case: Case, ws: Path, argv: list[str]) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in ws.iterdir()}
    res = runner.invoke(app, argv)
    text = res.output
    assert "Traceback" not in text, text
    assert res.exit_code == case.code, f"{case.id}: exit {res.exit_code}\n{text}"
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise AssertionError(f"{case.id}: raised {res.exception!r}")
    import re

    assert re.search(case.message, text, flags=re.IGNORECASE | re.DOTALL), \
        f"{case.id}: message does not match {case.message!r}:\n{text}"
    for name in case.absent:
        assert not (ws / name).exists(), f"{case.id}: left {name} behind"
    for name, mtime in before.items():  # a user's file is never touched
        assert (ws / name).stat().st_mtime_ns == mtime, f"{case.id}: modified {name}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gets_one_clear_error(case, tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    check(case, ws, _materialise(case, ws))


def test_catalogue_ids_are_unique():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
