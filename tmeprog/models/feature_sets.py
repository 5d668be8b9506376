"""Design matrices for the three feature sets compared: ``clinical``, ``tme``, ``clinical+tme``.

The clinical baseline is age, grade, size, node status and ER status, as recorded per cohort.
``size`` is ``t_stage`` (T1-T4); where only ``tumor_size_mm`` is recorded it is mapped to the T
category by diameter (<= 20 mm T1, <= 50 mm T2, > 50 mm T3), and a cohort with no T stage at all
uses the diameter in mm. All are numeric or ordinal, so nothing is one-hot encoded. Columns
that are missing for every sample are dropped; partly missing values stay NaN (the models impute
training medians inside ``fit``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from tmeprog.errors import InputError

CLINICAL_BASELINE = ("age", "grade", "size", "node_status", "er")
FEATURE_SETS = ("clinical", "tme", "clinical+tme")


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


def design_matrices(clinical: pd.DataFrame | None, features: pd.DataFrame | None,
                    sets=FEATURE_SETS) -> dict[str, pd.DataFrame]:
    """Build the design matrix of each requested feature set.

    Parameters
    ----------
    clinical : pandas.DataFrame or None
        Clinical covariates (vocabulary columns), samples as index.
    features : pandas.DataFrame or None
        TME features, samples x features (numeric), same samples as ``clinical``.
    sets : sequence of {"clinical", "tme", "clinical+tme"}
        Feature sets to build.

    Returns
    -------
    dict
        ``set name -> DataFrame`` in the sample order of ``clinical`` (or ``features``).
    """
    return _assemble_sets(clinical, features, sets, _baseline_or_raise)


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
    need_clin = any(s != "tme" for s in sets)
    need_tme = any(s != "clinical" for s in sets)
    if need_clin and clinical is None:
        raise InputError("the clinical feature sets need a clinical table")
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
    out = {}
    for s in sets:
        out[s] = (clin.copy() if s == "clinical" else tme.copy() if s == "tme"
                  else pd.concat([clin, tme], axis=1))
    return out
