"""Reference models fitted with the champion, so external validation shows what TME adds.

At training time, on the same samples and endpoints as the champion:

* ``clinical``: the pipeline's clinical-only elastic-net Cox (age, grade, size, node status,
  ER; missing values imputed by the training median), tuned with the same inner CV as the
  champion's refit;
* ``age``: a Cox model of age alone, on the training samples with age recorded (elastic-net Cox
  at a negligible penalty, so effectively the unpenalised partial-likelihood fit).

Both are :class:`~tmeprog.serving.scorer.Scorer` objects kept in the served model
(``Scorer.references``); ``tmeprog validate`` scores them beside the champion.
"""

from __future__ import annotations

import warnings

import numpy as np

from tmeprog.models.compare import default_models
from tmeprog.models.coxnet import CoxNetSurvival
from tmeprog.models.feature_sets import clinical_baseline
from tmeprog.pipeline.assemble import TrainingSet
from tmeprog.pipeline.refit import refit
from tmeprog.serving.scorer import Scorer, tertile_cutpoints

#: Penalty of the age-alone Cox fit (one standardised covariate: no shrinkage to speak of).
AGE_ALPHA = 1e-6


def _reference_scorer(model, X, horizons, what: str) -> Scorer:
    sc = Scorer(task="prognosis", model=model, design_columns=list(X.columns),
                clinical_columns=list(X.columns), horizons_months=list(horizons),
                info={"reference": what, "n_train": int(len(X))})
    sc.cutpoints = tertile_cutpoints(model.predict(X))
    return sc


def fit_references(ts: TrainingSet, cfg, quick: bool, caught: list[str]) -> dict[str, Scorer]:
    """``{"clinical": Scorer, "age": Scorer}`` fitted on the training set (either may be
    absent when the covariates are not recorded; a warning then says so)."""
    horizons = cfg.validation.horizons_months
    clin = clinical_baseline(ts.clinical)
    out: dict[str, Scorer] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if clin.shape[1]:
            est, grid = default_models(cfg.task.seed, quick)["coxnet"]
            model, best = refit(est, grid, clin, ts.y, cfg.task.seed, "prognosis")
            out["clinical"] = _reference_scorer(
                model, clin, horizons, "clinical-only elastic-net Cox "
                f"({', '.join(clin.columns)}; tuned {best or 'defaults'})")
        else:
            caught.append("no clinical reference model: no baseline covariate is recorded")
        if "age" in clin.columns:
            has = clin["age"].notna().to_numpy()
            X = clin.loc[has, ["age"]]
            y = ts.y[has]
            if int(y["event"].sum()) >= 10:
                model = CoxNetSurvival(alpha=AGE_ALPHA, l1_ratio=1.0, ci="none").fit(X, y)
                out["age"] = _reference_scorer(model, X, horizons, "age-alone Cox")
                out["age"].info["n_train"] = int(has.sum())
            else:
                caught.append("no age reference model: fewer than 10 events among samples "
                              "with age recorded")
        else:
            caught.append("no age reference model: age is not recorded in the training "
                          "cohorts")
    for sc in out.values():
        sc.info["hr_per_sd"] = {k: float(np.exp(v)) for k, v in
                               getattr(sc.model, "coef_", {}).items()}
    return out
