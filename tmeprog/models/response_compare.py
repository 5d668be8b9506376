"""Comparison of response models on the clinical, TME and combined feature sets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from tmeprog.errors import InputError
from tmeprog.models.feature_sets import BASE_SETS, _assemble_sets
from tmeprog.models.response import MIN_ARM_SIZE
from tmeprog.models.response_cv import cross_validate_response
from tmeprog.models.response_logistic import PenalisedLogistic
from tmeprog.models.response_validation import evaluate_response, response_decision_curve
from tmeprog.models.response_xgb import XGBResponseClassifier


def response_feature_sets(clinical: pd.DataFrame | None, features: pd.DataFrame | None,
                          sets: Sequence[str] = BASE_SETS,
                          clinical_columns: Sequence[str] = ("hr", "her2"),
                          arm_column: str | None = "arm") -> dict[str, pd.DataFrame]:
    """Tables of the three feature sets compared for response.

    ``clinical`` = ``clinical_columns`` (default HR and HER2 status) + the arm column (kept as
    text; the models one-hot code it); ``tme`` = the feature table (published signature scores
    or extracted TME features); ``clinical+tme`` = both. Clinical columns absent or entirely
    missing are left out.

    Returns
    -------
    dict
        ``set name -> DataFrame`` in the sample order of ``clinical`` (or ``features``).
    """
    def clinical_part(clinical: pd.DataFrame) -> pd.DataFrame:
        cols = [c for c in clinical_columns if c in clinical.columns
                and clinical[c].notna().any()]
        if arm_column is not None and arm_column in clinical.columns:
            cols.append(arm_column)
        if not cols:
            raise InputError(f"no clinical covariate among {list(clinical_columns)} or arm "
                             f"{arm_column!r}; use the tme feature set alone")
        clin = clinical[cols].copy()
        for c in cols:
            if c != arm_column and pd.api.types.is_numeric_dtype(clin[c]):
                clin[c] = pd.to_numeric(clin[c], errors="coerce").astype(float)
        return clin

    bad = [s for s in sets if s not in BASE_SETS]
    if bad:
        raise InputError(f"feature sets {bad} are prognosis sets; response uses {list(BASE_SETS)}")
    return _assemble_sets(clinical, features, sets, clinical_part)


def default_response_models(random_state: int = 0, quick: bool = False) -> dict[str, tuple]:
    """``name -> (estimator, param_grid)`` for the compared models (small grids).

    ``quick`` shrinks the grids and the boosting rounds (tests, smoke runs).
    """
    if quick:
        return {
            "logistic": (PenalisedLogistic(random_state=random_state), {"C": [0.05, 0.5]}),
            "xgboost": (XGBResponseClassifier(n_estimators=50, random_state=random_state),
                        None),
        }
    return {
        "logistic": (PenalisedLogistic(random_state=random_state),
                     {"C": [0.01, 0.05, 0.2, 1.0]}),
        "xgboost": (XGBResponseClassifier(random_state=random_state),
                    {"max_depth": [1, 2, 3], "n_estimators": [100, 300]}),
    }


@dataclass
class ResponseComparison:
    """Every model x feature set of one comparison.

    Attributes
    ----------
    table : pandas.DataFrame
        Concatenated :func:`evaluate_response` rows.
    runs : dict
        ``(model, feature_set) -> ResponseCV``.
    runtime_s : dict
        ``(model, feature_set) -> seconds`` of cross-validation.
    """

    table: pd.DataFrame
    runs: dict
    runtime_s: dict

    def decision_curves(self, thresholds: Sequence[float] | None = None
                        ) -> dict[str, pd.DataFrame]:
        """``"<model> / <feature set>" -> decision curve``."""
        return {f"{m} / {f}": response_decision_curve(cv, thresholds)
                for (m, f), cv in self.runs.items()}


def compare_response(feature_sets: Mapping[str, pd.DataFrame], y, *,
                     models: Mapping[str, tuple] | None = None, arm=None, sample_weight=None,
                     n_splits: int = 5, n_repeats: int = 2, inner_splits: int = 3,
                     n_boot: int = 200, random_state: int = 0, per_arm: bool = True,
                     min_arm_size: int = MIN_ARM_SIZE, n_jobs: int = 1) -> ResponseComparison:
    """Cross-validate every model on every feature set with identical splits.

    Parameters
    ----------
    feature_sets : mapping
        ``name -> table`` (e.g. from :func:`response_feature_sets`), same samples and order.
    y : array-like
        0/1 outcome.
    models : mapping, optional
        ``name -> (estimator, param_grid or None)``; default :func:`default_response_models`.
    arm : array-like, optional
        Arm per sample for stratification and per-arm AUROC (so a feature set without the arm
        column still gets per-arm rows and the same splits).
    sample_weight, n_splits, n_repeats, inner_splits, random_state, n_jobs
        See :func:`cross_validate_response`.
    n_boot, per_arm, min_arm_size
        See :func:`evaluate_response`.

    Returns
    -------
    ResponseComparison
    """
    models = default_response_models(random_state) if models is None else models
    if not feature_sets:
        raise InputError("compare_response: no feature set given")
    index = next(iter(feature_sets.values())).index
    for name, X in feature_sets.items():
        if not X.index.equals(index):
            raise InputError(f"feature set {name!r}: samples differ from the first set's; "
                             "build the sets from one cohort")
    rows, runs, runtime = [], {}, {}
    for mname, (est, grid) in models.items():
        for fname, X in feature_sets.items():
            cv = cross_validate_response(est, X, y, arm=arm, sample_weight=sample_weight,
                                         param_grid=grid, n_splits=n_splits,
                                         n_repeats=n_repeats, inner_splits=inner_splits,
                                         random_state=random_state, n_jobs=n_jobs)
            runs[(mname, fname)] = cv
            runtime[(mname, fname)] = cv.runtime_s
            rows.append(evaluate_response(cv, model=mname, feature_set=fname, n_boot=n_boot,
                                          seed=random_state, per_arm=per_arm,
                                          min_arm_size=min_arm_size))
    table = pd.concat(rows, ignore_index=True)
    table.attrs["note"] = rows[0].attrs["note"]
    return ResponseComparison(table, runs, runtime)
