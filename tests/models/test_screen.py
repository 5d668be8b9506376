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


@pytest.fixture(scope="module")
def interaction_data():
    """Two cohorts (baselines 4-fold apart); feature x protective in ER-negative tumours
    (HR 0.5 per SD) and adverse in ER-positive ones (HR 1.35); y without effect."""
    rng = np.random.default_rng(11)
    n = 600
    er = (rng.uniform(size=n) < 0.6).astype(float)
    coh = np.where(rng.uniform(size=n) < 0.5, "A", "B")
    x = rng.normal(size=n)
    lp = np.where(er == 0, np.log(0.5), np.log(1.35)) * x
    t = np.where(coh == "A", 20.0, 80.0) * rng.exponential(size=n) / np.exp(lp)
    c = rng.uniform(5, 150, n)
    y = np.empty(n, dtype=[("event", bool), ("time", float)])
    y["event"], y["time"] = t <= c, np.minimum(t, c)
    er[:10] = np.nan  # unknown ER: left out
    feats = pd.DataFrame({"x": 3 * x + 2, "noise": rng.normal(size=n)})
    return feats, y, er, coh


def test_interaction_screen_against_lifelines(interaction_data):
    from lifelines import CoxPHFitter
    from scipy.stats import chi2

    from tmeprog.models.screen import INTERACTION_COLUMNS, subtype_interaction_screen

    feats, y, er, coh = interaction_data
    out = subtype_interaction_screen(feats, y, er, cohorts=coh).set_index("feature")
    assert list(out.reset_index().columns) == INTERACTION_COLUMNS
    # independent computation: z within cohort, lifelines with a formula and cohort strata
    ok = np.isfinite(er)
    z = pd.Series(feats["x"].to_numpy()).groupby(coh).transform(
        lambda v: (v - v.mean()) / v.std(ddof=1)).to_numpy()
    d = pd.DataFrame({"z": z, "erneg": 1 - er, "t": y["time"], "e": y["event"].astype(int),
                      "coh": coh})[ok]
    full = CoxPHFitter().fit(d, "t", "e", formula="z + erneg + z:erneg", strata=["coh"])
    red = CoxPHFitter().fit(d, "t", "e", formula="z + erneg", strata=["coh"])
    lr_p = chi2.sf(2 * (full.log_likelihood_ - red.log_likelihood_), 1)
    r = out.loc["x"]
    assert r["p_interaction_lr"] == pytest.approx(lr_p, rel=1e-6)
    assert r["p_interaction_wald"] == pytest.approx(full.summary.loc["z:erneg", "p"], rel=1e-6)
    assert r["hr_ratio"] == pytest.approx(np.exp(full.params_["z:erneg"]), rel=1e-6)
    neg = CoxPHFitter().fit(d[d["erneg"] == 1][["z", "t", "e", "coh"]], "t", "e",
                            strata=["coh"])
    assert r["hr_er_neg"] == pytest.approx(np.exp(neg.params_["z"]), rel=1e-6)
    assert r["n_er_neg"] + r["n_er_pos"] == r["n"] == ok.sum()
    # the simulated opposite effects are found; the noise feature shows none
    assert r["hr_er_neg"] < 0.75 < 1.15 < r["hr_er_pos"] and r["p_interaction_lr"] < 1e-6
    assert out.loc["noise", "p_interaction_lr"] > 0.01
    assert out["fdr_interaction"].between(0, 1).all()


def test_interaction_screen_small_stratum_and_bad_er(interaction_data):
    from tmeprog.errors import InputError
    from tmeprog.models.screen import subtype_interaction_screen

    feats, y, er, coh = interaction_data
    out = subtype_interaction_screen(feats, y, er, cohorts=coh, min_events=10_000)
    assert out["hr_er_neg"].isna().all() and out["p_interaction_lr"].isna().all()
    with pytest.raises(InputError, match="1 \\(positive\\), 0 \\(negative\\)"):
        subtype_interaction_screen(feats, y, np.full(len(y), 2.0))
