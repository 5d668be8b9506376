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
from scipy.stats import false_discovery_control

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


def _cox_one(df: pd.DataFrame) -> tuple[float, float, float, float]:
    from lifelines import CoxPHFitter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        strata = ["__cohort"] if "__cohort" in df.columns else None
        cph = CoxPHFitter().fit(df, duration_col="__time", event_col="__event", strata=strata)
    r = cph.summary.loc["__z"]
    return (float(r["exp(coef)"]), float(r["exp(coef) lower 95%"]),
            float(r["exp(coef) upper 95%"]), float(r["p"]))


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
        coh = np.asarray(cohorts).astype(str)
        if len(coh) != len(F):
            raise InputError("screen: cohorts must have one entry per sample")
        F = F.groupby(coh).transform(lambda v: (v - v.mean()) / v.std(ddof=1))
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
                        hr, lo, hi, p = _cox_one(d)
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
