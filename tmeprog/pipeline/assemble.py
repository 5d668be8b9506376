"""Assemble the cohorts of a pipeline into one training set (samples from every cohort).

Endpoints: each cohort contributes one endpoint (:func:`pick_endpoint`). When they differ
(relapse-free survival of one cohort, overall survival of another), pooling them is a
modelling choice the pipeline must state (``[data] pool_endpoints = true``); otherwise
:func:`assemble` refuses with an error naming each cohort's endpoint. A pooled training set
carries a stratum per sample (cohort x endpoint): cross-validated metrics are then computed
within strata, the Cox models of the pipeline get a baseline hazard per stratum, and age enters
once per endpoint (``age@os``, ``age@rfs`` ...; see
:func:`tmeprog.models.feature_sets.age_by_endpoint`), so that an age effect on one endpoint
(competing mortality on overall survival) is not learned from another.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tmeprog.cohorts import Cohort
from tmeprog.errors import InputError

ENDPOINT_PREFERENCE = ("os", "dss", "rfs", "dmfs", "drfs", "dfs")


def pick_endpoint(cohort: Cohort, requested: str, kind: str) -> str:
    """The endpoint used for ``cohort``: ``requested``, or for ``auto`` its survival endpoint
    (``pcr`` for response tasks), preferring OS when it has several."""
    if kind == "response":
        name = "pcr" if requested == "auto" else requested
        if name not in cohort.endpoint_info or cohort.endpoint_info[name].kind != "binary":
            raise InputError(f"cohort {cohort.name!r} has no binary endpoint {name!r}; it has "
                             f"{sorted(cohort.endpoint_info)}")
        return name
    surv = [k for k, v in cohort.endpoint_info.items() if v.kind == "survival"]
    if requested != "auto":
        if requested not in surv:
            raise InputError(f"cohort {cohort.name!r} has no survival endpoint {requested!r}; "
                             f"it has {surv}")
        return requested
    for name in ENDPOINT_PREFERENCE:
        if name in surv:
            return name
    raise InputError(f"cohort {cohort.name!r} has no survival endpoint; it has "
                     f"{sorted(cohort.endpoint_info)}")


def auto_endpoint(cohort: Cohort) -> str:
    """The survival endpoint ``endpoint = "auto"`` models for ``cohort`` ("" when none)."""
    try:
        return pick_endpoint(cohort, "auto", "prognosis")
    except InputError:
        return ""


class MixedEndpointsWarning(UserWarning):
    """Cohorts with different endpoints are pooled (as the configuration asked)."""


@dataclass
class TrainingSet:
    """Samples of all cohorts: stacked expression/features, clinical, outcome and cohort.

    ``endpoints`` maps each cohort to its endpoint; ``sample_endpoints`` is the endpoint of
    each sample and ``strata`` its ``cohort:endpoint`` label.
    """

    expression: pd.DataFrame | None
    features: pd.DataFrame | None
    clinical: pd.DataFrame
    y: np.ndarray | pd.Series
    groups: np.ndarray
    endpoints: dict[str, str]
    cohorts: list[Cohort]
    pooled: bool = False

    @property
    def mixed_endpoints(self) -> bool:
        """Whether the cohorts model more than one endpoint."""
        return len(set(self.endpoints.values())) > 1

    @property
    def sample_endpoints(self) -> np.ndarray:
        """The endpoint of each sample."""
        return np.array([self.endpoints[g] for g in self.groups], dtype=object)

    @property
    def strata(self) -> np.ndarray:
        """``cohort:endpoint`` of each sample."""
        return np.array([f"{g}:{self.endpoints[g]}" for g in self.groups], dtype=object)


def check_endpoints(endpoints: dict[str, str], pool: bool) -> None:
    """Refuse cohorts with different endpoints unless pooling is asked; warn when pooled.

    Parameters
    ----------
    endpoints : dict
        ``cohort -> endpoint``.
    pool : bool
        ``[data] pool_endpoints`` of the configuration.
    """
    distinct = sorted(set(endpoints.values()))
    if len(distinct) < 2:
        return
    listed = ", ".join(f"{c}: {e}" for c, e in endpoints.items())
    if not pool:
        raise InputError(
            f"the cohorts have different endpoints ({listed}); pooling {' with '.join(distinct)}"
            " is a modelling choice: state [data] pool_endpoints = true in the config (baseline "
            "hazard per cohort and endpoint, age per endpoint), or name one endpoint every "
            "cohort has with [data] endpoint = ..., or train on cohorts of one endpoint")
    warnings.warn(
        f"endpoints are mixed ({listed}): models are trained on the pooled endpoints with the "
        "Cox baseline hazard stratified by cohort x endpoint, age entered per endpoint, and "
        "every metric computed within one cohort and endpoint", MixedEndpointsWarning,
        stacklevel=3)


def _unique_index(cohorts: list[Cohort]) -> None:
    seen: dict[str, str] = {}
    for c in cohorts:
        for s in c.samples:
            if s in seen:
                raise InputError(f"sample id {s!r} occurs in cohorts {seen[s]!r} and {c.name!r};"
                                 " sample ids must be unique across the cohorts of a pipeline")
            seen[s] = c.name


def assemble(cohorts: list[Cohort], endpoint: str = "auto",
             kind: str = "prognosis", pool_endpoints: bool = False) -> TrainingSet:
    """Stack cohorts (each restricted to samples with its endpoint) into a training set.

    Cohorts with different survival endpoints need ``pool_endpoints=True``
    (:func:`check_endpoints`).

    Expression of cohorts on different platforms is joined on gene symbols; genes a cohort lacks
    are missing (NaN) for its samples, and the feature extractor scores each cohort over the
    genes it has.
    """
    if not cohorts:
        raise InputError("no cohort to train on")
    names = [c.name for c in cohorts]
    if len(set(names)) != len(names):
        raise InputError(f"a cohort is listed twice: {names}")
    used, eps = [], {}
    for c in cohorts:
        ep = pick_endpoint(c, endpoint, kind)
        eps[c.name] = ep
        used.append(c.with_endpoint(ep))
    if kind == "prognosis":
        check_endpoints(eps, pool_endpoints)
    _unique_index(used)
    has_expr = [c.expression is not None for c in used]
    has_feat = [c.features is not None for c in used]
    if any(has_expr) and not all(has_expr):
        raise InputError("mixing cohorts with and without gene expression: "
                         f"{[c.name for c in used if c.expression is None]} have none")
    expression = pd.concat([c.expression for c in used], axis=0, join="outer") \
        if all(has_expr) else None
    features = None
    if not all(has_expr) and all(has_feat):
        features = pd.concat([c.features for c in used], axis=0, join="inner")
        if features.shape[1] == 0:
            raise InputError("the feature tables of these cohorts share no column")
    clinical = pd.concat([c.clinical for c in used], axis=0)
    groups = np.concatenate([[c.name] * c.n_samples for c in used])
    if kind == "prognosis":
        y = np.concatenate([c.survival(eps[c.name]) for c in used])
    else:
        y = pd.concat([c.binary(eps[c.name]).astype(int) for c in used])
    return TrainingSet(expression, features, clinical, y, groups, eps, used,
                       pooled=len(set(eps.values())) > 1)
