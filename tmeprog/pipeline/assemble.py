"""Assemble the cohorts of a pipeline into one training set (samples from every cohort)."""

from __future__ import annotations

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


@dataclass
class TrainingSet:
    """Samples of all cohorts: stacked expression/features, clinical, outcome and cohort."""

    expression: pd.DataFrame | None
    features: pd.DataFrame | None
    clinical: pd.DataFrame
    y: np.ndarray | pd.Series
    groups: np.ndarray
    endpoints: dict[str, str]
    cohorts: list[Cohort]


def _unique_index(cohorts: list[Cohort]) -> None:
    seen: dict[str, str] = {}
    for c in cohorts:
        for s in c.samples:
            if s in seen:
                raise InputError(f"sample id {s!r} occurs in cohorts {seen[s]!r} and {c.name!r};"
                                 " sample ids must be unique across the cohorts of a pipeline")
            seen[s] = c.name


def assemble(cohorts: list[Cohort], endpoint: str = "auto",
             kind: str = "prognosis") -> TrainingSet:
    """Stack cohorts (each restricted to samples with its endpoint) into a training set.

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
    return TrainingSet(expression, features, clinical, y, groups, eps, used)
