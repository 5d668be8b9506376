"""Cohort-level summaries of subtype calls: counts, genes present, agreement with recorded IHC.

No patient-level rows: every number is a count or a share over the cohort.
"""

from __future__ import annotations

import pandas as pd

from tmeprog.features.subtypes.pam50 import PAM50Classifier
from tmeprog.signatures.genefu import pam50_model

SUBTYPE_ORDER = ("LumA", "LumB", "Her2", "Basal", "Normal")


def _share(mask: pd.Series) -> float | None:
    mask = mask.dropna()
    return float(mask.mean()) if len(mask) else None


def _binary(s) -> pd.Series:
    return pd.to_numeric(pd.Series(s), errors="coerce").astype(float)


def agreement(inferred: pd.Series, recorded: pd.Series) -> dict:
    """Agreement of expression calls with recorded status: n, share agreeing, Cohen's kappa,
    sensitivity and specificity for the positive class."""
    a, b = _binary(inferred), _binary(recorded.reindex(inferred.index))
    ok = a.notna() & b.notna()
    a, b = a[ok], b[ok]
    n = int(ok.sum())
    if n == 0:
        return {"n": 0, "agreement": None, "kappa": None, "sensitivity": None,
                "specificity": None}
    po = float((a == b).mean())
    pe = float(a.mean() * b.mean() + (1 - a.mean()) * (1 - b.mean()))
    kappa = (po - pe) / (1 - pe) if pe < 1 else None
    return {"n": n, "agreement": po, "kappa": kappa,
            "sensitivity": float((a[b == 1] == 1).mean()) if (b == 1).any() else None,
            "specificity": float((a[b == 0] == 0).mean()) if (b == 0).any() else None}


def subtype_summary(calls: pd.DataFrame, clinical: pd.DataFrame | None = None,
                    classifier: PAM50Classifier | None = None) -> dict:
    """Counts per PAM50 subtype (with the ER-negative share where ER is recorded), genes
    present, and agreement of the inferred receptor status with the recorded one.

    Returns
    -------
    dict
        JSON-ready: ``n_samples``, ``genes`` (present, of 50, missing), ``subtypes`` (one
        record per subtype), ``basal_er_negative``, ``luma_er_positive``, ``er_agreement``.
    """
    er = None
    if clinical is not None and "er" in clinical.columns:
        er = _binary(clinical["er"].reindex(calls.index))
        if er.notna().sum() == 0:
            er = None
    pam = calls["pam50"].astype(object)
    rows = []
    for s in SUBTYPE_ORDER:
        m = pam == s
        rec = {"subtype": s, "n": int(m.sum()), "share": float(m.mean()),
               "mean_confidence": float(calls.loc[m, "pam50_confidence"].mean())
               if m.any() else None}
        if er is not None:
            rec["er_negative_share"] = _share(er[m] == 0) if er[m].notna().any() else None
        rows.append(rec)
    out = {"n_samples": int(len(calls)), "subtypes": rows,
           "uncalled": int(pam.isna().sum())}
    if classifier is not None:
        allg = pam50_model(classifier.variant).centroids.index
        missing = [g for g in allg if g not in classifier.genes_]
        out["genes"] = {"present": len(classifier.genes_), "of": len(allg), "missing": missing}
        out["variant"] = classifier.variant
        out["centring"] = classifier.centring
        out["er_for_balancing"] = getattr(classifier, "er_source_", None)
    else:
        out["genes"] = {"present": int(calls["pam50_genes"].max()), "of": 50, "missing": None}
    if er is not None:
        out["basal_er_negative"] = _share(er[pam == "Basal"] == 0) \
            if er[pam == "Basal"].notna().any() else None
        out["luma_er_positive"] = _share(er[pam == "LumA"] == 1) \
            if er[pam == "LumA"].notna().any() else None
        out["er_agreement"] = agreement(calls["er_expression"], er)
    for col, rec in (("pgr_expression", "pr"), ("erbb2_expression", "her2")):
        if clinical is not None and rec in clinical.columns and clinical[rec].notna().any():
            out[f"{rec}_agreement"] = agreement(calls[col], clinical[rec])
    out["receptor_positive_share"] = {
        c.split("_")[0]: (float(_binary(calls[c]).mean()) if calls[c].notna().any() else None)
        for c in ("er_expression", "pgr_expression", "erbb2_expression")}
    return out

