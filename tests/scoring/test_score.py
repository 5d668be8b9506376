"""``tmeprog score``: the served model's numbers, for every input form, and clean failures."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tmeprog.cli import app
from tmeprog.cohorts import load_cohort
from tmeprog.errors import InputError
from tmeprog.scoring import ChunkFailedError, score_batch
from tmeprog.tracking.pyfunc import model_input

from .conftest import CHAMPION

runner = CliRunner()
SCORES = ["risk_score", "risk_group", "survival_prob_3y", "survival_prob_5y"]


def _pyfunc(served, frame):
    """The registered pyfunc's own predict (schema enforcement included), indexed by sample."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = served.pyfunc.predict(frame)
    out.index = frame.index
    return out


def _read(path):
    return pd.read_parquet(path).set_index("sample_id")


def _nothing_written(out):
    assert not out.exists()
    assert not out.with_name(out.name + ".parts").exists()
    assert not out.with_name(out.name + ".failed.tsv").exists()


def test_cli_scores_a_bundled_cohort_exactly_as_in_process(served, store, tmp_path):
    out = tmp_path / "gse1992.parquet"
    res = runner.invoke(app, ["score", "gse1992", "--model", CHAMPION, "-o", str(out),
                              "--tracking-uri", store, "-q"])
    assert res.exit_code == 0, res.output
    got = _read(out)
    c = load_cohort("gse1992")
    frame = model_input(c.expression, c.clinical)
    direct = served.scorer.predict(frame)
    assert list(got.columns) == SCORES + ["model_uri", "model_version", "coverage_warning",
                                          "imputed_covariates"]
    assert list(got.index) == list(c.samples)
    pd.testing.assert_frame_equal(got[SCORES], direct[SCORES], check_exact=True,
                                  check_names=False)
    assert set(got["model_uri"]) == {CHAMPION}
    assert set(got["model_version"]) == {"1"}
    assert (got["coverage_warning"].fillna("") == "").all()
    assert not out.with_name(out.name + ".parts").exists()


def test_gse3143_scores_with_empty_covariate_columns(served, tmp_path):
    """gse3143 records only ER: the other covariates are supplied as empty columns."""
    c = load_cohort("gse3143")
    expr, clin = tmp_path / "e.parquet", tmp_path / "c.tsv"
    c.expression.rename_axis("sample_id").to_parquet(expr)
    full = c.clinical.assign(age=np.nan, grade=pd.NA, t_stage=pd.NA, node_status=pd.NA)
    full.rename_axis("sample_id").to_csv(clin, sep="\t")
    out = tmp_path / "o.parquet"
    s = score_batch(CHAMPION, str(expr), out, clinical=str(clin), served=served)
    ref = served.scorer.predict(model_input(c.expression, full))
    got = _read(out)
    assert s.n_scored == len(c.samples) == len(got)
    pd.testing.assert_frame_equal(got[SCORES], ref[SCORES], check_exact=True, check_names=False)
    # every sample is flagged with the covariates the empty columns left to imputation
    flags = got["imputed_covariates"].str.split(",").map(set)
    assert flags.map(lambda f: {"age", "grade"} <= f and "er" not in f).all()
    assert s.n_imputed == len(got) and s.warnings[0].startswith(f"{len(got)} of {len(got)}")


def test_streamed_file_gives_the_pyfunc_values_chunk_by_chunk(served, cohort_files, whole4335,
                                                             frame4335, local60):
    c = cohort_files["cohort"]
    s, got = local60
    assert (s.n_scored, s.n_chunks, s.n_failed, s.chunk_size) == (115, 2, 0, 60)
    got = got.set_index("sample_id")
    assert list(got.index) == list(c.samples)
    for a in (0, 60):  # each chunk: the registered pyfunc on the same rows, bit for bit
        rows = c.samples[a:a + 60]
        ref = _pyfunc(served, frame4335.loc[rows])
        pd.testing.assert_frame_equal(got.loc[rows, SCORES], ref[SCORES], check_exact=True,
                                      check_names=False)
    np.testing.assert_allclose(got["risk_score"], whole4335["risk_score"], rtol=1e-12, atol=0)
    assert (got["risk_group"] == whole4335["risk_group"]).all()


