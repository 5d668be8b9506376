"""Batch scoring with a served model: streamed, resumable, local or on Dask.

``score_batch(model_uri, source, output, ...)`` is what ``tmeprog score`` runs; see
:mod:`tmeprog.scoring.batch` for its guarantees and :mod:`tmeprog.scoring.reader` for how files
stream.
"""

from tmeprog.scoring.batch import ChunkFailedError, ScoreSummary, default_chunk_size, score_batch
from tmeprog.scoring.model import ServedModel, load_served_model

__all__ = ["ChunkFailedError", "ScoreSummary", "ServedModel", "default_chunk_size",
           "load_served_model", "score_batch"]
