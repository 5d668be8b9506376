"""The prognosis model families: name, estimator, default hyperparameters and search grid.

One registry read by the training pipeline, ``tmeprog models`` and the TOML config: a
pipeline may set a family's hyperparameters (``[models.params.<family>]``) and its tuning
grid (``[models.grids.<family>]``); names are checked against the estimator's parameters.
The grid is searched by inner cross-validation inside every training fold (Harrell's C).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from tmeprog.errors import InputError
from tmeprog.models.coxnet import CoxNetSurvival
from tmeprog.models.forest import RandomSurvivalForestModel
from tmeprog.models.xgb import XGBAFTSurvival, XGBCoxSurvival


@dataclass(frozen=True)
class Family:
    """One model family: its estimator and hyperparameters (``quick_*``: smoke runs, tests)."""

    name: str
    estimator: Callable[..., object]
    description: str
    params: dict = field(default_factory=dict)
    grid: dict = field(default_factory=dict)
    quick_params: dict = field(default_factory=dict)
    quick_grid: dict = field(default_factory=dict)
    seeded: bool = False


FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("coxnet", CoxNetSurvival, "elastic-net Cox proportional hazards (scikit-survival)",
           params={"ci": "none"}, grid={"l1_ratio": [0.5, 1.0], "alpha": [0.01, 0.03, 0.1]},
           quick_params={"ci": "none"}, quick_grid={"alpha": [0.02, 0.1]}),
    Family("rsf", RandomSurvivalForestModel, "random survival forest (scikit-survival)",
           params={"n_estimators": 100},
           grid={"max_depth": [3, None], "min_samples_leaf": [5, 15]},
           quick_params={"n_estimators": 30}, quick_grid={"min_samples_leaf": [5, 15]},
           seeded=True),
    Family("xgb_cox", XGBCoxSurvival, "gradient-boosted trees, Cox partial likelihood (XGBoost)",
           grid={"learning_rate": [0.03, 0.1], "max_depth": [1, 2], "n_estimators": [50, 150]},
           quick_params={"n_estimators": 30}, quick_grid={"max_depth": [1, 2]}, seeded=True),
    Family("xgb_aft", XGBAFTSurvival,
           "gradient-boosted trees, accelerated failure time (XGBoost)",
           grid={"learning_rate": [0.03, 0.1], "max_depth": [1, 2], "n_estimators": [50, 150]},
           quick_params={"n_estimators": 30}, quick_grid={"max_depth": [1, 2]}, seeded=True),
)}


def _accepts(default, v) -> str:
    """What a value for a parameter with ``default`` must be ("" when ``v`` is acceptable):
    a whole number for an integer default, a number for a float default, true / false for a
    boolean, text or a number for a text default (``max_features="sqrt"`` or ``0.5``), a
    number for a ``None`` default (``max_depth``)."""
    is_num = isinstance(v, (int, float)) and not isinstance(v, bool)
    if v is None:
        return ""
    if isinstance(default, bool):
        return "" if isinstance(v, bool) else "true or false"
    if isinstance(default, int):
        return "" if isinstance(v, int) and not isinstance(v, bool) else "a whole number"
    if isinstance(default, float):
        return "" if is_num else "a number"
    if isinstance(default, str):
        return "" if isinstance(v, str) or is_num else "text or a number"
    if default is None:
        return "" if is_num else "a number"
    return ""


def _check(name: str, values: Mapping, where: str, grid: bool = False) -> None:
    """Unknown hyperparameters, and values of the wrong kind for theirs, are refused here,
    naming them, not deep inside a fit (see :func:`_accepts`)."""
    defaults = FAMILIES[name].estimator().get_params()
    bad = sorted(set(values) - set(defaults))
    if bad:
        raise InputError(f"{where} {name}: unknown hyperparameters {bad}; "
                         f"{name} has {sorted(defaults)}")
    for k, given in values.items():
        for v in (given if grid and isinstance(given, list) else [given]):
            want = _accepts(defaults.get(k), v)
            if want:
                raise InputError(f"{where} {name}.{k}: expected {want} (the default is "
                                 f"{defaults[k]!r}), got {v!r}")


def build_models(random_state: int = 0, quick: bool = False,
                 params: Mapping[str, Mapping] | None = None,
                 grids: Mapping[str, Mapping] | None = None) -> dict[str, tuple]:
    """``name -> (estimator, grid)`` for every family, with overrides applied.

    Parameters
    ----------
    random_state : int
        Seed of the randomised families.
    quick : bool
        Smaller forests, rounds and grids.
    params, grids : mapping, optional
        Per family, hyperparameters replacing the defaults, and a grid replacing the default
        grid (an empty grid: no tuning).
    """
    params, grids = dict(params or {}), dict(grids or {})
    for what, given in (("[models.params]", params), ("[models.grids]", grids)):
        unknown = sorted(set(given) - set(FAMILIES))
        if unknown:
            raise InputError(f"{what}: unknown model families {unknown}; use {sorted(FAMILIES)}")
    out = {}
    for name, fam in FAMILIES.items():
        kw = dict(fam.quick_params if quick else fam.params)
        _check(name, params.get(name, {}), "[models.params]")
        kw.update(params.get(name, {}))
        if fam.seeded:
            kw.setdefault("random_state", random_state)
        grid = dict(grids[name]) if name in grids else dict(fam.quick_grid if quick
                                                              else fam.grid)
        _check(name, grid, "[models.grids]", grid=True)
        for k, v in grid.items():
            if not isinstance(v, list) or not v:
                raise InputError(f"[models.grids] {name}.{k}: give a non-empty list of values")
        out[name] = (fam.estimator(**kw), grid)
    return out


def describe_families(quick: bool = False) -> list[dict]:
    """One record per family: name, description, default hyperparameters and grid."""
    return [{"family": f.name, "description": f.description,
             "params": dict(f.quick_params if quick else f.params),
             "grid": dict(f.quick_grid if quick else f.grid)} for f in FAMILIES.values()]