def test_text_and_transposed_files_make_the_same_model_input(served, cohort_files, frame4335):
    """Same model-input frames, chunk by chunk, hence the same scores."""
    from tmeprog.scoring.inputs import open_input

    def frames(kind):
        inp = open_input(served.scorer, cohort_files[kind], clinical=cohort_files["clinical"])
        return [inp.preparer.frame(ids, p) for i, ids, p in inp.chunks(20) if i < 2]

    ref = frames("parquet")
    c = cohort_files["cohort"]
    first = frame4335.iloc[:20]
    pd.testing.assert_frame_equal(ref[0], first[ref[0].columns], check_names=False)
    assert set(first.columns) - set(ref[0].columns) <= set(c.expression.columns) - set(
        served.scorer.extractor.input_genes_)
    for kind in ("tsv", "gxs"):
        got = frames(kind)
        assert len(got) == len(ref) == 2
        for a, b in zip(got, ref, strict=True):
            pd.testing.assert_frame_equal(a, b)


def test_one_patient_alone_scores_as_in_the_cohort(served, cohort_files, whole4335, tmp_path):
    c = cohort_files["cohort"]
    sid = c.samples[77]
    path = tmp_path / "one.tsv"
    c.expression.loc[[sid]].rename_axis("sample_id").to_csv(path, sep="\t")
    out = tmp_path / "one.csv"
    # one sample cannot show its scale: state it, as a user would
    score_batch(CHAMPION, str(path), out, clinical=cohort_files["clinical"],
                scale="log2_ratio", served=served)
    one = pd.read_csv(out, float_precision="round_trip").set_index("sample_id")
    assert list(one.index) == [sid]
    for col in ("risk_score", "survival_prob_3y", "survival_prob_5y"):  # bit for bit
        np.testing.assert_array_equal(one[col].to_numpy(), whole4335.loc[[sid], col].to_numpy())
    assert one["risk_group"].iloc[0] == whole4335.loc[sid, "risk_group"]


def test_feature_table_model(feature_model, store, tmp_path):
    from tmeprog.scoring import load_served_model

    fm = load_served_model(feature_model, store)
    rng = np.random.default_rng(9)
    tab = pd.DataFrame(rng.normal(size=(25, 3)), columns=["sig_a", "sig_b", "sig_c"],
                       index=pd.Index([f"P{i}" for i in range(25)], name="sample_id"))
    path = tmp_path / "features.tsv"
    tab.to_csv(path, sep="\t")
    out = tmp_path / "r.tsv"
    score_batch(feature_model, str(path), out, served=fm, chunk_size=10)
    got = pd.read_csv(out, sep="\t", float_precision="round_trip").set_index("sample_id")
    assert list(got.columns) == ["pcr_probability", "model_uri", "model_version",
                                 "coverage_warning"]
    feats = load_cohort(path, kind="features").features  # the loader's parse of the file
    np.testing.assert_allclose(feats.to_numpy(), tab.to_numpy(), rtol=1e-13)
    for a in (0, 10, 20):
        ref = _pyfunc(fm, model_input(None, None, feats.iloc[a:a + 10]))
        np.testing.assert_array_equal(got["pcr_probability"].iloc[a:a + 10].to_numpy(),
                                      ref["pcr_probability"].to_numpy())
    tab.drop(columns=["sig_c"]).to_csv(path, sep="\t")
    bad = tmp_path / "bad.tsv"
    with pytest.raises(InputError, match=r"lacks 1 of the 3 feature columns.*sig_c"):
        score_batch(feature_model, str(path), bad, served=fm)
    _nothing_written(bad)


