import numpy as np
import pandas as pd
import pytest

from tmeprog.models.screen import COLUMNS, univariate_screen


@pytest.fixture(scope="module")
def screen_data(sim):
    X, y, _ = sim
    rng = np.random.default_rng(2)
    clin = pd.DataFrame({
        "age": rng.normal(55, 10, len(y)),
        "er": (rng.uniform(size=len(y)) < 0.6).astype(float),
        "grade": rng.integers(1, 4, len(y)).astype(float),
    }, index=X.index)
    clin.iloc[:5, 0] = np.nan  # complete-case analysis drops these in adjusted models
    feats = X[["f0", "f1", "f3"]] * 4 + 1  # per-SD HR must not depend on the scale
    return feats, y, clin


def test_screen_columns_strata_and_counts(screen_data):
    feats, y, clin = screen_data
    out = univariate_screen(feats, y, clin)
    assert list(out.columns) == COLUMNS
    assert set(out["stratum"]) == {"all", "ER+", "ER-"}
    assert len(out) == 3 * 3 * 2
    er_pos = out[(out["stratum"] == "ER+") & ~out["adjusted"]]
    assert (er_pos["n"] == int((clin["er"] == 1).sum())).all()
    adj = out[out["adjusted"] & (out["stratum"] == "all")]
    assert (adj["n"] == len(y) - 5).all()
    assert (adj["covariates"] == "age,grade,er").all()
    # ER is constant within an ER stratum: not an adjustment covariate there
    assert (out.loc[out["adjusted"] & (out["stratum"] == "ER+"), "covariates"] == "age,grade").all()
    f0 = out[(out["feature"] == "f0") & (out["stratum"] == "all") & ~out["adjusted"]].iloc[0]
    assert f0["hr"] > 1.5 and f0["p"] < 1e-6 and f0["ci_low"] < f0["hr"] < f0["ci_high"]
    assert f0["events"] == int(y["event"].sum())


def test_hr_per_sd_matches_sksurv(screen_data):
    from sksurv.linear_model import CoxPHSurvivalAnalysis

    feats, y, clin = screen_data
    out = univariate_screen(feats, y, clin).set_index(["feature", "stratum", "adjusted"])
    for feat in feats.columns:
        z = (feats[feat] - feats[feat].mean()) / feats[feat].std(ddof=1)
        ref = CoxPHSurvivalAnalysis(ties="efron").fit(z.to_frame(), y).coef_[0]
        assert np.log(out.loc[(feat, "all", False), "hr"]) == pytest.approx(ref, abs=1e-5)
    # adjusted: complete cases, feature standardised within them
    m = clin.notna().all(axis=1).to_numpy()
    z = feats.loc[m, "f1"]
    d = pd.DataFrame({"z": (z - z.mean()) / z.std(ddof=1)}).join(clin[m])
    ref = CoxPHSurvivalAnalysis(ties="efron").fit(d, y[m]).coef_[0]
    assert np.log(out.loc[("f1", "all", True), "hr"]) == pytest.approx(ref, abs=1e-5)


def test_bh_fdr_within_families(screen_data):
    feats, y, clin = screen_data
    out = univariate_screen(feats, y, clin)
    for _, fam in out.groupby(["stratum", "adjusted"]):
        p = fam["p"].to_numpy()
        n = len(p)
        order = np.argsort(p)
        bh = np.empty(n)  # step-up: min over j >= i of p_(j) n / j
        running = 1.0
        for rank in range(n, 0, -1):
            i = order[rank - 1]
            running = min(running, p[i] * n / rank)
            bh[i] = running
        np.testing.assert_allclose(fam["fdr"].to_numpy(), bh, rtol=1e-12)


def test_subtype_strata_and_small_strata_skipped(screen_data):
    feats, y, clin = screen_data
    c2 = clin.copy()
    c2["subtype"] = pd.array(["HR+/HER2-"] * 190 + ["TNBC"] * 10, dtype="string")
    with pytest.warns(UserWarning, match="stratum 'TNBC' has .* events"):
        out = univariate_screen(feats, y, c2)
    assert "HR+/HER2-" in set(out["stratum"]) and "TNBC" not in set(out["stratum"])
    only = univariate_screen(feats, y, None)
    assert set(only["stratum"]) == {"all"} and not only["adjusted"].any()


def test_pam50_calls_become_strata(screen_data):
    from tmeprog.models.screen import default_strata

    feats, y, clin = screen_data
    pam = np.where(clin["er"] == 1, "LumA", "Basal")
    clin = clin.assign(pam50=pd.array(pam, dtype="string"))
    masks = default_strata(clin, clin.index)
    assert {"PAM50 Basal", "PAM50 LumA"} <= set(masks)
    assert (masks["PAM50 LumA"] == (clin["er"] == 1).to_numpy()).all()
    out = univariate_screen(feats, y, clin, adjust=False)
    lum = out[out["stratum"] == "PAM50 LumA"]
    assert (lum["n"] == int((clin["er"] == 1).sum())).all()
