"""Roll-ups of SHAP tables: feature importance, TME compartments, groups, fold stability.

Compartment sums add the SHAP values of the compartment's features. For one patient the signed
sum is that compartment's additive share of the prediction (base + sum over compartments =
output); it is not the Shapley value of the compartment played as one player, which would need
another explanation run. Importance per compartment is the sum of its features' mean |SHAP|.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from tmeprog.cohorts.vocabulary import CLINICAL_DTYPES
from tmeprog.errors import InputError
from tmeprog.features.definitions import COMPARTMENTS, DERIVED_COMPARTMENTS, SIGNATURE_FEATURES
from tmeprog.signatures import load_catalogue

__all__ = ["mean_abs_shap", "feature_compartments", "compartment_importance",
           "patient_compartments", "group_importance", "ranking_stability",
           "stability_summary", "UNASSIGNED"]

#: Compartment of features no mapping knows.
UNASSIGNED = "unassigned"


def _values(shap_values) -> pd.DataFrame:
    vals = shap_values if isinstance(shap_values, pd.DataFrame) else getattr(
        shap_values, "values", None)
    if not isinstance(vals, pd.DataFrame):
        raise InputError("expected a ShapExplanation or a samples x features DataFrame of SHAP "
                         "values")
    if vals.shape[0] == 0:
        raise InputError("the SHAP table has no samples")
    return vals


def _clinical_name(name: str) -> bool:
    if name in CLINICAL_DTYPES:
        return True
    return any(name.startswith(c + sep) for c in CLINICAL_DTYPES for sep in ("_", "=", "."))


def _catalogue_compartment(name: str) -> str | None:
    sig = SIGNATURE_FEATURES.get(name)
    if sig is None:
        return None
    try:
        return load_catalogue().get(sig).compartment
    except Exception:  # catalogue unavailable or renamed: fall back to unassigned
        return None


def feature_compartments(features: Sequence[str], mapping: Mapping[str, str] | None = None,
                         warn: bool = True) -> dict[str, str]:
    """TME compartment of each feature.

    Resolution order: ``mapping`` (e.g. ``TMEFeatureExtractor.compartments_``); clinical
    vocabulary columns (and their one-hot codes such as ``pam50_Basal``) -> ``clinical``;
    :data:`~tmeprog.features.definitions.DERIVED_COMPARTMENTS`; the signature catalogue;
    otherwise :data:`UNASSIGNED` (with a warning when ``warn``).
    """
    mapping = dict(mapping or {})
    out: dict[str, str] = {}
    for f in map(str, features):
        comp = mapping.get(f)
        if comp is None and _clinical_name(f):
            comp = "clinical"
        if comp is None:
            comp = DERIVED_COMPARTMENTS.get(f) or _catalogue_compartment(f)
        out[f] = comp or UNASSIGNED
    unknown = [f for f, c in out.items() if c == UNASSIGNED and f not in mapping]
    if unknown and warn:
        warnings.warn(f"no compartment known for {len(unknown)} feature(s) {unknown[:5]}; they "
                      f"are rolled up as '{UNASSIGNED}' (pass a mapping)", stacklevel=2)
    return out


def _compartments_for(vals: pd.DataFrame, shap_values, compartments) -> dict[str, str]:
    given = compartments if compartments is not None else getattr(shap_values, "compartments",
                                                                  None)
    return feature_compartments(list(vals.columns), given)


def _ordered(index: Sequence[str]) -> list[str]:
    order = {c: i for i, c in enumerate((*COMPARTMENTS, UNASSIGNED))}
    return sorted(index, key=lambda c: (order.get(c, len(order)), c))


def mean_abs_shap(shap_values) -> pd.Series:
    """Mean |SHAP| per feature, largest first."""
    vals = _values(shap_values)
    out = vals.abs().mean(axis=0).sort_values(ascending=False, kind="stable")
    out.name = "mean_abs_shap"
    out.index.name = "feature"
    return out


def compartment_importance(shap_values, compartments: Mapping[str, str] | None = None
                           ) -> pd.Series:
    """Sum over each compartment's features of mean |SHAP|, largest first."""
    vals = _values(shap_values)
    comp = _compartments_for(vals, shap_values, compartments)
    imp = vals.abs().mean(axis=0)
    out = imp.groupby(pd.Series(comp)).sum().sort_values(ascending=False, kind="stable")
    out.name = "mean_abs_shap"
    out.index.name = "compartment"
    return out


