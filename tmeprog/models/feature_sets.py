"""Design matrices of the feature sets compared: ``clinical``, ``tme``, ``clinical+tme`` and the
subtype-aware ``tme+subtype``, ``clinical+tme+subtype``.

The clinical baseline is age, grade, size, node status and ER status, as recorded per cohort.
``size`` is ``t_stage`` (T1-T4); where only ``tumor_size_mm`` is recorded it is mapped to the T
category by diameter (<= 20 mm T1, <= 50 mm T2, > 50 mm T3), and a cohort with no T stage at all
uses the diameter in mm. All are numeric or ordinal, so nothing is one-hot encoded. Columns
that are missing for every sample are dropped; partly missing values stay NaN (the models impute
training medians inside ``fit``).

Subtype-aware sets add ``er_negative`` (1 - ER status: recorded IHC ER where the cohort has it,
else the expression-inferred call joined by ``[data] subtype_calls``) and, for every TME feature,
the product ``<feature>:er_negative`` (the feature in ER-negative tumours, 0 in ER-positive
ones), so a linear Cox model has a TME effect in ER-positive disease (the feature's coefficient)
and its difference in ER-negative disease (the product's). A product is a per-sample value that
uses no other sample; the models impute and standardise it inside ``fit``, with training-fold
statistics only. Tree models see ``er_negative`` as a feature and leave the products out
(:func:`family_design`): they find interactions themselves. In ``clinical+tme+subtype`` the
indicator replaces the clinical ``er`` column (the same information).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from tmeprog.errors import InputError

CLINICAL_BASELINE = ("age", "grade", "size", "node_status", "er")
BASE_SETS = ("clinical", "tme", "clinical+tme")
SUBTYPE_SETS = ("tme+subtype", "clinical+tme+subtype")
FEATURE_SETS = BASE_SETS + SUBTYPE_SETS
SUBTYPE_INDICATOR = "er_negative"
INTERACTION_SUFFIX = f":{SUBTYPE_INDICATOR}"
LINEAR_FAMILIES = ("coxnet",)


def _t_from_mm(mm: pd.Series) -> pd.Series:
    t = pd.Series(np.nan, index=mm.index)
    t[mm <= 20] = 1
    t[(mm > 20) & (mm <= 50)] = 2
    t[mm > 50] = 3
    return t


def clinical_baseline(clinical: pd.DataFrame) -> pd.DataFrame:
    """The clinical baseline columns available in ``clinical``, as floats.

    Parameters
    ----------
    clinical : pandas.DataFrame
        Samples x clinical vocabulary columns (``age``, ``grade``, ``t_stage`` or
        ``tumor_size_mm``, ``node_status``, ``er`` ...).

    Returns
    -------
    pandas.DataFrame
        Subset of ``age, grade, size, node_status, er`` that is not entirely missing;
        ``attrs["dropped"]`` lists baseline columns absent or all-missing.
    """
    def col(name):
        return (pd.to_numeric(clinical[name], errors="coerce").astype(float)
                if name in clinical.columns else pd.Series(np.nan, index=clinical.index))

    t, mm = col("t_stage"), col("tumor_size_mm")
    size = t.fillna(_t_from_mm(mm)) if t.notna().any() else mm
    out = pd.DataFrame({"age": col("age"), "grade": col("grade"), "size": size,
                        "node_status": col("node_status"), "er": col("er")},
                       index=clinical.index)
    dropped = [c for c in out.columns if out[c].isna().all()]
    out = out.drop(columns=dropped)
    out.attrs["dropped"] = dropped
    return out


AGE_PREFIX = "age@"


def age_by_endpoint(clin: pd.DataFrame, endpoints) -> pd.DataFrame:
    """Replace ``age`` by one column per endpoint: ``age@<endpoint>`` (age of the samples of that
    endpoint, missing for the others).

    Used when cohorts with different endpoints are pooled: the age effect on overall survival
    (competing mortality of older patients) differs from that on relapse or metastasis, so each
    endpoint gets its own age coefficient. Inside every model ``fit`` the missing entries are
    imputed with the training median of the column (:class:`~tmeprog.models.preprocess.
    MedianStandardScaler`), so a column carries no information on the samples of other
    endpoints; a column with no recorded age in the training rows is dropped there.

    Parameters
    ----------
    clin : pandas.DataFrame
        Clinical baseline (from :func:`clinical_baseline`).
    endpoints : array-like of str
        The endpoint of each row.

    Returns
    -------
    pandas.DataFrame
        ``clin`` with ``age`` replaced by a column per endpoint with a recorded age (unchanged
        when it has no ``age`` column or the rows share one endpoint).
    """
    ep = np.asarray(endpoints, dtype=object)
    if len(ep) != len(clin):
        raise InputError(f"age by endpoint: {len(ep)} endpoints for {len(clin)} samples")
    if "age" not in clin.columns or len(set(ep)) < 2:
        return clin
    out = clin.drop(columns="age")
    pos = list(clin.columns).index("age")
    recorded = [e for e in sorted(set(ep)) if clin["age"][ep == e].notna().any()]
    for i, e in enumerate(recorded):  # an endpoint none of whose patients has an age: none
        out.insert(pos + i, f"{AGE_PREFIX}{e}", clin["age"].where(ep == e))
    return out


def subtype_indicator(clinical: pd.DataFrame) -> pd.Series:
    """``er_negative``: 1 for ER-negative, 0 for ER-positive, NaN where ER is unknown."""
    if "er" not in clinical.columns or clinical["er"].isna().all():
        raise InputError("the subtype-aware feature sets need ER status (column 'er'); record "
                         "it, or set [data] subtype_calls = true to infer it from expression")
    er = pd.to_numeric(clinical["er"], errors="coerce").astype(float)
    return (1.0 - er).rename(SUBTYPE_INDICATOR)


def interaction_terms(tme: pd.DataFrame, indicator: pd.Series) -> pd.DataFrame:
    """``<feature>:er_negative`` = feature x indicator for every column of ``tme``."""
    ind = indicator.reindex(tme.index).to_numpy(dtype=float)[:, None]
    return pd.DataFrame(tme.to_numpy(dtype=float) * ind, index=tme.index,
                        columns=[f"{c}{INTERACTION_SUFFIX}" for c in tme.columns])


def refresh_interactions(X: pd.DataFrame) -> pd.DataFrame:
    """``X`` with every ``<feature>:er_negative`` column recomputed from its feature and the
    indicator (after the features were rescaled, e.g. standardised per cohort)."""
    cols = [c for c in X.columns if is_interaction(c)]
    if not cols or SUBTYPE_INDICATOR not in X.columns:
        return X
    out = X.copy()
    base = [c[:-len(INTERACTION_SUFFIX)] for c in cols]
    out[cols] = interaction_terms(X[base], X[SUBTYPE_INDICATOR]).to_numpy()
    return out


def is_interaction(column: str) -> bool:
    """Whether a design column is a TME x subtype product."""
    return str(column).endswith(INTERACTION_SUFFIX)


def is_clinical_design(column: str) -> bool:
    """Whether a design column comes from the clinical table (baseline covariates, age per
    endpoint, the ER-negative indicator) rather than from TME features."""
    c = str(column)
    return c in CLINICAL_BASELINE or c.startswith(AGE_PREFIX) or c == SUBTYPE_INDICATOR


def family_design(family: str, X: pd.DataFrame) -> pd.DataFrame:
    """The design a model family sees: linear families keep the TME x subtype products, tree
    families drop them (they keep ``er_negative``)."""
    if family in LINEAR_FAMILIES:
        return X
    drop = [c for c in X.columns if is_interaction(c)]
    return X.drop(columns=drop) if drop else X


def design_matrices(clinical: pd.DataFrame | None, features: pd.DataFrame | None,
                    sets=BASE_SETS, endpoints=None) -> dict[str, pd.DataFrame]:
    """Build the design matrix of each requested feature set.

    Parameters
    ----------
    clinical : pandas.DataFrame or None
        Clinical covariates (vocabulary columns), samples as index.
    features : pandas.DataFrame or None
        TME features, samples x features (numeric), same samples as ``clinical``.
    sets : sequence of {"clinical", "tme", "clinical+tme", "tme+subtype", \
"clinical+tme+subtype"}
        Feature sets to build.
    endpoints : array-like of str, optional
        Endpoint of each sample; when several, age enters per endpoint (:func:`age_by_endpoint`).

    Returns
    -------
    dict
        ``set name -> DataFrame`` in the sample order of ``clinical`` (or ``features``).
    """
    if endpoints is None:
        return _assemble_sets(clinical, features, sets, _baseline_or_raise)
    return _assemble_sets(clinical, features, sets,
                          lambda c: age_by_endpoint(_baseline_or_raise(c), endpoints))


def _baseline_or_raise(clinical: pd.DataFrame) -> pd.DataFrame:
    clin = clinical_baseline(clinical)
    if clin.shape[1] == 0:
        raise InputError("no clinical baseline covariate (age, grade, size, node_status, er) "
                         "is recorded; use the tme feature set alone")
    return clin


def _assemble_sets(clinical: pd.DataFrame | None, features: pd.DataFrame | None, sets,
                   clinical_part: Callable[[pd.DataFrame], pd.DataFrame]
                   ) -> dict[str, pd.DataFrame]:
    """Check ``sets`` and the tables, align ``features`` to the samples, build each set.

    ``clinical_part`` turns the clinical table into the clinical columns of the design (it
    raises when none is usable); it is only called when a clinical set is requested.
    """
    unknown = [s for s in sets if s not in FEATURE_SETS]
    if unknown:
        raise InputError(f"unknown feature sets {unknown}; choose from {list(FEATURE_SETS)}")
    need_clin = any(s.startswith("clinical") for s in sets)
    need_tme = any(s != "clinical" for s in sets)
    need_sub = any(s in SUBTYPE_SETS for s in sets)
    if (need_clin or need_sub) and clinical is None:
        raise InputError("the clinical and subtype feature sets need a clinical table")
    if need_tme and features is None:
        raise InputError("the tme feature sets need a feature table (samples x features)")
    index = clinical.index if clinical is not None else features.index
    clin = clinical_part(clinical) if need_clin else None
    tme = None
    if need_tme:
        if not features.index.is_unique:
            raise InputError("feature table: duplicated sample ids")
        missing = index.difference(features.index)
        if len(missing):
            raise InputError(f"feature table lacks {len(missing)} samples of the clinical table "
                             f"(e.g. {missing[:3].tolist()}); align the two tables")
        tme = features.loc[index].copy()
        tme.columns = [str(c) for c in tme.columns]
        if clin is not None:
            clash = sorted(set(tme.columns) & set(clin.columns))
            if clash:
                raise InputError(f"feature names {clash} clash with clinical covariates; rename")
    ind = inter = None
    if need_sub:
        ind = subtype_indicator(clinical.loc[index])
        inter = interaction_terms(tme, ind)
    out = {}
    for s in sets:
        if s == "clinical":
            out[s] = clin.copy()
        elif s == "tme":
            out[s] = tme.copy()
        elif s == "clinical+tme":
            out[s] = pd.concat([clin, tme], axis=1)
        elif s == "tme+subtype":
            out[s] = pd.concat([tme, ind, inter], axis=1)
        else:
            out[s] = pd.concat([clin.drop(columns="er", errors="ignore"), ind, tme, inter],
                               axis=1)
    return out
