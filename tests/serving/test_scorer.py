import numpy as np
import pandas as pd
import pytest

from tmeprog.models import CoxNetSurvival
from tmeprog.models.feature_sets import design_matrices, is_clinical_design
from tmeprog.serving.scorer import Scorer


@pytest.fixture(scope="module")
def pooled_design():
    rng = np.random.default_rng(5)
    n = 160
    idx = [f"p{i}" for i in range(n)]
    clin = pd.DataFrame({"age": rng.normal(55, 10, n), "grade": rng.integers(1, 4, n),
                         "er": (rng.uniform(size=n) < 0.7).astype(float)}, index=idx)
    feats = pd.DataFrame(rng.normal(size=(n, 3)), columns=["cell_t", "til", "caf"], index=idx)
    eps = np.where(np.arange(n) < n // 2, "os", "rfs")
    X = design_matrices(clin, feats, ["clinical+tme+subtype"], endpoints=eps)[
        "clinical+tme+subtype"]
    y = np.empty(n, dtype=[("event", bool), ("time", float)])
    y["time"] = rng.exponential(60, n) + 1
    y["event"] = rng.uniform(size=n) < 0.5
    model = CoxNetSurvival(alpha=0.02, ci="none").fit(X, y, strata=eps)
    sc = Scorer(task="prognosis", model=model, design_columns=list(X.columns),
                clinical_columns=[c for c in X.columns if is_clinical_design(c)],
                horizons_months=[36.0], endpoint="os")
    return sc, X, clin, feats, eps


def test_served_design_rebuilds_age_per_endpoint_and_products(pooled_design):
    sc, X, clin, feats, eps = pooled_design
    assert sc.feature_columns == ["cell_t", "til", "caf"]
    assert sc.interaction_columns == ["cell_t:er_negative", "til:er_negative",
                                      "caf:er_negative"]
    assert sc.covariate_sources()["age@os"] == ("age",)
    assert sc.covariate_sources()["er_negative"] == ("er",)
    os_rows = eps == "os"
    frame = pd.concat([feats, clin], axis=1)[os_rows]
    D = sc.design(frame)
    # the served design of OS patients equals the training design (age on the OS column,
    # the RFS age column missing as in training)
    pd.testing.assert_frame_equal(D, X[os_rows], check_dtype=False)
    np.testing.assert_allclose(sc.predict(frame)["risk_score"].to_numpy(),
                               sc.model.predict(X[os_rows]), rtol=1e-12)
    one = sc.predict(frame.iloc[[3]])["risk_score"].iloc[0]
    assert one == pytest.approx(sc.predict(frame)["risk_score"].iloc[3], rel=1e-12)