def patient_compartments(shap_values, compartments: Mapping[str, str] | None = None,
                         absolute: bool = False) -> pd.DataFrame:
    """Per-patient SHAP summed per compartment (samples x compartments).

    Signed sums (default) add up with the base value to the model output; ``absolute=True``
    sums |SHAP| instead (how much each compartment moves the patient, either way).
    """
    vals = _values(shap_values)
    comp = _compartments_for(vals, shap_values, compartments)
    v = vals.abs() if absolute else vals
    out = v.T.groupby(pd.Series(comp)).sum().T
    return out[_ordered(list(out.columns))]


def group_importance(shap_values, groups: pd.Series, compartments: Mapping[str, str] | None
                     = None, by: str = "feature") -> pd.DataFrame:
    """Mean |SHAP| per group (cohort, receptor subtype, ...): groups x features/compartments.

    Parameters
    ----------
    shap_values : ShapExplanation or DataFrame
    groups : pandas.Series
        Group label per sample, aligned on the SHAP table's index; samples with a missing
        label are left out.
    compartments : mapping, optional
        Feature -> compartment (``by="compartment"``).
    by : {"feature", "compartment"}

    Returns
    -------
    pandas.DataFrame
        One row per group; ``attrs["n"]`` holds the samples per group.
    """
    vals = _values(shap_values)
    if by not in ("feature", "compartment"):
        raise InputError(f"by={by!r}; use 'feature' or 'compartment'")
    if not isinstance(groups, pd.Series):
        raise InputError("groups must be a pandas Series indexed like the SHAP table")
    missing = vals.index.difference(groups.index)
    if len(missing):
        raise InputError(f"groups lack {len(missing)} sample(s) of the SHAP table, e.g. "
                         f"{list(missing[:5])}; index groups by sample id")
    g = groups.reindex(vals.index)
    keep = g.notna().to_numpy()
    if not keep.any():
        raise InputError("every group label is missing")
    a = vals.abs()[keep]
    gk = g[keep]
    out = a.groupby(gk, sort=True).mean()
    if by == "compartment":
        comp = _compartments_for(vals, shap_values, compartments)
        out = out.T.groupby(pd.Series(comp)).sum().T
        out = out[_ordered(list(out.columns))]
    out.attrs["n"] = gk.value_counts().sort_index().to_dict()
    return out


def _importance_table(folds) -> pd.DataFrame:
    if isinstance(folds, pd.DataFrame):
        table = folds
    else:
        items = folds.items() if isinstance(folds, Mapping) else enumerate(folds)
        cols = {}
        for key, obj in items:
            if isinstance(obj, pd.Series):
                cols[key] = obj
            else:
                cols[key] = mean_abs_shap(obj)
        table = pd.DataFrame(cols)
    # a feature absent from one fold (dropped as constant there) had no effect in it
    return table.fillna(0.0).astype(float)


def ranking_stability(folds, method: str = "spearman") -> pd.DataFrame:
    """Rank correlation of feature importance between every pair of CV folds.

    Parameters
    ----------
    folds : sequence or mapping of ShapExplanation / SHAP DataFrames / importance Series, or
        a features x folds DataFrame of importances
        One entry per fold; importance is mean |SHAP| per feature.
    method : {"spearman", "kendall"}
        Spearman rho or Kendall tau-b (ties averaged).

    Returns
    -------
    pandas.DataFrame
        Folds x folds correlation matrix (1 on the diagonal).
    """
    if method not in ("spearman", "kendall"):
        raise InputError(f"method={method!r}; use 'spearman' or 'kendall'")
    table = _importance_table(folds)
    if table.shape[1] < 2:
        raise InputError("ranking stability needs at least two folds")
    if table.shape[0] < 2:
        raise InputError("ranking stability needs at least two features")
    names = list(table.columns)
    out = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
    for a, b in itertools.combinations(names, 2):
        x, y = table[a].to_numpy(), table[b].to_numpy()
        if method == "spearman":
            r = stats.spearmanr(x, y).statistic
        else:
            r = stats.kendalltau(x, y).statistic
        out.loc[a, b] = out.loc[b, a] = float(r)
    out.attrs["method"] = method
    return out


def stability_summary(matrix: pd.DataFrame) -> dict:
    """Mean, minimum and maximum off-diagonal rank correlation of :func:`ranking_stability`."""
    m = matrix.to_numpy(dtype=float)
    off = m[~np.eye(len(m), dtype=bool)]
    return {"method": matrix.attrs.get("method", ""), "n_folds": int(len(m)),
            "mean": float(np.nanmean(off)), "min": float(np.nanmin(off)),
            "max": float(np.nanmax(off))}
