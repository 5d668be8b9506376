"""Univariate TME screen: Cox hazard ratio per SD of each feature, by stratum, with BH FDR.

For every stratum (all samples; ER-positive and ER-negative; each receptor subtype when the
clinical table has ``subtype``; each PAM50 subtype when it has ``pam50``) and every feature, a
lifelines ``CoxPHFitter`` (Efron ties) is fitted on the feature standardised within the analysed
samples (HR per SD):

* unadjusted - the feature alone, samples with the feature recorded;
* adjusted - plus the clinical baseline (age, grade, size, node status, ER) covariates that
  vary within the stratum, complete cases only.

Benjamini-Hochberg FDR is computed within each (stratum, adjusted) family. Strata with fewer
than ``min_events`` events are skipped with a warning.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.stats import chi2, false_discovery_control

from tmeprog.errors import InputError
from tmeprog.models.feature_sets import clinical_baseline
from tmeprog.models.inputs import MIN_EVENTS, as_frame, check_survival_y

COLUMNS = ["feature", "stratum", "adjusted", "hr", "ci_low", "ci_high", "p", "fdr", "n", "events",
           "covariates"]


def default_strata(clinical: pd.DataFrame | None, index: pd.Index) -> dict[str, np.ndarray]:
    """``all``, ``ER+``/``ER-`` (when ``er`` is recorded), each receptor ``subtype`` and each
    PAM50 subtype (``pam50``, e.g. from :func:`tmeprog.features.subtypes.annotate_cohort`)."""
    strata = {"all": np.ones(len(index), bool)}
    if clinical is None:
        return strata
    if "er" in clinical.columns:
        er = pd.to_numeric(clinical["er"], errors="coerce").to_numpy(dtype=float)
        strata["ER+"] = er == 1
        strata["ER-"] = er == 0
    if "subtype" in clinical.columns:
        sub = clinical["subtype"].astype("string")
        for s in sorted(sub.dropna().unique()):
            strata[str(s)] = (sub == s).fillna(False).to_numpy()
    if "pam50" in clinical.columns:
        pam = clinical["pam50"].astype("string")
        for s in sorted(pam.dropna().unique()):
            strata[f"PAM50 {s}"] = (pam == s).fillna(False).to_numpy()
    return strata


def _fit_cox(d: pd.DataFrame, strata: bool):
    """lifelines Cox model of ``__time``/``__event`` on the other columns (warnings muted),
    stratified by ``__cohort`` when ``strata``."""
    # deferred: keeps `import tmeprog.models` (and `tmeprog models`) free of lifelines
    from lifelines import CoxPHFitter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CoxPHFitter().fit(d, duration_col="__time", event_col="__event",
                                 strata=["__cohort"] if strata else None)


def _hazard_ratio(summary: pd.DataFrame, term: str) -> tuple[float, float, float, float]:
    """HR, 95% CI and p of ``term`` in a lifelines summary."""
    r = summary.loc[term]
    return (float(r["exp(coef)"]), float(r["exp(coef) lower 95%"]),
            float(r["exp(coef) upper 95%"]), float(r["p"]))


def _cohort_labels(cohorts, n: int) -> np.ndarray:
    coh = np.asarray(cohorts).astype(str)
    if len(coh) != n:
        raise InputError("screen: cohorts must have one entry per sample")
    return coh


def _zscore_within(F: pd.DataFrame, coh: np.ndarray) -> pd.DataFrame:
    """Each column z-scored (sample SD) within each cohort label."""
    return F.groupby(coh).transform(lambda v: (v - v.mean()) / v.std(ddof=1))


def univariate_screen(features: pd.DataFrame, y, clinical: pd.DataFrame | None = None, *,
                      strata: Mapping[str, np.ndarray] | str = "auto", adjust: bool = True,
                      min_events: int = MIN_EVENTS, cohorts=None) -> pd.DataFrame:
    """Per-feature Cox hazard ratios per SD, unadjusted and clinically adjusted, per stratum.

    Parameters
    ----------
    features : pandas.DataFrame
        Samples x TME features.
    y : structured array
        ``(event, time)`` in months, rows as ``features``.
    clinical : pandas.DataFrame, optional
        Clinical vocabulary columns, same index as ``features`` (needed for adjustment and
        ER / subtype strata).
    strata : "auto" or mapping
        ``"auto"`` uses :func:`default_strata`; or ``name -> boolean mask``.
    adjust : bool
        Also fit clinically adjusted models.
    min_events : int
        Smallest number of events for a stratum to be analysed.
    cohorts : array-like, optional
        Cohort of each sample. When given, each feature is z-scored within its cohort and the
        Cox model is stratified by cohort (its own baseline hazard per cohort), so that
        platform offsets and differing endpoints of pooled cohorts cannot confound the hazard
        ratio; HRs are then per within-cohort SD.

    Returns
    -------
    pandas.DataFrame
        Columns ``feature, stratum, adjusted, hr, ci_low, ci_high, p, fdr, n, events,
        covariates``.
    """
    F = as_frame(features, "features")
    yy = check_survival_y(y, len(F), min_events=None)
    if clinical is not None and not clinical.index.equals(F.index):
        raise InputError("screen: clinical and feature tables must share the same sample index")
    masks = default_strata(clinical, F.index) if isinstance(strata, str) else dict(strata)
    coh = None
    if cohorts is not None:
        coh = _cohort_labels(cohorts, len(F))
        F = _zscore_within(F, coh)
    base = clinical_baseline(clinical) if (clinical is not None and adjust) else None
    rows = []
    for sname, mask in masks.items():
        mask = np.asarray(mask, bool)
        ev = int(yy["event"][mask].sum())
        if ev < min_events:
            warnings.warn(f"screen: stratum {sname!r} has {ev} events (< {min_events}); skipped",
                          UserWarning, stacklevel=2)
            continue
        covs: list[str] = []
        if base is not None:
            b = base[mask]
            covs = [c for c in b.columns if b[c].nunique(dropna=True) > 1]
        # the Cox model is stratified by cohort when this stratum spans several cohorts
        strata = coh[mask] if coh is not None and len(set(coh[mask])) > 1 else None
        for feat in F.columns:
            x = F[feat].to_numpy()[mask]
            for adjusted in ([False, True] if covs else [False]):
                d = pd.DataFrame({"__x": x, "__time": yy["time"][mask],
                                  "__event": yy["event"][mask].astype(int)})
                if strata is not None:
                    d["__cohort"] = strata
                if adjusted:
                    for c in covs:
                        d[c] = base[c].to_numpy()[mask]
                d = d.dropna()
                row = {"feature": feat, "stratum": sname, "adjusted": adjusted, "n": len(d),
                       "events": int(d["__event"].sum()),
                       "covariates": ",".join(covs) if adjusted else ""}
                sd = d["__x"].std(ddof=1) if len(d) > 1 else 0.0
                hr = lo = hi = p = np.nan
                if sd > 0 and row["events"] >= 2:
                    d["__z"] = (d["__x"] - d["__x"].mean()) / sd
                    d = d.drop(columns="__x")
                    try:
                        hr, lo, hi, p = _hazard_ratio(
                            _fit_cox(d, "__cohort" in d.columns).summary, "__z")
                    except Exception as exc:  # lifelines: convergence / separation errors
                        warnings.warn(f"screen: {feat} in {sname!r} (adjusted={adjusted}) did "
                                      f"not fit: {type(exc).__name__}", UserWarning,
                                      stacklevel=2)
                rows.append({**row, "hr": hr, "ci_low": lo, "ci_high": hi, "p": p})
    out = pd.DataFrame(rows, columns=[c for c in COLUMNS if c != "fdr"])
    out["fdr"] = np.nan
    for _, idx in out.groupby(["stratum", "adjusted"]).groups.items():
        p = out.loc[idx, "p"]
        ok = p.notna()
        if ok.any():
            out.loc[p.index[ok], "fdr"] = false_discovery_control(p[ok].to_numpy(), method="bh")
    return out[COLUMNS].reset_index(drop=True)


INTERACTION_COLUMNS = [
    "feature", "hr_er_neg", "ci_low_er_neg", "ci_high_er_neg", "p_er_neg", "n_er_neg",
    "events_er_neg", "hr_er_pos", "ci_low_er_pos", "ci_high_er_pos", "p_er_pos", "n_er_pos",
    "events_er_pos", "hr_ratio", "p_interaction_lr", "p_interaction_wald", "fdr_interaction",
    "n", "events"]


def subtype_interaction_screen(features: pd.DataFrame, y, er, *, cohorts=None,
                               min_events: int = MIN_EVENTS) -> pd.DataFrame:
    """TME hazard ratios by ER status, and a test of whether the effect differs between them.

    For each feature (z-scored within cohort when ``cohorts`` is given, else over all
    samples; HR per SD of that scale), on the samples whose ER status is known:

    * per-stratum HRs: a Cox model of the feature alone in ER-negative, then in ER-positive
      samples;
    * interaction: the Cox model ``z + er_negative + z x er_negative`` against
      ``z + er_negative``: likelihood-ratio test (1 df) and the Wald p of the product term;
      ``hr_ratio`` is exp(product coefficient), the ER-negative HR over the ER-positive one.

    Every model is a lifelines ``CoxPHFitter`` (Efron ties), stratified by cohort (a baseline
    hazard per cohort, hence per cohort x endpoint) when the samples span several cohorts.
    Benjamini-Hochberg FDR over the interaction LR p-values. A stratum with fewer than
    ``min_events`` events gets no HR (NaN); with fewer in either stratum no interaction test.

    Parameters
    ----------
    features, y
        As in :func:`univariate_screen`.
    er : array-like
        ER status per sample (1 positive, 0 negative, NaN unknown).
    cohorts : array-like, optional
        Cohort of each sample.
    min_events : int
        Fewest events per ER stratum.

    Returns
    -------
    pandas.DataFrame
        One row per feature, columns :data:`INTERACTION_COLUMNS`.
    """
    F = as_frame(features, "features")
    yy = check_survival_y(y, len(F), min_events=None)
    erv = pd.to_numeric(pd.Series(np.asarray(er, dtype=object)), errors="coerce").to_numpy(float)
    if len(erv) != len(F):
        raise InputError("screen: er must have one entry per sample")
    if np.isin(erv[np.isfinite(erv)], [0.0, 1.0], invert=True).any():
        raise InputError("screen: er must be 1 (positive), 0 (negative) or missing")
    coh = np.zeros(len(F), dtype=object) if cohorts is None else _cohort_labels(cohorts, len(F))
    Z = _zscore_within(F, coh)
    known = np.isfinite(erv)
    rows = []
    for feat in Z.columns:
        d = pd.DataFrame({"__z": Z[feat].to_numpy(), "__erneg": 1.0 - erv,
                          "__time": yy["time"], "__event": yy["event"].astype(int),
                          "__cohort": coh})[known].dropna()
        row = {"feature": feat, "n": len(d), "events": int(d["__event"].sum())}
        enough = True
        for tag, val in (("er_neg", 1.0), ("er_pos", 0.0)):
            part = d[d["__erneg"] == val]
            ev = int(part["__event"].sum())
            row |= {f"n_{tag}": len(part), f"events_{tag}": ev}
            est = (np.nan,) * 4
            if ev >= min_events and part["__z"].std() > 0:
                try:
                    est = _hazard_ratio(_fit_cox(part[["__z", "__time", "__event", "__cohort"]],
                                                 part["__cohort"].nunique() > 1).summary, "__z")
                except Exception as exc:  # lifelines: convergence / separation errors
                    warnings.warn(f"screen: {feat} in {tag} did not fit: {type(exc).__name__}",
                                  UserWarning, stacklevel=2)
            else:
                enough = False
            row |= dict(zip([f"hr_{tag}", f"ci_low_{tag}", f"ci_high_{tag}", f"p_{tag}"],
                            map(float, est), strict=True))
        row |= {"hr_ratio": np.nan, "p_interaction_lr": np.nan, "p_interaction_wald": np.nan}
        if enough:
            d["__int"] = d["__z"] * d["__erneg"]
            strat = d["__cohort"].nunique() > 1
            cols = ["__time", "__event"] + (["__cohort"] if strat else [])
            try:
                full = _fit_cox(d[["__z", "__erneg", "__int", *cols]], strat)
                reduced = _fit_cox(d[["__z", "__erneg", *cols]], strat)
                lr = 2.0 * (full.log_likelihood_ - reduced.log_likelihood_)
                s = full.summary.loc["__int"]
                row |= {"hr_ratio": float(s["exp(coef)"]),
                        "p_interaction_lr": float(chi2.sf(max(lr, 0.0), 1)),
                        "p_interaction_wald": float(s["p"])}
            except Exception as exc:  # lifelines: convergence / separation errors
                warnings.warn(f"screen: interaction of {feat} did not fit: "
                              f"{type(exc).__name__}", UserWarning, stacklevel=2)
        rows.append(row)
    out = pd.DataFrame(rows, columns=[c for c in INTERACTION_COLUMNS if c != "fdr_interaction"])
    out["fdr_interaction"] = np.nan
    ok = out["p_interaction_lr"].notna()
    if ok.any():
        out.loc[ok, "fdr_interaction"] = false_discovery_control(
            out.loc[ok, "p_interaction_lr"].to_numpy(), method="bh")
    return out[INTERACTION_COLUMNS]
