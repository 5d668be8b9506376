"""Validate subtype calls and breast prognostic scores on the bundled cohorts.

Prints, per cohort: PAM50 counts and how they match recorded ER under every centring / variant,
agreement of the expression ER call with recorded ER, Spearman correlation of the 21-gene
score and the genomic grade index with histological grade, and the TME-screen Cox hazard ratio
(per SD, 95% CI) of each score in ER-positive patients, per cohort and pooled (Cox stratified
by cohort, scores z-scored within cohort). Each cohort gets its own gene reference.

    .venv/bin/python scripts/subtype_validation.py [--json]
"""

from __future__ import annotations

import argparse
import json
import warnings

import pandas as pd
from scipy.stats import spearmanr

from tmeprog.cohorts import load_cohort
from tmeprog.features.subtypes import BreastSignatureScorer, call_subtypes
from tmeprog.features.subtypes.summary import subtype_summary
from tmeprog.models.screen import univariate_screen

COHORTS = ("gse1992", "gse4335", "gse3143")
SCORES = ("rs_unscaled", "gene70_score", "ggi_raw", "ep_unscaled")


def pam50_rows(c) -> list[dict]:
    er = c.clinical["er"]
    rows = []
    for centring, variant in (("balanced", "plain"), ("median", "plain"),
                              ("balanced", "robust"), ("median", "robust")):
        calls = call_subtypes(c.expression, centring=centring, variant=variant, er=er)
        s = subtype_summary(calls, c.clinical)
        rows.append({"cohort": c.name, "centring": centring, "variant": variant,
                     "basal_er_negative": s["basal_er_negative"],
                     "luma_er_positive": s["luma_er_positive"],
                     "er_agreement": s["er_agreement"]["agreement"],
                     "er_kappa": s["er_agreement"]["kappa"],
                     "counts": {r["subtype"]: r["n"] for r in s["subtypes"]}})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print one JSON document")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    pam, grade_rows, feats, ys, clins, groups = [], [], [], [], [], []
    for name in COHORTS:
        c = load_cohort(name)
        pam += pam50_rows(c)
        F = BreastSignatureScorer().fit(c.expression).transform(c.expression)[list(SCORES)]
        if "grade" in c.clinical.columns:
            g = c.clinical["grade"].astype("Float64").astype(float)
            for col in SCORES:
                ok = g.notna() & F[col].notna()
                if ok.sum() > 10:
                    grade_rows.append({"cohort": name, "score": col, "n": int(ok.sum()),
                                       "spearman": float(spearmanr(F.loc[ok, col], g[ok])[0])})
        ep = next(k for k, v in c.endpoint_info.items() if v.kind == "survival")
        keep = c.endpoints[[f"{ep}_time", f"{ep}_event"]].notna().all(axis=1)
        c = c.subset(c.samples[keep.to_numpy()])
        feats.append(F.loc[c.samples])
        ys.append(c.survival(ep))
        clins.append(c.clinical[["er"]])
        groups += [f"{name} ({ep})"] * c.n_samples
    import numpy as np

    F = pd.concat(feats)
    y = np.concatenate(ys)
    clin = pd.concat(clins)
    grp = np.asarray(groups)
    hr = []
    er_pos = (clin["er"] == 1).fillna(False).to_numpy()
    for g in [*dict.fromkeys(groups), "pooled"]:
        mask = er_pos & ((grp == g) if g != "pooled" else True)
        t = univariate_screen(F, y, clin, strata={"ER+": mask}, adjust=False,
                              cohorts=grp if g == "pooled" else None)
        for r in t.itertuples():
            hr.append({"cohort": g, "score": r.feature, "n": r.n, "events": r.events,
                       "hr": r.hr, "ci_low": r.ci_low, "ci_high": r.ci_high, "p": r.p})
    doc = {"pam50": pam, "grade": grade_rows, "hr_er_positive": hr}
    if args.json:
        print(json.dumps(doc, indent=2, default=str))
        return
    pd.set_option("display.width", 160)
    print(pd.DataFrame(pam).round(3).to_string(index=False))
    print()
    print(pd.DataFrame(grade_rows).round(3).to_string(index=False))
    print()
    print(pd.DataFrame(hr).round(3).to_string(index=False))


if __name__ == "__main__":
    main()
