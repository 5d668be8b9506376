"""``score_batch``: a served model over a cohort or file of any size, safely.

* The output appears only when complete (temporary file + rename); an existing output is
  refused unless ``overwrite``.
* Finished chunks are kept in ``OUT.parts/`` with a manifest; ``resume`` continues an
  interrupted run (same input, model version and chunk size) and scores every sample once.
* A failing chunk stops the run, naming its samples; with ``keep_going`` it is rescored sample
  by sample, the rest continues and the failed samples are listed in ``OUT.failed.tsv`` with
  the reason (samples lacking genes, samples whose expression is all missing, zero or
  constant, and any other failure); they have no row in the output.
* Scores are those of ``mlflow.pyfunc.load_model(uri).predict(model_input(chunk))``, bit for
  bit: the scorer inside the pyfunc is called on the same typed frame, without the signature
  check. Local and Dask engines cut the same chunks, so they agree bit for bit too. Across
  chunk sizes scores agree to rounding (the risk score is a matrix-vector product whose last
  bit can depend on the number of rows).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from tmeprog.cohorts.expression_sanity import check_rule
from tmeprog.errors import InputError, TmeprogError
from tmeprog.scoring.chunk import IMPUTED, ChunkScorer, score_columns
from tmeprog.scoring.cohort_pass import with_input_scale
from tmeprog.scoring.inputs import open_input
from tmeprog.scoring.local import local_engine
from tmeprog.scoring.model import ServedModel, load_served_model
from tmeprog.scoring.resume import WorkDir
from tmeprog.tables.tableio import check_output, table_format, write_table

ENGINES = ("local", "dask")
CHUNK_BYTES = 96 * 2**20  # float64 model input per chunk: bounds a worker's peak memory
MAX_CHUNK = 2000


class ChunkFailedError(TmeprogError):
    """A chunk could not be scored and ``keep_going`` was not set."""


def default_chunk_size(n_columns: int) -> int:
    """Samples per chunk: about 96 MiB of float64 input, at most 2,000 samples."""
    return int(max(1, min(MAX_CHUNK, CHUNK_BYTES // (8 * max(1, n_columns)))))


def failed_path_for(output: Path) -> Path:
    """``OUT.failed.tsv`` beside the output."""
    return output.parent / f"{output.name}.failed.tsv"


def output_columns(scorer) -> list[str]:
    """Columns of the output table after ``sample_id``."""
    cols = [c for c in score_columns(scorer) if c not in ("coverage_warning", IMPUTED)]
    tail = [IMPUTED] if scorer.clinical_columns else []
    return cols + ["model_uri", "model_version", "coverage_warning"] + tail


@dataclass
class ScoreSummary:
    """What a scoring run did."""

    output: Path
    failed_output: Path | None
    n_scored: int
    n_failed: int
    n_chunks: int
    n_resumed: int
    chunk_size: int
    seconds: float
    scoring_seconds: float
    model_uri: str
    model_version: str
    engine: str
    workers: int
    n_imputed: int = 0
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        """A JSON-ready dict."""
        d = dict(self.__dict__)
        d["output"] = str(self.output)
        d["failed_output"] = str(self.failed_output) if self.failed_output else None
        d["seconds"] = round(self.seconds, 2)
        d["scoring_seconds"] = round(self.scoring_seconds, 2)
        return d


def _check_paths(out: Path, failed: Path, wd: WorkDir, overwrite: bool, resume: bool) -> None:
    if overwrite and resume:
        raise InputError("--resume continues an unfinished run and --overwrite starts over; "
                         "pass one of them")
    table_format(out)
    for p in (out, failed):
        check_output(p, overwrite)
    if wd.exists() and not resume and not overwrite:
        raise InputError(f"{wd.path} holds an unfinished run; pass --resume to continue it or "
                         "--overwrite to start over")


def _engine(task: ChunkScorer, engine: str, scheduler: str | None, workers: int | None):
    if engine == "dask":
        from tmeprog.scoring.dask_engine import (
            DaskEngine,  # deferred: Dask loads only for --engine dask
        )

        return DaskEngine(task, scheduler=scheduler, workers=workers)

    return local_engine(task, workers or 1)


def _eg_ids(ids) -> str:
    ids = list(map(str, ids))
    return ", ".join(ids[:10]) + (f" ... ({len(ids)} samples)" if len(ids) > 10 else "")


def score_batch(
    model: str,
    source: str,
    output: str | Path,
    *,
    clinical: str | None = None,
    chunk_size: int | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    workers: int | None = None,
    overwrite: bool = False,
    resume: bool = False,
    keep_going: bool = False,
    tracking_uri: str | None = None,
    scale: str | None = None,
    orientation: str = "auto",
    allow_missing_covariates: bool = False,
    duplicates: str = "error",
    served: ServedModel | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> ScoreSummary:
    """Score every sample of ``source`` with the model at ``model`` and write ``output``.

    Parameters
    ----------
    model : str
        Model URI (``models:/name@alias``, ``models:/name/<version>``, ``runs:/...``).
    source : str
        Cohort name, expression file (streamed), feature table or cohort file.
    output : str or Path
        ``.parquet``, ``.tsv`` or ``.csv``: one row per sample.
    clinical : str, optional
        Clinical table (sample id + vocabulary columns) of an expression file.
    chunk_size : int, optional
        Samples per chunk (default: about 96 MiB of model input, at most 2,000; whole row
        groups for a parquet file whose row groups have one size of at most 2,000 samples,
        which lets local worker processes and a ``LocalCluster`` read their chunks
        themselves).
    engine : {"local", "dask"}
        Local (in-process, or ``workers`` processes) or Dask (a new ``LocalCluster`` of
        ``workers`` processes, or the cluster at ``scheduler``).
    overwrite, resume, keep_going : bool
        See the module notes.
    tracking_uri : str, optional
        Tracking store holding the model (default: ``MLFLOW_TRACKING_URI`` or the local one).
    scale, orientation : str, optional
        Expression scale and orientation when detection should not decide.
    allow_missing_covariates : bool
        Score samples without a clinical row (or with unreadable cells), their covariates
        imputed; the output column ``imputed_covariates`` names them per sample. Otherwise
        every sample needs a row.
    duplicates : {"error", "mean", "max-variance"}
        Genes present more than once with different values: an error naming them, their mean
        per sample, or the copy of highest variance.
    served : ServedModel, optional
        An already loaded model (``model`` is then only recorded).
    progress : callable, optional
        Called with (samples done, total or None) after each chunk.

    Returns
    -------
    ScoreSummary

    Raises
    ------
    InputError
        Bad options or input, an existing output, a model that cannot score the input.
    ChunkFailedError
        A chunk failed without ``keep_going`` (finished chunks are kept for ``resume``).
    """
    t0 = time.perf_counter()
    out = Path(output)
    failed_out = failed_path_for(out)
    if engine not in ENGINES:
        raise InputError(f"--engine {engine!r}; use one of {', '.join(ENGINES)}")
    if scheduler and engine != "dask":
        raise InputError("--scheduler needs --engine dask")
    if chunk_size is not None and chunk_size < 1:
        raise InputError(f"--chunk-size must be a positive number of samples; got {chunk_size}")
    if workers is not None and workers < 1:
        raise InputError(f"--workers must be at least 1; got {workers}")
    check_rule(duplicates)
    wd = WorkDir(out)
    _check_paths(out, failed_out, wd, overwrite, resume)

    if served is None:
        served = load_served_model(model, tracking_uri)
    scorer = served.scorer
    inp = open_input(scorer, source, clinical=clinical, scale=scale, orientation=orientation,
                     allow_missing_covariates=allow_missing_covariates, duplicates=duplicates)
    width = len(inp.preparer.symbols) if inp.preparer.symbols is not None \
        else inp.frame.shape[1]
    default = default_chunk_size(width)
    size = int(chunk_size or inp.whole_group_size(default, MAX_CHUNK) or default)
    # Workers on this machine read whole row groups themselves instead of being sent values.
    workers_read = inp.whole_group_size(size, size) == size and (
        engine == "local" and (workers or 1) > 1 or engine == "dask" and not scheduler)
    manifest = {"input": inp.fingerprint, "model": {"uri": served.uri,
                                                    "version": served.version},
                "chunk_size": size}
    notes = list(inp.notes)
    if workers_read:
        notes.append(f"workers read their chunks ({size // inp.reader.group_rows()[0]} row "
                     "group(s) each) from the input themselves")
    resuming = resume and wd.exists()
    done = wd.start(manifest, resume)
    if resume and not resuming:
        notes.append(f"nothing to resume in {wd.path}: started a new run")

    seen: set[str] = set()
    n_chunks = 0
    total = inp.n_samples
    n_done = 0

    def jobs():
        nonlocal n_chunks, n_done
        for idx, ids, payload in inp.chunks(size, skip=done, lazy=workers_read):
            n_chunks = idx + 1
            keys = list(map(str, ids)) if idx not in done else wd.chunk_ids(idx)
            dup = [k for k in keys if k in seen]
            if dup or len(set(keys)) != len(keys):
                dup = dup or pd.Index(keys)[pd.Index(keys).duplicated()].tolist()
                raise InputError(f"{inp.description}: sample id {dup[0]!r} appears more than "
                                 "once; sample ids must be unique")
            seen.update(keys)
            if idx in done:
                n_done += len(keys)
                continue
            yield idx, ids, payload

    scorer = with_input_scale(scorer, inp, size)
    if scorer.scale is not None:
        notes.append(f"TME features put on the input's own scale (mean and SD of "
                     f"{scorer.scale.n_samples} samples; the model was trained with "
                     "per-cohort standardisation)")
    task = ChunkScorer(scorer, inp.preparer)
    t1 = time.perf_counter()
    caught: dict[str, None] = {}
    n_workers = 1
    try:
        eng = _engine(task, engine, scheduler, workers)
        n_workers = eng.n_workers
        try:
            for res in eng.imap(jobs(), isolate=keep_going):
                caught.update(dict.fromkeys(res.warnings))
                if res.error and not keep_going:
                    ids = res.failed["sample_id"].tolist()
                    raise ChunkFailedError(
                        f"chunk {res.index} (samples {_eg_ids(ids)}) failed: {res.error}; fix "
                        f"the input and run again with --overwrite, or pass --keep-going to "
                        f"score the other samples (finished chunks are kept in {wd.path} for "
                        "--resume)"
                    )
                wd.write(res)
                n_done += len(res.scores) + len(res.failed)
                if progress is not None:
                    progress(n_done, total)
        finally:
            eng.close()
    finally:
        wd.release()

    cal = scorer.info.get("calibration") or {}
    if cal.get("message"):  # a model whose survival probabilities did not transfer
        caught[cal["message"]] = None
    scores, failed = wd.collect(n_chunks)
    all_ids = pd.Index(scores.index.tolist() + failed["sample_id"].astype(str).tolist())
    if all_ids.has_duplicates or len(all_ids) != len(seen) or (
            inp.sample_ids is not None and set(all_ids) != set(map(str, inp.sample_ids))):
        raise InputError(f"{wd.path}: finished chunks do not cover every sample exactly once; "
                         "pass --overwrite to score again")
    scores["model_uri"] = served.uri
    scores["model_version"] = served.version
    table = scores.reindex(columns=output_columns(scorer))
    warns = list(caught)[:20]
    n_imputed = 0
    if IMPUTED in table.columns:
        table[IMPUTED] = table[IMPUTED].fillna("")
        n_imputed = int((table[IMPUTED] != "").sum())
        if n_imputed:
            warns.insert(0, f"{n_imputed} of {len(table)} scored samples had clinical "
                            f"covariates imputed (named per sample in column {IMPUTED})")
    write_table(table, out, overwrite=overwrite)
    if len(failed):
        write_table(failed.set_index("sample_id"), failed_out, overwrite=overwrite)
    elif overwrite:
        failed_out.unlink(missing_ok=True)
    wd.remove()
    return ScoreSummary(
        output=out, failed_output=failed_out if len(failed) else None, n_scored=len(scores),
        n_failed=len(failed), n_chunks=n_chunks, n_resumed=len(done), chunk_size=size,
        seconds=time.perf_counter() - t0, scoring_seconds=time.perf_counter() - t1,
        model_uri=served.uri, model_version=served.version,
        engine=engine, workers=n_workers, n_imputed=n_imputed, notes=notes, warnings=warns,
    )
