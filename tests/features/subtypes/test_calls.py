"""call_subtypes and how the calls join the clinical vocabulary."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from tests.features.subtypes.conftest import synthetic_cohort
from tmeprog.cohorts.vocabulary import CLINICAL_DTYPES
from tmeprog.features import SubtypeCaller, call_subtypes
from tmeprog.features.subtypes import annotate_clinical, annotate_cohort, fill_subtype_calls

COLUMNS = ["pam50", "pam50_confidence", "pam50_genes", "pam50_cor_Basal", "pam50_cor_Her2",
           "pam50_cor_LumA", "pam50_cor_LumB", "pam50_cor_Normal", "er_expression",
           "pgr_expression", "erbb2_expression", "er_score", "pgr_score", "erbb2_score"]


@pytest.mark.shared_data
def test_call_subtypes_columns_and_cohort_agreement(bundled):
    c = bundled["gse1992"]
    calls = call_subtypes(c.expression, er=c.clinical["er"])
    assert list(calls.columns) == COLUMNS
    assert calls.index.equals(c.expression.index)
    assert set(calls["pam50"].dropna()) <= {"Basal", "Her2", "LumA", "LumB", "Normal"}
    er = c.clinical["er"]
    basal_neg = float((er[calls["pam50"] == "Basal"] == 0).mean())
    luma_pos = float((er[calls["pam50"] == "LumA"] == 1).mean())
    assert basal_neg >= 0.85 and luma_pos >= 0.85


@pytest.mark.shared_data
def test_annotate_cohort_never_overwrites_recorded_values(bundled):
    c = bundled["gse4335"]
    annotated, calls = annotate_cohort(c)
    clin = annotated.clinical
    rec = c.clinical["er"]
    kept = rec.notna()
    assert (clin.loc[kept, "er"] == rec[kept]).all()
    assert (clin.loc[kept, "er_source"] == "recorded").all()
    filled = ~kept
    assert (clin.loc[filled, "er"] == calls.loc[filled, "er_expression"]).all()
    assert (clin.loc[filled, "er_source"] == "expression").all()
    assert (clin["pam50"] == calls["pam50"]).all()
    assert set(clin.columns) <= set(CLINICAL_DTYPES)
    assert annotated.report[-1].startswith("subtypes: PAM50")


def test_annotate_clinical_fills_only_missing():
    idx = pd.Index(["a", "b", "c", "d"])
    clinical = pd.DataFrame({"er": pd.array([1, 0, pd.NA, pd.NA], dtype="Int64"),
                             "pam50": pd.array(["LumA", pd.NA, pd.NA, pd.NA], dtype="string"),
                             "her2": pd.array([0, 1, pd.NA, pd.NA], dtype="Int64")}, index=idx)
    calls = pd.DataFrame({"pam50": ["Basal", "Her2", "LumB", "Basal"],
                          "er_expression": pd.array([0, 1, 1, 0], dtype="Int64"),
                          "pgr_expression": pd.array([0, 0, 1, 0], dtype="Int64"),
                          "erbb2_expression": pd.array([1, 0, 0, 0], dtype="Int64")}, index=idx)
    out = annotate_clinical(clinical, calls)
    assert list(out["er"]) == [1, 0, 1, 0]
    assert list(out["er_source"]) == ["recorded", "recorded", "expression", "expression"]
    assert list(out["pam50"]) == ["LumA", "Her2", "LumB", "Basal"]
    assert list(out["er_expression"]) == [0, 1, 1, 0]
    # recorded HER2 kept (a: HER2-negative, ER+ -> HR+/HER2-), expression elsewhere
    assert list(out["subtype"]) == ["HR+/HER2-", "HER2+", "HR+/HER2-", "TNBC"]


def test_frozen_caller_fills_a_patient_alone_as_in_cohort(shared_data):
    from tests.features.subtypes.conftest import PAM50_RENAMED

    cent = pd.read_csv(shared_data / "reference" / "genefu" / "pam50_centroids.tsv", sep="\t",
                       index_col=0)
    cent.index = [PAM50_RENAMED.get(g, g) for g in cent.index]
    X = synthetic_cohort(cent, n_per_class=8)
    X["GATA3"] = X["ESR1"] + np.random.default_rng(0).normal(0, 0.2, len(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        caller = SubtypeCaller(centring="median").fit(X)
        clinical = pd.DataFrame(index=X.index)
        cohort = fill_subtype_calls(caller, X, clinical)
        alone = fill_subtype_calls(caller, X.iloc[[4]], clinical.iloc[[4]])
    pd.testing.assert_frame_equal(alone, cohort.iloc[[4]])
    assert fill_subtype_calls(None, X, clinical) is clinical
