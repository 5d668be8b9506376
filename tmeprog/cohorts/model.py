"""The cohort object: expression, clinical covariates, endpoints and metadata in one shape."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from tmeprog.cohorts.vocabulary import BINARY_ENDPOINTS, CLINICAL_DTYPES, SURVIVAL_ENDPOINTS
from tmeprog.errors import InputError


@dataclass(frozen=True)
class EndpointInfo:
    """What an endpoint of one cohort actually is.

    Parameters
    ----------
    name : str
        Vocabulary name (``os``, ``rfs``, ``pcr`` ...).
    kind : {"survival", "binary"}
        Survival endpoints have ``<name>_time`` (months) and ``<name>_event`` columns.
    definition : str
        The event definition as the source states it, and any unit conversion applied.
    """

    name: str
    kind: str
    definition: str


@dataclass
class CohortMeta:
    """Provenance of a cohort."""

    source: str
    platform: str = "unknown"
    scale: str = "unknown"
    citation: str = ""
    licence: str = ""
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Cohort:
    """A breast-cancer cohort in tmeprog's common shape.

    Attributes
    ----------
    name : str
        Registry name or file stem.
    expression : pandas.DataFrame or None
        Samples x genes, float, log scale, HGNC symbols; ``None`` for clinical-only cohorts or
        feature tables.
    clinical : pandas.DataFrame
        Same sample index; columns of the clinical vocabulary (see
        :mod:`tmeprog.cohorts.vocabulary`).
    endpoints : pandas.DataFrame
        Same sample index; ``<name>_time`` / ``<name>_event`` or ``<name>`` columns.
    endpoint_info : dict
        ``name -> EndpointInfo``.
    meta : CohortMeta
        Source, platform, scale, citation and licence.
    features : pandas.DataFrame or None
        Precomputed feature table (samples x features) when the source publishes one.
    report : list of str
        What loading did: rows dropped and why, genes mapped, scale transforms.
    """

    name: str
    expression: pd.DataFrame | None
    clinical: pd.DataFrame
    endpoints: pd.DataFrame
    endpoint_info: dict[str, EndpointInfo]
    meta: CohortMeta
    features: pd.DataFrame | None = None
    report: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        validate_cohort(self)

    @property
    def samples(self) -> pd.Index:
        """Sample ids (the index of ``clinical``)."""
        return self.clinical.index

    @property
    def n_samples(self) -> int:
        """Number of samples."""
        return len(self.clinical)

    @property
    def n_genes(self) -> int:
        """Number of genes (0 without expression)."""
        return 0 if self.expression is None else self.expression.shape[1]

    def survival(self, name: str) -> np.ndarray:
        """Survival target as a scikit-survival structured array (``event``, ``time``).

        Samples without this endpoint raise; subset the cohort first with
        :meth:`with_endpoint`.
        """
        info = self.endpoint_info.get(name)
        if info is None or info.kind != "survival":
            have = [k for k, v in self.endpoint_info.items() if v.kind == "survival"]
            raise InputError(
                f"cohort {self.name!r} has no survival endpoint {name!r}; it has {have}"
            )
        t = self.endpoints[f"{name}_time"]
        e = self.endpoints[f"{name}_event"]
        if t.isna().any() or e.isna().any():
            raise InputError(
                f"cohort {self.name!r}: {int((t.isna() | e.isna()).sum())} samples lack "
                f"endpoint {name!r}; call cohort.with_endpoint({name!r}) first"
            )
        out = np.empty(len(t), dtype=[("event", bool), ("time", float)])
        out["event"] = e.to_numpy(dtype=float) == 1
        out["time"] = t.to_numpy(dtype=float)
        return out

    def binary(self, name: str) -> pd.Series:
        """A binary endpoint (0/1, nullable) by name."""
        info = self.endpoint_info.get(name)
        if info is None or info.kind != "binary":
            have = [k for k, v in self.endpoint_info.items() if v.kind == "binary"]
            raise InputError(f"cohort {self.name!r} has no binary endpoint {name!r}; it has {have}")
        return self.endpoints[name]

    def with_endpoint(self, name: str) -> Cohort:
        """The samples that have endpoint ``name`` recorded."""
        info = self.endpoint_info.get(name)
        if info is None:
            raise InputError(
                f"cohort {self.name!r} has no endpoint {name!r}; "
                f"it has {sorted(self.endpoint_info)}"
            )
        cols = [f"{name}_time", f"{name}_event"] if info.kind == "survival" else [name]
        keep = self.endpoints[cols].notna().all(axis=1)
        return self.subset(self.samples[keep.to_numpy()])

    def subset(self, samples) -> Cohort:
        """A cohort restricted to ``samples`` (in that order)."""
        idx = pd.Index(samples)
        return replace(
            self,
            expression=None if self.expression is None else self.expression.loc[idx],
            clinical=self.clinical.loc[idx],
            endpoints=self.endpoints.loc[idx],
            features=None if self.features is None else self.features.loc[idx],
            report=list(self.report),
        )

    def summary(self) -> dict[str, Any]:
        """A JSON-ready description (no patient-level rows)."""
        ends = {}
        for name, info in self.endpoint_info.items():
            if info.kind == "survival":
                t = self.endpoints[f"{name}_time"]
                e = self.endpoints[f"{name}_event"]
                ends[name] = {
                    "kind": "survival",
                    "definition": info.definition,
                    "n": int(t.notna().sum()),
                    "events": int(e.sum()),
                    "median_follow_up_months": float(np.nanmedian(t)) if t.notna().any() else None,
                    "max_time_months": float(t.max()) if t.notna().any() else None,
                }
            else:
                y = self.endpoints[name]
                ends[name] = {
                    "kind": "binary",
                    "definition": info.definition,
                    "n": int(y.notna().sum()),
                    "positives": int(y.sum()),
                }
        return {
            "name": self.name,
            "n_samples": self.n_samples,
            "n_genes": self.n_genes,
            "n_features": 0 if self.features is None else int(self.features.shape[1]),
            "clinical": list(self.clinical.columns),
            "endpoints": ends,
            "source": self.meta.source,
            "platform": self.meta.platform,
            "scale": self.meta.scale,
            "citation": self.meta.citation,
            "licence": self.meta.licence,
            "description": self.meta.description,
            "report": list(self.report),
        }


def validate_cohort(c: Cohort) -> None:
    """Check the shape invariants of a cohort; raise :class:`InputError` naming the problem."""
    where = f"cohort {c.name!r}"
    idx = c.clinical.index
    if idx.has_duplicates:
        dup = idx[idx.duplicated()].unique()[:5].tolist()
        raise InputError(f"{where}: duplicated sample ids {dup}; sample ids must be unique")
    for label, frame in (("endpoints", c.endpoints), ("expression", c.expression),
                         ("features", c.features)):
        if frame is not None and not frame.index.equals(idx):
            raise InputError(f"{where}: {label} index does not match the clinical sample index")
    unknown = [col for col in c.clinical.columns if col not in CLINICAL_DTYPES]
    if unknown:
        raise InputError(f"{where}: clinical columns outside the vocabulary: {unknown}")
    if c.expression is not None:
        ex = c.expression
        if ex.columns.has_duplicates:
            raise InputError(f"{where}: duplicated gene symbols after harmonisation")
        bad = [col for col, dt in ex.dtypes.items() if not np.issubdtype(dt, np.floating)]
        if bad:
            raise InputError(f"{where}: non-float expression columns {bad[:5]}")
    for name, info in c.endpoint_info.items():
        if info.kind == "survival":
            if name not in SURVIVAL_ENDPOINTS:
                raise InputError(f"{where}: unknown survival endpoint {name!r}")
            check_survival_columns(
                c.endpoints[f"{name}_time"], c.endpoints[f"{name}_event"], f"{where}, {name}"
            )
        elif info.kind == "binary":
            if name not in BINARY_ENDPOINTS:
                raise InputError(f"{where}: unknown binary endpoint {name!r}")
            check_binary(c.endpoints[name], f"{where}, {name}")
        else:
            raise InputError(f"{where}: endpoint {name!r} has unknown kind {info.kind!r}")


def check_survival_columns(time: pd.Series, event: pd.Series, where: str) -> None:
    """Raise unless times are positive and events are 0/1 wherever recorded."""
    t = pd.to_numeric(time, errors="coerce")
    if (t.isna() & time.notna()).any():
        raise InputError(f"{where}: non-numeric survival times")
    bad_t = t[(t <= 0).fillna(False)]
    if len(bad_t):
        raise InputError(
            f"{where}: {len(bad_t)} samples with zero or negative survival time "
            f"(e.g. {bad_t.index[:3].tolist()}); fix or remove them"
        )
    e = pd.to_numeric(event, errors="coerce")
    bad_e = e[e.notna() & ~e.isin([0, 1])]
    if len(bad_e) or (e.isna() & event.notna()).any():
        raise InputError(
            f"{where}: event values must be 0 or 1 (found {sorted(set(event.dropna()))[:5]})"
        )
    if (t.isna() != e.isna()).any():
        raise InputError(f"{where}: samples with a time but no event (or the reverse)")


def check_binary(y: pd.Series, where: str) -> None:
    """Raise unless a binary endpoint holds only 0, 1 or missing."""
    v = pd.to_numeric(y, errors="coerce")
    if (v.isna() & y.notna()).any() or not v.dropna().isin([0, 1]).all():
        raise InputError(f"{where}: labels must be 0 or 1 (found {sorted(set(y.dropna()))[:5]})")


def coerce_clinical(df: pd.DataFrame) -> pd.DataFrame:
    """Cast vocabulary columns to their documented dtypes, in vocabulary order."""
    cols = [c for c in CLINICAL_DTYPES if c in df.columns]
    out = pd.DataFrame(index=df.index)
    for c in cols:
        dt = CLINICAL_DTYPES[c]
        s = df[c]
        if dt == "string":
            out[c] = s.astype("string")
        else:
            num = pd.to_numeric(s, errors="coerce")
            out[c] = num.round().astype(dt) if dt == "Int64" else num.astype(dt)
    return out