def test_cli_keep_going_exits_1_and_lists_failures(feature_model, store, tmp_path):
    tab = pd.DataFrame({"sig_a": [0.1, np.nan, 0.3, 1.0], "sig_b": [1.0, 2.0, 3.0, 4.0],
                        "sig_c": [0.0, 0.5, 1.0, 1.5]},
                       index=pd.Index(["A", "B", "C", "D"], name="sample_id"))
    path = tmp_path / "features.csv"
    tab.to_csv(path)
    out = tmp_path / "r.csv"
    args = ["score", str(path), "--model", feature_model, "-o", str(out), "--tracking-uri",
            store, "--chunk-size", "2", "-q"]
    res = runner.invoke(app, args)
    assert res.exit_code == 2 and "chunk 0 (samples A, B)" in " ".join(res.output.split())
    assert not out.exists()
    res = runner.invoke(app, args + ["--resume", "--keep-going"])
    assert res.exit_code == 1, res.output
    assert pd.read_csv(out)["sample_id"].tolist() == ["A", "C", "D"]
    failed = pd.read_csv(out.with_name("r.csv.failed.tsv"), sep="\t")
    assert failed["sample_id"].tolist() == ["B"] and "NaN" in failed["error"].iloc[0]
    res = runner.invoke(app, args)
    assert res.exit_code == 2 and "--overwrite" in res.output


def test_unknown_model_is_named_with_the_store(store, cohort_files, tmp_path):
    out = tmp_path / "o.parquet"
    res = runner.invoke(app, ["score", cohort_files["parquet"], "--model",
                              "models:/no-such-model@champion", "-o", str(out),
                              "--tracking-uri", store])
    assert res.exit_code == 2
    text = " ".join(res.output.split())
    assert "no model named 'no-such-model' in the tracking store" in text
    assert "tmeprog-test-prognosis" in text  # what the store does hold
    _nothing_written(out)


def test_errors_before_any_output(served, cohort_files, tmp_path):
    c = cohort_files["cohort"]
    ext = served.scorer.extractor
    drop = [g for g in ext.signatures_["cell_cd8_t"]["up"] if g in c.expression.columns]
    thin = tmp_path / "thin.parquet"
    c.expression.drop(columns=drop).rename_axis("sample_id").to_parquet(thin)
    clin = cohort_files["clinical"]
    er_only = tmp_path / "er.tsv"
    c.clinical[["er"]].rename_axis("sample_id").to_csv(er_only, sep="\t")
    cases = [
        (str(thin), {"clinical": clin}, r"lacks too many genes .*cell_cd8_t 0/\d+ genes"),
        (cohort_files["gxs"], {"clinical": clin, "orientation": "samples_x_genes"},
         r"looks like genes x samples, not samples x genes.*--orientation genes_x_samples"),
        (cohort_files["tsv"], {"clinical": clin, "orientation": "genes_x_samples"},
         r"looks like samples x genes"),
        (cohort_files["parquet"], {}, r"clinical covariates .* lacks age \(column age\)"),
        (cohort_files["parquet"], {"clinical": str(er_only)},
         r"clinical file 'er.tsv' lacks age \(column age\), grade"),
        ("gse3143", {}, r"lacks age .*grade"),
        (str(tmp_path / "absent.tsv"), {}, r"does not exist"),
    ]
    for src, kw, msg in cases:
        out = tmp_path / "err.parquet"
        with pytest.raises(InputError, match=msg):
            score_batch(CHAMPION, src, out, served=served, **kw)
        _nothing_written(out)


def test_existing_output_is_refused_unless_overwrite(feature_model, store, tmp_path):
    from tmeprog.scoring import load_served_model

    fm = load_served_model(feature_model, store)
    path = tmp_path / "f.tsv"
    pd.DataFrame({"sample_id": ["x", "y"], "sig_a": [1.0, 2.0], "sig_b": [0.0, 0.0],
                  "sig_c": [3.0, 1.0]}).to_csv(path, sep="\t", index=False)
    out = tmp_path / "o.tsv"
    out.write_text("mine\n")
    with pytest.raises(InputError, match="exists; pass --overwrite"):
        score_batch(feature_model, str(path), out, served=fm)
    assert out.read_text() == "mine\n"
    s = score_batch(feature_model, str(path), out, served=fm, overwrite=True)
    assert s.n_scored == 2 and pd.read_csv(out, sep="\t")["sample_id"].tolist() == ["x", "y"]


