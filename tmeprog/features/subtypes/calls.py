"""Subtype calls of a cohort (PAM50 + receptor status) and how they join the clinical data.

:func:`call_subtypes` is the one-call entry; :class:`SubtypeCaller` is the fitted, frozen
version the served model keeps. :func:`annotate_clinical` adds the calls to a clinical table
without overwriting anything recorded: ``pam50`` and ``er`` are filled only where missing,
``er_source`` says which ``er`` values came from expression, ``subtype`` (receptor subtype) is
filled where missing from recorded status, else expression-inferred status, with
``subtype_source``.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from tmeprog.cohorts.model import coerce_clinical
from tmeprog.cohorts.vocabulary import receptor_subtype
from tmeprog.errors import InputError
from tmeprog.features.subtypes.pam50 import PAM50Classifier
from tmeprog.features.subtypes.receptors import (
    MIN_MIXTURE_SAMPLES,
    ReceptorCaller,
    ReceptorWarning,
)
from tmeprog.features.subtypes.reference import check_expression

RECEPTOR_COLUMNS = ("er_expression", "pgr_expression", "erbb2_expression", "er_score",
                    "pgr_score", "erbb2_score")


class SubtypeCaller(TransformerMixin, BaseEstimator):
    """PAM50 subtype and receptor status from expression, with references frozen at fit.

    Parameters
    ----------
    variant, centring, min_genes
        As :class:`~tmeprog.features.subtypes.pam50.PAM50Classifier`.
    """

    def __init__(self, variant: str = "plain", centring: str = "balanced",
                 min_genes: int | None = None):
        self.variant = variant
        self.centring = centring
        self.min_genes = min_genes

    def fit(self, X: pd.DataFrame, y=None, er: pd.Series | None = None) -> SubtypeCaller:
        """Fit the receptor mixtures and the PAM50 gene reference on cohort ``X``."""
        X = check_expression(X, "subtype calls")
        self.pam50_ = PAM50Classifier(self.variant, self.centring, self.min_genes)
        self.pam50_.fit(X, er=er)
        self.receptors_ = None
        if len(X) >= MIN_MIXTURE_SAMPLES:
            self.receptors_ = ReceptorCaller().fit(X)
        else:
            warnings.warn(f"receptor status is not inferred from expression: the mixture needs "
                          f"at least {MIN_MIXTURE_SAMPLES} samples (got {len(X)})",
                          ReceptorWarning, stacklevel=2)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """One row per sample: ``pam50``, ``pam50_confidence``, ``pam50_genes``, the five
        ``pam50_cor_*`` and the receptor scores and calls (``er_expression`` ...)."""
        check_is_fitted(self, "pam50_")
        X = check_expression(X, "subtype calls")
        table = self.pam50_.predict_table(X)
        if self.receptors_ is not None:
            rec = self.receptors_.transform(X)
        else:
            rec = pd.DataFrame(index=X.index)
            for c in RECEPTOR_COLUMNS:
                rec[c] = pd.array([pd.NA] * len(X), dtype="Int64") if c.endswith(
                    "_expression") else np.nan
        rec = rec[[c for c in RECEPTOR_COLUMNS]]
        return pd.concat([table, rec], axis=1)


def call_subtypes(expression: pd.DataFrame, centring: str = "balanced", variant: str = "plain",
                  er: pd.Series | None = None, min_genes: int | None = None) -> pd.DataFrame:
    """PAM50 subtypes and expression-inferred receptor status of a cohort.

    Parameters
    ----------
    expression : pandas.DataFrame
        Samples x gene symbols, log scale (a cohort's ``expression``).
    centring : {"balanced", "median", "none"}
        Gene reference (see :mod:`tmeprog.features.subtypes.pam50`); ``balanced`` is the
        ER-balanced median.
    variant : {"plain", "robust"}
        genefu's ``pam50`` or ``pam50.robust``.
    er : pandas.Series, optional
        Recorded ER status (1/0) by sample, used for the ER-balanced reference.
    min_genes : int, optional
        Fewest PAM50 genes accepted (default genefu's ``mins``, 5).

    Returns
    -------
    pandas.DataFrame
        Indexed by sample id: ``pam50``, ``pam50_confidence``, ``pam50_genes``,
        ``pam50_cor_Basal`` ... ``pam50_cor_Normal``, ``er_expression``, ``pgr_expression``,
        ``erbb2_expression`` (0/1), ``er_score``, ``pgr_score``, ``erbb2_score``.
    """
    caller = SubtypeCaller(variant=variant, centring=centring, min_genes=min_genes)
    return caller.fit(expression, er=er).transform(expression)


def _fill(recorded: pd.Series | None, inferred: pd.Series, index) -> pd.Series:
    inf = pd.array(inferred.reindex(index), dtype="Int64")
    if recorded is None:
        return pd.Series(inf, index=index, dtype="Int64")
    rec = pd.Series(pd.array(pd.to_numeric(recorded, errors="coerce").round(), dtype="Int64"),
                    index=index)
    return rec.fillna(pd.Series(inf, index=index))


def annotate_clinical(clinical: pd.DataFrame, calls: pd.DataFrame) -> pd.DataFrame:
    """Clinical table with the subtype calls joined in (recorded values never overwritten).

    Adds ``er_expression``, ``pr_expression`` and ``her2_expression`` (the inferred calls),
    fills ``pam50`` and ``er`` where missing (``er_source``: ``recorded`` or ``expression``)
    and ``subtype`` where missing (``subtype_source``).
    """
    idx = clinical.index
    calls = calls.reindex(idx)
    out = clinical.copy()
    out["er_expression"] = pd.array(calls["er_expression"], dtype="Int64")
    out["pr_expression"] = pd.array(calls["pgr_expression"], dtype="Int64")
    out["her2_expression"] = pd.array(calls["erbb2_expression"], dtype="Int64")
    rec_er = clinical["er"] if "er" in clinical.columns else None
    out["er"] = _fill(rec_er, calls["er_expression"], idx)
    src = pd.Series(pd.NA, index=idx, dtype="string")
    had = rec_er.notna() if rec_er is not None else pd.Series(False, index=idx)
    src[had.to_numpy()] = "recorded"
    src[(~had & out["er"].notna()).to_numpy()] = "expression"
    out["er_source"] = src
    pam = calls["pam50"].astype("string")
    out["pam50"] = clinical["pam50"].astype("string").fillna(pam) if "pam50" in clinical \
        else pam
    out = _fill_subtype(out, clinical)
    return coerce_clinical(out)


def _fill_subtype(out: pd.DataFrame, clinical: pd.DataFrame) -> pd.DataFrame:
    idx = out.index
    pr = _fill(clinical.get("pr"), out["pr_expression"], idx)
    her2 = _fill(clinical.get("her2"), out["her2_expression"], idx)
    er = out["er"]
    hr = pd.Series(pd.NA, index=idx, dtype="Int64")
    hr[((er == 0) & (pr == 0)).fillna(False).to_numpy()] = 0
    hr[((er == 1) | (pr == 1)).fillna(False).to_numpy()] = 1
    if "hr" in clinical.columns:
        hr = pd.Series(pd.array(pd.to_numeric(clinical["hr"], errors="coerce"), dtype="Int64"),
                       index=idx).fillna(hr)
    derived = receptor_subtype(hr, her2)
    recorded = clinical["subtype"].astype("string") if "subtype" in clinical.columns \
        else pd.Series(pd.NA, index=idx, dtype="string")
    out["subtype"] = recorded.fillna(derived)
    src = pd.Series(pd.NA, index=idx, dtype="string")
    src[recorded.notna().to_numpy()] = "recorded"
    src[(recorded.isna() & derived.notna()).to_numpy()] = "expression"
    out["subtype_source"] = src
    return out


def annotate_cohort(cohort, centring: str = "balanced", variant: str = "plain",
                    min_genes: int | None = None):
    """The cohort with subtype calls joined to its clinical table, and the calls.

    The classifier is fitted on the cohort itself (its own gene reference), with its recorded
    ER for the ER-balanced centring.

    Returns
    -------
    (Cohort, pandas.DataFrame)
    """
    if cohort.expression is None:
        raise InputError(f"cohort {cohort.name!r} has no gene expression; subtype calls need "
                         "expression")
    er = cohort.clinical["er"] if "er" in cohort.clinical.columns else None
    calls = call_subtypes(cohort.expression, centring=centring, variant=variant, er=er,
                          min_genes=min_genes)
    clinical = annotate_clinical(cohort.clinical, calls)
    report = [*cohort.report, f"subtypes: PAM50 ({variant}, centring {centring}) on "
              f"{int(calls['pam50_genes'].max())} of 50 genes; ER filled from expression for "
              f"{int((clinical['er_source'] == 'expression').sum())} samples"]
    return replace(cohort, clinical=clinical, report=report), calls


def fill_subtype_calls(caller: SubtypeCaller | None, expression: pd.DataFrame,
                       clinical: pd.DataFrame) -> pd.DataFrame:
    """Clinical columns of a model input completed with a frozen caller's calls.

    For the served model: a patient scored alone gets the calls it gets within the training
    cohort. Without a caller the clinical table is returned unchanged.
    """
    if caller is None:
        return clinical
    calls = caller.transform(expression)
    return annotate_clinical(clinical, calls)
