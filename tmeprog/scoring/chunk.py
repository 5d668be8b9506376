"""Scoring one chunk: the unit of work of every engine (in-process, process pool, Dask)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tmeprog.cohorts.expression_sanity import UnusableSamplesError
from tmeprog.errors import TmeprogError
from tmeprog.models.feature_sets import AGE_PREFIX
from tmeprog.scoring.coverage import CoverageModel
from tmeprog.scoring.inputs import Preparer
from tmeprog.scoring.slices import ParquetSlice
from tmeprog.serving.scorer import Scorer, horizon_label

FAILED_COLUMNS = ["sample_id", "error"]
IMPUTED = "imputed_covariates"


@dataclass
class ChunkResult:
    """Scores of one chunk (indexed by sample id, with ``coverage_warning``) and its failures.

    ``error`` is set when the chunk could not be scored whole. Then either ``failed`` lists
    all its samples with that error, or (``isolate``) the samples lacking genes were set aside,
    other failures bisected down to single samples, and ``failed`` lists only those.
    """

    index: int
    scores: pd.DataFrame
    failed: pd.DataFrame
    error: str = ""
    warnings: list[str] = field(default_factory=list)


def _message(exc: BaseException) -> str:
    text = str(exc).strip()
    return text if isinstance(exc, TmeprogError) and text else f"{type(exc).__name__}: {text}"


def all_failed(ids, error: str) -> pd.DataFrame:
    """The failure table of a chunk none of whose samples could be scored."""
    return pd.DataFrame({"sample_id": list(map(str, ids)), "error": error},
                        columns=FAILED_COLUMNS)


def failed_result(index: int, ids, error: str, scorer: Scorer | None = None) -> ChunkResult:
    """A chunk that could not be scored at all (unreadable, or its worker died); its empty
    scores have the scorer's columns when it is given."""
    scores = empty_scores(scorer) if scorer is not None else \
        pd.DataFrame(index=pd.Index([], name="sample_id"))
    return ChunkResult(index=index, scores=scores, failed=all_failed(ids, error), error=error)


def take_rows(payload, pos: np.ndarray):
    """Rows ``pos`` of a chunk payload (a data frame or an array of samples x genes)."""
    return payload.iloc[pos] if isinstance(payload, pd.DataFrame) else payload[pos]


class LowCoverageError(TmeprogError):
    """Some rows lack too many genes of a feature the model uses."""

    def __init__(self, rows: pd.Series):
        self.rows = rows
        first = f"{rows.index[0]}: {rows.iloc[0]}"
        super().__init__(f"{len(rows)} sample(s) lack genes of TME features the model uses, "
                         f"e.g. {first}")


@dataclass
class ChunkScorer:
    """Everything a worker needs, shipped once: the scorer and how to prepare a chunk."""

    scorer: Scorer
    preparer: Preparer

    def __post_init__(self):
        self.coverage = CoverageModel.of(self.scorer)

    def _attempt(self, ids: pd.Index, payload, caught: list[str]) -> pd.DataFrame:
        expr, clin = self.preparer.parts(ids, payload)
        warn = ""
        if self.coverage is not None:
            warn, fail = self.coverage.per_sample(expr)
            if (fail != "").any():
                raise LowCoverageError(fail[fail != ""])
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            res = self.scorer.predict_parts(expr, clin)
        caught.extend(str(x.message) for x in w)
        res.index = pd.Index(expr.index, name="sample_id")
        res["coverage_warning"] = warn.to_numpy(dtype=object) if self.coverage is not None \
            else ""
        if self.scorer.clinical_columns:
            res[IMPUTED] = imputed_covariates(self.scorer, clin).to_numpy(dtype=object)
        return res

    def _isolate(self, ids: pd.Index, payload, pos: np.ndarray, caught: list[str]):
        """Scores of the rows ``pos`` that can be scored, and (id, error) of the others:
        rows lacking genes or holding no usable expression (all missing, zero or constant)
        are set aside, other failures are bisected down to single rows."""
        try:
            return [self._attempt(ids[pos], take_rows(payload, pos), caught)], []
        except (LowCoverageError, UnusableSamplesError) as exc:
            label = "lacks genes" if isinstance(exc, LowCoverageError) else "unusable"
            bad = [(str(i), f"{label}: {m}") for i, m in exc.rows.items()]
            good = pos[~ids[pos].isin(exc.rows.index)]
            if not len(good):
                return [], bad
            scores, more = self._isolate(ids, payload, good, caught)
            return scores, bad + more
        except Exception as exc:
            if len(pos) == 1:
                return [], [(str(ids[pos[0]]), _message(exc))]
            half = len(pos) // 2
            s1, b1 = self._isolate(ids, payload, pos[:half], caught)
            s2, b2 = self._isolate(ids, payload, pos[half:], caught)
            return s1 + s2, b1 + b2

    def __call__(self, index: int, ids: pd.Index, payload, isolate: bool = False
                 ) -> ChunkResult:
        """Score one chunk; with ``isolate`` a failing chunk keeps the samples it can score."""
        caught: list[str] = []
        ids = pd.Index(ids)
        try:
            if isinstance(payload, ParquetSlice):
                payload = payload.read()
        except Exception as exc:  # the chunk cannot be read here: all its samples fail
            return failed_result(index, ids, f"reading the chunk: {_message(exc)}", self.scorer)
        try:
            scores = self._attempt(ids, payload, caught)
            failed = pd.DataFrame(columns=FAILED_COLUMNS)
            error = ""
        except Exception as exc:  # any failure is reported with the chunk's sample ids
            error = _message(exc)
            if not isolate:
                failed = all_failed(ids, error)
                scores = empty_scores(self.scorer)
            else:
                parts, bad = self._isolate(ids, payload, np.arange(len(ids)), caught)
                scores = pd.concat(parts) if parts else empty_scores(self.scorer)
                failed = pd.DataFrame(bad, columns=FAILED_COLUMNS)
        return ChunkResult(index=index, scores=scores, failed=failed, error=error,
                           warnings=list(dict.fromkeys(caught)))


def imputed_covariates(scorer: Scorer, clinical: pd.DataFrame) -> pd.Series:
    """Per sample, the covariates of ``scorer`` imputed because none of their vocabulary
    columns has a value (comma-separated names; empty when none)."""
    names = pd.Series("", index=clinical.index, dtype=object)
    seen: set[str] = set()
    for col, sources in scorer.covariate_sources().items():
        name = "age" if col.startswith(AGE_PREFIX) else col
        if name in seen:
            continue
        seen.add(name)
        have = [s for s in sources if s in clinical.columns]
        absent = clinical[have].isna().all(axis=1).to_numpy() if have else \
            np.ones(len(clinical), dtype=bool)
        names[absent] = names[absent].map(lambda v, n=name: f"{v},{n}" if v else n)
    return names


def score_columns(scorer: Scorer) -> dict[str, type]:
    """Columns of a chunk's scores, in output order, with their types."""
    if scorer.task == "prognosis":
        cols = {"risk_score": np.float64, "risk_group": object}
        cols.update({f"survival_prob_{horizon_label(h)}": np.float64
                     for h in scorer.horizons_months})
    else:
        cols = {"pcr_probability": np.float64}
    cols = cols | {"coverage_warning": object}
    return cols | {IMPUTED: object} if scorer.clinical_columns else cols


def empty_scores(scorer: Scorer) -> pd.DataFrame:
    """A zero-row score table with the columns a scorer produces."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in score_columns(scorer).items()},
                        index=pd.Index([], name="sample_id", dtype=object))
