"""Pipeline configuration: a TOML file read into typed, validated settings.

A config names the task, the cohorts, the features, the model families, the validation and
how the champion is chosen. Every key has a default, so a config states only what differs;
unknown keys are an error (a typo must not silently fall back to a default).
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from tmeprog.errors import InputError

TASKS = ("prognosis", "response")
MODEL_FAMILIES = {
    "prognosis": ("coxnet", "rsf", "xgb_cox", "xgb_aft"),
    "response": ("logistic", "xgboost"),
}
FEATURE_SETS = {
    "prognosis": ("clinical", "tme", "clinical+tme", "tme+subtype", "clinical+tme+subtype"),
    "response": ("clinical", "tme", "clinical+tme"),
}


@dataclass
class TaskConfig:
    """What is predicted and where it is tracked."""

    kind: str = "prognosis"
    experiment: str = ""
    registered_model: str = ""
    seed: int = 20261125

    def __post_init__(self) -> None:
        if not self.experiment:
            self.experiment = f"tmeprog-{self.kind}"
        if not self.registered_model:
            self.registered_model = f"tmeprog-{self.kind}"


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

    cohorts: list[str] = field(default_factory=lambda: ["gse1992", "gse4335", "gse3143",
                                                        "vdv"])
    endpoint: str = "auto"
    pool_endpoints: bool = False
    subtype_calls: bool = False


@dataclass
class FeatureConfig:
    """TME feature extraction (``breast_signatures`` adds the 21-gene, 70-gene, genomic grade
    and EndoPredict scores, compartment ``prognostic``)."""

    method: str = "ssgsea"
    coverage_threshold: float = 0.5
    signatures: list[str] = field(default_factory=list)
    breast_signatures: bool = False
    deconvolution: str = ""  # "quantiseq": add cell fractions
    pathways: str = ""  # "progeny": add pathway activities
    arrays: bool | None = None  # quanTIseq's array mode (default: from each cohort's platform)
    tumor: bool = True  # quanTIseq's tumour mode (the registered cohorts are tumours)


@dataclass
class ModelConfig:
    """Model families and feature sets compared side by side (empty: all of the task's)."""

    families: list[str] = field(default_factory=list)
    feature_sets: list[str] = field(default_factory=list)


@dataclass
class ValidationConfig:
    """Validation schemes and metrics."""

    cv_folds: int = 5
    cv_repeats: int = 2
    loco: bool = True
    per_cohort_standardise: bool = False
    bootstrap: int = 200
    horizons_months: list[float] = field(default_factory=lambda: [36.0, 60.0])
    n_jobs: int = 2


@dataclass
class SelectionConfig:
    """How the champion model is chosen."""

    metric: str = "harrell_c"
    validation: str = "loco"


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


def _section(cls, raw: dict, where: str):
    allowed = {f.name for f in fields(cls)}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise InputError(f"{where}: unknown keys {unknown}; allowed: {sorted(allowed)}")
    return cls(**raw)


def parse_config(raw: dict[str, Any], source: str = "<dict>") -> PipelineConfig:
    """Validate a nested dict (as read from TOML) into a :class:`PipelineConfig`."""
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise InputError(f"{source}: unknown sections {unknown}; allowed: {sorted(SECTIONS)}")
    parts = {}
    for name, cls in SECTIONS.items():
        sec = raw.get(name, {})
        if not isinstance(sec, dict):
            raise InputError(f"{source}: [{name}] must be a table")
        try:
            parts[name] = _section(cls, sec, f"{source} [{name}]")
        except TypeError as exc:  # wrong value types reach dataclass init
            raise InputError(f"{source} [{name}]: {exc}") from exc
    cfg = PipelineConfig(**parts, source=source)
    _check(cfg)
    return cfg


def _check(cfg: PipelineConfig) -> None:
    src = cfg.source
    kind = cfg.task.kind
    if kind not in TASKS:
        raise InputError(f"{src} [task] kind={kind!r}; use one of {TASKS}")
    if not cfg.models.families:
        cfg.models.families = list(MODEL_FAMILIES[kind])
    bad = sorted(set(cfg.models.families) - set(MODEL_FAMILIES[kind]))
    if bad:
        raise InputError(f"{src} [models] families {bad} are not {kind} models; "
                         f"use {MODEL_FAMILIES[kind]}")
    if not cfg.models.feature_sets:
        cfg.models.feature_sets = list(FEATURE_SETS[kind])
    bad = sorted(set(cfg.models.feature_sets) - set(FEATURE_SETS[kind]))
    if bad:
        raise InputError(f"{src} [models] feature_sets {bad} are not {kind} feature sets; use "
                         f"{FEATURE_SETS[kind]}")
    from tmeprog.features.registry import method_names

    for key, method_kind, value in (
            ("method", "scoring", cfg.features.method),
            ("deconvolution", "deconvolution", cfg.features.deconvolution),
            ("pathways", "activity", cfg.features.pathways)):
        names = method_names(method_kind)
        if value and value not in names or key == "method" and not value:
            raise InputError(f"{src} [features] {key}={value!r}; use one of {names}"
                             + ("" if key == "method" else " (or leave it out)"))
    if not 0 < cfg.features.coverage_threshold <= 1:
        raise InputError(f"{src} [features] coverage_threshold must be in (0, 1]")
    if not isinstance(cfg.data.pool_endpoints, bool):
        raise InputError(f"{src} [data] pool_endpoints must be true or false")
    if cfg.data.endpoint == "pooled":
        raise InputError(f"{src} [data] endpoint='pooled' is not an endpoint; keep endpoint = "
                         "'auto' and state pool_endpoints = true")
    if not cfg.data.cohorts:
        raise InputError(f"{src} [data] cohorts is empty; name at least one cohort or file")
    v = cfg.validation
    if v.cv_folds < 2 or v.cv_repeats < 1 or v.bootstrap < 0:
        raise InputError(f"{src} [validation] needs cv_folds >= 2, cv_repeats >= 1, "
                         "bootstrap >= 0")
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
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"config file {str(p)!r} is not valid TOML: {exc}") from exc
    return parse_config(raw, str(p))
