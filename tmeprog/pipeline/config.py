"""Pipeline configuration: a TOML file read into typed, validated settings.

A config names the task, the cohorts, the features, the model families, the validation and
how the champion is chosen. Every key has a default, so a config states only what differs;
unknown keys are an error (a typo must not silently fall back to a default).

Each section is one dataclass validated by pydantic: every key has a strict type (``"false"``
is not a boolean, ``"gse1992"`` is not a list, ``20.5`` is not an integer) and numeric keys
declare their range. A new key is a new annotated field of its section's dataclass.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
    with_config,
)

from tmeprog.errors import InputError
from tmeprog.features.registry import method_names
from tmeprog.models.families import build_models
from tmeprog.tables.textio import read_text

TASKS = ("prognosis", "response")
MODEL_FAMILIES = {
    "prognosis": ("coxnet", "rsf", "xgb_cox", "xgb_aft"),
    "response": ("logistic", "xgboost"),
}
FEATURE_SETS = {
    "prognosis": ("clinical", "tme", "clinical+tme", "tme+subtype", "clinical+tme+subtype"),
    "response": ("clinical", "tme", "clinical+tme"),
}
_SECTION = ConfigDict(extra="forbid")
Seed = Annotated[StrictInt, Field(ge=0, le=2**32 - 1)]
Number = StrictFloat | StrictInt


@with_config(_SECTION)
@dataclass
class TaskConfig:
    """What is predicted and where it is tracked."""

    kind: StrictStr = "prognosis"
    experiment: StrictStr = ""
    registered_model: StrictStr = ""
    seed: Seed = 20261125

    def __post_init__(self) -> None:
        if not self.experiment:
            self.experiment = f"tmeprog-{self.kind}"
        if not self.registered_model:
            self.registered_model = f"tmeprog-{self.kind}"


@with_config(_SECTION)
@dataclass
class DataConfig:
    """Cohorts and endpoint.

    ``endpoint`` names the survival endpoint every cohort must have (``os``, ``rfs``, ``dmfs``
    ...) or ``auto`` (each cohort's own, OS preferred). Cohorts whose endpoints differ (relapse-
    free with overall survival) are trained together only with ``pool_endpoints = true``; the
    pooled models then stratify by cohort x endpoint (see :mod:`tmeprog.pipeline.assemble`)
    and age enters once per endpoint. ``subtype_calls`` joins PAM50 subtypes and
    expression-inferred receptor status to each cohort's clinical table (fitted per cohort;
    recorded values are kept).
    """

    cohorts: list[StrictStr] = field(default_factory=lambda: ["gse1992", "gse4335", "gse3143",
                                                              "vdv"])
    endpoint: StrictStr = "auto"
    pool_endpoints: StrictBool = False
    subtype_calls: StrictBool = False


@with_config(_SECTION)
@dataclass
class FeatureConfig:
    """TME feature extraction (``breast_signatures`` adds the 21-gene, 70-gene, genomic grade
    and EndoPredict scores, compartment ``prognostic``)."""

    method: StrictStr = "ssgsea"
    coverage_threshold: Annotated[Number, Field(gt=0, le=1)] = 0.5
    signatures: list[StrictStr] = field(default_factory=list)
    breast_signatures: StrictBool = False
    deconvolution: StrictStr = ""  # "quantiseq": add cell fractions
    pathways: StrictStr = ""  # "progeny": add pathway activities
    arrays: StrictBool | None = None  # quanTIseq's array mode (default: each cohort's platform)
    tumor: StrictBool = True  # quanTIseq's tumour mode (the registered cohorts are tumours)


@with_config(_SECTION)
@dataclass
class ModelConfig:
    """Model families and feature sets compared side by side (empty: all of the task's)."""

    families: list[StrictStr] = field(default_factory=list)
    feature_sets: list[StrictStr] = field(default_factory=list)
    #: Per family, hyperparameters replacing the defaults (``[models.params.rsf]``), and a
    #: tuning grid replacing the default grid (``[models.grids.coxnet]``); see
    #: ``tmeprog models`` for the families, defaults and grids (prognosis).
    params: dict[StrictStr, dict[StrictStr, Any]] = field(default_factory=dict)
    grids: dict[StrictStr, dict[StrictStr, list[Any]]] = field(default_factory=dict)


@with_config(_SECTION)
@dataclass
class ValidationConfig:
    """Validation schemes and metrics."""

    cv_folds: Annotated[StrictInt, Field(ge=2)] = 5
    cv_repeats: Annotated[StrictInt, Field(ge=1)] = 2
    loco: StrictBool = True
    #: Prognosis: put every TME feature on the scale of its own cohort (mean 0, SD 1) in
    #: training, validation and scoring; a scored file then needs >= 20 samples.
    per_cohort_standardise: StrictBool = False
    bootstrap: Annotated[StrictInt, Field(ge=0)] = 200
    horizons_months: list[Annotated[Number, Field(gt=0)]] = field(
        default_factory=lambda: [36.0, 60.0])
    n_jobs: Annotated[StrictInt, Field(ge=1)] = 2


@with_config(_SECTION)
@dataclass
class SelectionConfig:
    """How the champion model is chosen."""

    metric: StrictStr = "harrell_c"
    validation: StrictStr = "loco"


@dataclass
class PipelineConfig:
    """A whole training pipeline."""

    task: TaskConfig = field(default_factory=TaskConfig)
    data: DataConfig = field(default_factory=DataConfig)
    features: FeatureConfig = field(default_factory=FeatureConfig)
    models: ModelConfig = field(default_factory=ModelConfig)
    validation: ValidationConfig = field(default_factory=ValidationConfig)
    selection: SelectionConfig = field(default_factory=SelectionConfig)
    source: str = "<defaults>"

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (for logging)."""
        return asdict(self)


SECTIONS = {"task": TaskConfig, "data": DataConfig, "features": FeatureConfig,
            "models": ModelConfig, "validation": ValidationConfig,
            "selection": SelectionConfig}


def _section(cls, raw: dict, name: str, source: str):
    try:
        return TypeAdapter(cls).validate_python(raw)
    except ValidationError as exc:
        raise InputError(_describe(exc, cls, name, source)) from None


def _describe(exc: ValidationError, cls, name: str, source: str) -> str:
    """One line per wrong key: ``source [section] key: what is wrong (value given)``."""
    lines: dict[str, str] = {}
    for e in exc.errors():
        key = str(e["loc"][0]) if e["loc"] else "?"
        branches = ("int", "float")  # pydantic names the branch of int | float it tried
        union = any(p in branches for p in e["loc"][1:] if isinstance(p, str))
        where = f"{source} [{name}] {key}" + "".join(
            f"[{p}]" if isinstance(p, int) else f".{p}"
            for p in e["loc"][1:] if not (isinstance(p, str) and p in branches))
        if where in lines:
            continue
        if e["type"] == "unexpected_keyword_argument":
            allowed = sorted(cls.__dataclass_fields__)
            lines[where] = f"{where}: unknown key; allowed keys: {', '.join(allowed)}"
            continue
        want = "expected a number" if union else _WANT.get(e["type"], e["msg"])
        bound = next(iter((e.get("ctx") or {}).values()), None)
        if e["type"] in _BOUNDS:
            want = f"must be {_BOUNDS[e['type']]} {bound}"
        lines[where] = f"{where}: {want}, got {e.get('input')!r}"
    return "; ".join(lines.values())


_WANT = {
    "int_type": "expected a whole number (no quotes, no decimals)",
    "bool_type": "expected true or false (no quotes)",
    "string_type": "expected a quoted string",
    "list_type": "expected a list in brackets, e.g. [\"a\", \"b\"]",
    "float_type": "expected a number",
    "dict_type": "expected a table",
}
_BOUNDS = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=",
           "less_than": "<"}


def parse_config(raw: dict[str, Any], source: str = "<dict>") -> PipelineConfig:
    """Validate a nested dict (as read from TOML) into a :class:`PipelineConfig`.

    Raises
    ------
    InputError
        On an unknown section or key, a value of the wrong type or out of range; the message
        names ``[section] key``.
    """
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise InputError(f"{source}: unknown sections {unknown}; allowed: {sorted(SECTIONS)}")
    parts = {}
    for name, cls in SECTIONS.items():
        sec = raw.get(name, {})
        if not isinstance(sec, dict):
            raise InputError(f"{source}: [{name}] must be a table, got {sec!r}")
        parts[name] = _section(cls, sec, name, source)
    cfg = PipelineConfig(**parts, source=source)
    _check(cfg)
    return cfg


def _of_task(chosen: list[str], allowed, where: str, what: str) -> list[str]:
    """``chosen`` (all of ``allowed`` when empty), refused when it names others."""
    bad = sorted(set(chosen) - set(allowed))
    if bad:
        raise InputError(f"{where} {bad} are not {what}; use {list(allowed)}")
    return list(chosen) or list(allowed)


def _check(cfg: PipelineConfig) -> None:
    src = cfg.source
    kind = cfg.task.kind
    if kind not in TASKS:
        raise InputError(f"{src} [task] kind={kind!r}; use one of {TASKS}")
    cfg.models.families = _of_task(cfg.models.families, MODEL_FAMILIES[kind],
                                   f"{src} [models] families", f"{kind} models")
    if cfg.models.params or cfg.models.grids:
        if kind != "prognosis":
            raise InputError(f"{src} [models] params / grids apply to prognosis families; "
                             "leave them out for response")

        try:
            build_models(0, False, cfg.models.params, cfg.models.grids)
        except (InputError, TypeError, ValueError) as exc:
            raise InputError(f"{src} {exc}") from None
    if cfg.validation.per_cohort_standardise and kind != "prognosis":
        raise InputError(f"{src} [validation] per_cohort_standardise applies to prognosis "
                         "pipelines; leave it out for response")
    cfg.models.feature_sets = _of_task(cfg.models.feature_sets, FEATURE_SETS[kind],
                                       f"{src} [models] feature_sets", f"{kind} feature sets")

    for key, method_kind, value in (
            ("method", "scoring", cfg.features.method),
            ("deconvolution", "deconvolution", cfg.features.deconvolution),
            ("pathways", "activity", cfg.features.pathways)):
        names = method_names(method_kind)
        if value and value not in names or key == "method" and not value:
            raise InputError(f"{src} [features] {key}={value!r}; use one of {names}"
                             + ("" if key == "method" else " (or leave it out)"))
    if cfg.data.endpoint == "pooled":
        raise InputError(f"{src} [data] endpoint='pooled' is not an endpoint; keep endpoint = "
                         "'auto' and state pool_endpoints = true")
    if not cfg.data.cohorts:
        raise InputError(f"{src} [data] cohorts is empty; name at least one cohort or file")
    v = cfg.validation
    if cfg.selection.validation not in ("cv", "loco"):
        raise InputError(f"{src} [selection] validation must be 'cv' or 'loco'")
    if kind == "response":
        if cfg.selection.metric == "harrell_c":  # the prognosis default
            cfg.selection.metric = "auroc"
        if cfg.selection.metric not in ("auroc", "auprc", "brier"):
            raise InputError(f"{src} [selection] metric {cfg.selection.metric!r} is not a "
                             "response metric; use auroc, auprc or brier")
        cfg.selection.validation = "cv"
    elif cfg.selection.metric not in ("harrell_c", "uno_c", "td_auc_3y", "td_auc_5y", "ibs"):
        raise InputError(f"{src} [selection] metric {cfg.selection.metric!r}; use harrell_c, "
                         "uno_c, td_auc_3y, td_auc_5y or ibs")
    if cfg.selection.validation == "loco" and (not v.loco or len(cfg.data.cohorts) < 2):
        cfg.selection.validation = "cv"


def load_config(path: str | Path | None = None) -> PipelineConfig:
    """Read a TOML pipeline config; ``None`` gives the default (prognosis, bundled cohorts)."""
    if path is None:
        # the default pipeline (pipelines/prognosis_bundled.toml) states that it pools the
        # endpoints of its four cohorts (a config of one's own must say so itself) and that it
        # infers ER where a cohort does not record it (vdv), for the subtype-aware sets
        return parse_config({"data": {"pool_endpoints": True, "subtype_calls": True}},
                            "<defaults>")
    p = Path(path)
    if not p.is_file():
        raise InputError(f"config file {str(p)!r} not found; see pipelines/ for examples")
    try:
        raw = tomllib.loads(read_text(p, what="config file"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"config file {str(p)!r} is not valid TOML: {exc}") from exc
    return parse_config(raw, str(p))