def test_failing_chunk_stops_then_keep_going_lists_the_failures(served, cohort_files,
                                                                 frame4335, tmp_path):
    c = cohort_files["cohort"]
    ext = served.scorer.extractor
    cd8 = [g for g in ext.signatures_["cell_cd8_t"]["up"] if g in c.expression.columns]
    prolif = [g for g in ext.signatures_["process_proliferation"]["up"]
              if g in c.expression.columns]
    expr = c.expression.drop(columns=prolif[:2])  # partial coverage: flagged, still scored
    bad_id = c.samples[75]
    expr.loc[bad_id, cd8] = np.nan  # below the threshold: this sample cannot be scored
    path = tmp_path / "holes.parquet"
    expr.rename_axis("sample_id").to_parquet(path)
    out = tmp_path / "o.parquet"
    with pytest.raises(ChunkFailedError, match=rf"chunk 1 \(samples {c.samples[60]}.*{bad_id}:"
                                               r".*cell_cd8_t 0/\d+ genes.*--keep-going"):
        score_batch(CHAMPION, str(path), out, clinical=cohort_files["clinical"],
                    chunk_size=60, served=served)
    assert not out.exists()
    parts = out.with_name(out.name + ".parts")
    assert sorted(p.name for p in parts.glob("chunk-*")) == ["chunk-000000.parquet"]

    s = score_batch(CHAMPION, str(path), out, clinical=cohort_files["clinical"],
                    chunk_size=60, served=served, resume=True, keep_going=True)
    assert (s.n_scored, s.n_failed, s.n_resumed) == (114, 1, 1)
    got = _read(out)
    assert len(got) == 114 and bad_id not in got.index
    failed = pd.read_csv(out.with_name(out.name + ".failed.tsv"), sep="\t")
    assert failed["sample_id"].tolist() == [bad_id]
    assert "cell_cd8_t" in failed["error"].iloc[0]
    assert not parts.exists()
    assert any("process_proliferation" in n for n in s.notes)
    assert got["coverage_warning"].str.contains(r"process_proliferation \d+/\d+ genes").all()
    ok = c.samples[60:].drop(bad_id)  # chunk 1 without the sample set aside
    ref = _pyfunc(served, frame4335.loc[ok].drop(columns=prolif[:2]))
    pd.testing.assert_frame_equal(got.loc[ok, SCORES], ref[SCORES], check_exact=True,
                                  check_names=False)


def test_copies_identical_in_the_first_rows_must_stay_identical(served, cohort_files,
                                                               tmp_path):
    """The duplicates rule of a streamed file is decided on its first 200 rows; copies equal
    there but different later are an error (default) or averaged (--duplicates mean)."""
    c = cohort_files["cohort"]
    e = c.expression
    big = pd.concat([e.set_axis([f"{s}_{k}" for s in e.index]) for k in range(3)])  # 345 rows
    copy = big["CD8A"].copy()
    copy.iloc[250:] += 1.0  # differs only after the head
    wide = pd.concat([big, copy.rename("CD8A")], axis=1).rename_axis("sample_id")
    path = tmp_path / "dup.tsv"
    wide.to_csv(path, sep="\t")
    clin = pd.concat([c.clinical.set_axis([f"{s}_{k}" for s in c.clinical.index])
                      for k in range(3)]).rename_axis("sample_id")
    clin_path = tmp_path / "clin.tsv"
    clin.to_csv(clin_path, sep="\t")
    with pytest.raises((InputError, ChunkFailedError), match="copies of gene CD8A"):
        score_batch(CHAMPION, str(path), tmp_path / "a.parquet", clinical=str(clin_path),
                    chunk_size=100, served=served)
    assert not (tmp_path / "a.parquet").exists()
    out = tmp_path / "m.parquet"
    score_batch(CHAMPION, str(path), out, clinical=str(clin_path), chunk_size=100,
                served=served, duplicates="mean")
    got = pd.read_parquet(out).set_index("sample_id")["risk_score"]
    avg = big.copy()
    avg["CD8A"] = (big["CD8A"] + copy) / 2.0
    want = served.scorer.predict(model_input(avg, clin))["risk_score"]
    np.testing.assert_allclose(got.loc[want.index], want, rtol=1e-6, atol=1e-9)
