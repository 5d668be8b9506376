"""``score_signatures``: score gene signatures per sample, in bounded-memory chunks.

Methods
-------
``ssgsea``
    GSVA's ssGSEA enrichment score without its cross-sample normalisation
    (:mod:`tmeprog.features.ssgsea`); unweighted gene sets.
``singscore``
    Centred, scaled mean rank (:mod:`tmeprog.features.singscore`); a weighted signature's
    weights must be +1 (up gene) or -1 (down gene). As in singscore, an up/down signature
    with no gene of one direction in the data scores NaN (it counts as empty below).
``zscore``
    Mean z-score against a frozen :class:`~tmeprog.features.zscore.ZScoreReference`;
    weights allowed.
``gsva``
    GSVA (Gaussian kernel CDF per gene, rank, max-difference random walk;
    :mod:`tmeprog.features.gsva`); unweighted gene sets. Cohort-dependent by construction:
    the kernel reference is a :class:`~tmeprog.features.gsva.GSVAReference` frozen at fit;
    without one, the scored samples are their own reference (R GSVA's behaviour, so a sample's
    score then depends on the others).

Each method scores each sample on its own (``zscore`` and ``gsva`` through their frozen
references), so a patient scored alone gets the score they get inside any cohort. The methods
are listed, with their references, in :mod:`tmeprog.features.registry`.

Input policy
------------
- Expression is a DataFrame of samples x genes with unique, numeric gene columns.
- Rank-based methods need a genome-wide profile: fewer than ``min_genes`` genes raises.
- Missing values: ``nan_policy="raise"`` (default) raises naming the first missing cell;
  ``"drop_genes"`` drops every gene with a missing value in any sample and warns with the
  count (scores then depend on which samples were scored together). Infinite values raise.
- Signature genes absent from the data are ignored (audit coverage with
  ``result.attrs["n_genes_used"]``). A signature with no gene present gets an all-NaN column,
  is listed in ``result.attrs["empty_signatures"]`` and an :class:`EmptySignatureWarning`
  is issued.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from tmeprog.errors import InputError
from tmeprog.features.gsva import GSVAReference, gsva_chunk
from tmeprog.features.registry import method_names
from tmeprog.features.singscore import DirectedSet, singscore_chunk
from tmeprog.features.ssgsea import ssgsea_chunk
from tmeprog.features.zscore import ReferencedSet, ZScoreReference, zscore_chunk

METHODS = method_names("scoring")
RANK_METHODS = ("ssgsea", "singscore", "gsva")
REFERENCES = {"zscore": ZScoreReference, "gsva": GSVAReference}
DEFAULT_MIN_GENES = 1000
CHUNK_BYTES = 32 * 2**20  # float64 input bytes per chunk; working memory is ~8x this
NAN_POLICIES = ("raise", "drop_genes")
_OPTIONS = {
    "ssgsea": {"alpha": 0.25},
    "singscore": {"center": True, "known_direction": True, "dispersion": False},
    "zscore": {},
    "gsva": {},
}

Signatures = Mapping[str, Sequence[str] | Mapping[str, float]]


class EmptySignatureWarning(UserWarning):
    """Some signatures have no gene in the data; their scores are NaN."""


class DroppedGenesWarning(UserWarning):
    """Genes with missing values were dropped before scoring (``nan_policy="drop_genes"``)."""


@dataclass(frozen=True)
class Signature:
    """One signature: its genes (unique, in given order) and their weights."""

    name: str
    genes: tuple
    weights: np.ndarray


def parse_signatures(signatures: Signatures) -> list[Signature]:
    """Validate signatures given as ``name -> genes`` or ``name -> {gene: weight}``.

    Genes listed twice count once (first occurrence). Unweighted genes get weight 1.

    Parameters
    ----------
    signatures : mapping
        Signature name to a sequence of gene symbols, or to a mapping gene -> weight.

    Returns
    -------
    list of Signature
    """
    if not isinstance(signatures, Mapping) or not signatures:
        raise InputError(
            "signatures must be a non-empty mapping of signature name to a list of genes (or "
            f"to a mapping gene -> weight); got {type(signatures).__name__}"
            f"{' (empty)' if isinstance(signatures, Mapping) else ''}."
        )
    out = []
    for name, genes in signatures.items():
        if isinstance(genes, Mapping):
            items = list(genes.items())
        elif isinstance(genes, str | bytes) or not isinstance(genes, Iterable):
            raise InputError(
                f"signature {name!r} must be a list of genes or a mapping gene -> weight; got "
                f"{type(genes).__name__} {str(genes)[:40]!r}."
            )
        else:
            items = [(g, 1.0) for g in dict.fromkeys(genes)]
        if not items:
            raise InputError(f"signature {name!r} has no genes; give it at least one gene.")
        try:
            weights = np.array([float(w) for _, w in items], dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise InputError(f"signature {name!r} has a non-numeric weight ({err}).") from None
        bad = ~np.isfinite(weights) | (weights == 0)
        if bad.any():
            g, w = items[int(np.flatnonzero(bad)[0])]
            raise InputError(
                f"signature {name!r} gives gene {g!r} the weight {w!r}; weights must be finite "
                "and non-zero (leave a gene out instead of weighting it 0)."
            )
        out.append(Signature(str(name), tuple(g for g, _ in items), weights))
    return out


def _check_weights(sigs: list[Signature], method: str) -> None:
    for s in sigs:
        if method in ("ssgsea", "gsva") and not np.all(s.weights == 1.0):
            raise InputError(
                f"{method} scores unweighted gene sets, but signature {s.name!r} has weights "
                "other than 1; pass its genes as a list, or use method='zscore' for weights."
            )
        if method == "singscore" and not np.all(np.abs(s.weights) == 1.0):
            raise InputError(
                f"singscore uses only gene directions, but signature {s.name!r} has weights "
                "other than +1 (up) and -1 (down); give each gene +1 or -1."
            )


def _check_options(method: str, options: dict) -> dict:
    if method not in METHODS:
        raise InputError(f"unknown scoring method {method!r}; choose one of {', '.join(METHODS)}.")
    allowed = _OPTIONS[method]
    extra = sorted(set(options) - set(allowed))
    if extra:
        raise InputError(
            f"method {method!r} takes no option {', '.join(map(repr, extra))}; its options are: "
            f"{', '.join(allowed) or 'none'}."
        )
    return {**allowed, **options}


def check_expression_frame(expression: pd.DataFrame) -> None:
    """Raise unless ``expression`` is a samples x genes DataFrame of numbers with unique gene
    columns."""
    if not isinstance(expression, pd.DataFrame):
        raise InputError(
            "expression must be a pandas DataFrame of samples x genes (gene symbols as column "
            f"names); got {type(expression).__name__}."
        )
    cols = expression.columns
    if cols.has_duplicates:
        dup = list(dict.fromkeys(cols[cols.duplicated()]))[:5]
        raise InputError(
            f"expression has duplicated gene columns (e.g. {', '.join(map(str, dup))}); "
            "collapse them to one column per gene (e.g. the mean) before scoring."
        )
    def non_numeric(t) -> bool:
        return not pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t)

    dtypes = expression.dtypes
    bad = []
    if any(non_numeric(t) for t in pd.unique(dtypes)):
        bad = [c for c, t in dtypes.items() if non_numeric(t)]
    if bad:
        raise InputError(
            f"expression has non-numeric gene columns (e.g. {', '.join(map(str, bad[:5]))}); "
            "pass samples x genes with numbers only (clinical columns belong elsewhere)."
        )


@dataclass
class _Plan:
    """Signatures mapped onto the columns of one expression layout."""

    kernel_sets: list
    n_used: dict
    empty: list
    universe: tuple | None = None  # gsva: (data columns, reference genes) of the universe


def _plan(columns: pd.Index, sigs: list[Signature], method: str,
          reference: ZScoreReference | None) -> _Plan:
    universe = None
    if method == "gsva":  # the ranked universe: reference genes present in the data
        ref_genes = reference.genes_
        data_pos = columns.get_indexer(ref_genes)
        have = np.flatnonzero(data_pos >= 0)
        universe = (data_pos[have], have)
        columns = ref_genes[have]
    position = {g: i for i, g in enumerate(columns)}
    if method == "zscore":
        usable = reference.usable_genes()
        mean = reference.mean_.reindex(usable).to_numpy()
        sd = reference.sd_.reindex(usable).to_numpy()
        ref_pos = {g: i for i, g in enumerate(usable)}
    kernel_sets, n_used, empty = [], {}, []
    for s in sigs:
        keep = [j for j, g in enumerate(s.genes) if g in position
                and (method != "zscore" or g in ref_pos)]
        cols = np.array([position[s.genes[j]] for j in keep], dtype=np.int64)
        w = s.weights[keep]
        n_used[s.name] = len(cols)
        if method in ("ssgsea", "gsva"):
            kernel_sets.append(cols)
        elif method == "singscore":
            up, down = cols[w > 0], cols[w < 0]
            # As singscore: a direction the signature defines must have a gene in the data.
            if (s.weights > 0).any() and not len(up) or (s.weights < 0).any() and not len(down):
                up = down = cols[:0]
            kernel_sets.append(DirectedSet(up=up, down=down))
        else:
            r = np.array([ref_pos[s.genes[j]] for j in keep], dtype=np.int64)
            kernel_sets.append(ReferencedSet(cols, mean[r], sd[r], w))
        if method == "singscore" and not len(kernel_sets[-1].up) + len(kernel_sets[-1].down):
            empty.append(s.name)
        elif not len(cols):
            empty.append(s.name)
    return _Plan(kernel_sets, n_used, empty, universe)


def _first_bad_cell(x: np.ndarray) -> tuple[int, int, float]:
    r, c = np.argwhere(~np.isfinite(x))[0]
    return int(r), int(c), float(x[r, c])


class _Scorer:
    """Everything fixed for one scoring run: method, options, signatures, reference."""

    def __init__(self, signatures: Signatures, method: str, reference, min_genes: int,
                 options: dict):
        self.options = _check_options(method, options)
        self.method = method
        self.sigs = parse_signatures(signatures)
        _check_weights(self.sigs, method)
        if method in REFERENCES:
            cls = REFERENCES[method]
            if not isinstance(reference, cls):
                raise InputError(
                    f"method={method!r} needs a frozen reference: fit "
                    f"{cls.__name__}().fit(training_expression) once and pass it as "
                    "reference=."
                )
            check_is_fitted(reference)
        elif reference is not None:
            raise InputError(f"method {method!r} takes no reference (only "
                             f"{' and '.join(map(repr, REFERENCES))} do).")
        if method == "singscore" and not self.options["known_direction"]:
            down = [s.name for s in self.sigs if (s.weights < 0).any()]
            if down:
                raise InputError(
                    f"undirected singscore (known_direction=False) takes up genes only, but "
                    f"signature {down[0]!r} has down genes (weight -1)."
                )
        self.reference = reference
        self.min_genes = min_genes
        self.names = [s.name for s in self.sigs]

    def plan(self, columns: pd.Index) -> _Plan:
        if self.method in RANK_METHODS and len(columns) < self.min_genes:
            raise InputError(
                f"expression has {len(columns)} genes; {self.method} ranks genes within each "
                f"sample and needs a genome-wide profile of at least {self.min_genes} genes. "
                "Pass the full expression matrix (or lower min_genes for a targeted panel)."
            )
        return _plan(columns, self.sigs, self.method, self.reference)

    def kernel(self, x: np.ndarray, plan: _Plan):
        o = self.options
        if self.method == "ssgsea":
            return ssgsea_chunk(x, plan.kernel_sets, alpha=o["alpha"])
        if self.method == "gsva":
            cols, genes = plan.universe
            return gsva_chunk(self.reference.density(x[:, cols], genes), plan.kernel_sets)
        if self.method == "singscore":
            return singscore_chunk(x, plan.kernel_sets, center=o["center"],
                                   known_direction=o["known_direction"],
                                   dispersion=o["dispersion"])
        return zscore_chunk(x, plan.kernel_sets)

    def frame(self, values: np.ndarray, index: pd.Index, plan: _Plan, extra: dict) -> pd.DataFrame:
        df = pd.DataFrame(values, index=index, columns=pd.Index(self.names, name="signature"))
        df.attrs.update(method=self.method, n_genes_used=dict(plan.n_used),
                        empty_signatures=list(plan.empty), **extra)
        return df


def _warn_empty(plan: _Plan, n_genes: int) -> None:
    if plan.empty:
        warnings.warn(
            f"{len(plan.empty)} signature(s) have no gene among the {n_genes} genes of the "
            f"data and score NaN: {', '.join(plan.empty[:10])}"
            f"{' ...' if len(plan.empty) > 10 else ''}.",
            EmptySignatureWarning, stacklevel=4,
        )


def auto_chunk_size(n_genes: int) -> int:
    """Samples per chunk so that one chunk of float64 input is about 32 MiB."""
    return max(1, CHUNK_BYTES // (8 * max(1, n_genes)))


def score_signatures(
    expression: pd.DataFrame,
    signatures: Signatures,
    method: str = "ssgsea",
    *,
    reference: ZScoreReference | None = None,
    chunk_size: int | None = None,
    min_genes: int = DEFAULT_MIN_GENES,
    nan_policy: str = "raise",
    n_jobs: int = 1,
    **options,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Score gene signatures in every sample.

    Parameters
    ----------
    expression : pandas.DataFrame
        Samples x genes (log scale for ``zscore``; any monotone scale for the rank methods).
    signatures : mapping
        Signature name -> list of genes, or -> mapping gene -> weight (see module notes).
    method : {"ssgsea", "singscore", "zscore", "gsva"}
        Scoring method.
    reference : ZScoreReference or GSVAReference, optional
        Fitted reference: required by ``zscore``; for ``gsva`` the frozen kernel reference
        (default: fitted on ``expression`` itself, as R's GSVA does); refused by the others.
    chunk_size : int, optional
        Samples scored at once (default: about 32 MiB of input per chunk).
    min_genes : int, default 1000
        Fewest genes accepted by the rank-based methods.
    nan_policy : {"raise", "drop_genes"}
        What to do with missing values (see module notes).
    n_jobs : int, default 1
        Threads scoring chunks in parallel (memory grows with it).
    **options
        Method options: ``alpha`` (ssgsea, default 0.25); ``center`` (default True),
        ``known_direction`` (default True), ``dispersion`` (default False) for singscore.

    Returns
    -------
    pandas.DataFrame or tuple of pandas.DataFrame
        Samples x signatures (float64; ``attrs`` hold ``method``, ``n_genes_used``,
        ``empty_signatures``, ``n_genes_dropped_nan``). With singscore ``dispersion=True``,
        a ``(scores, dispersions)`` pair.
    """
    if method == "gsva" and reference is None:
        check_expression_frame(expression)
        reference = GSVAReference().fit(expression)  # R GSVA: the cohort is its own reference
    scorer = _Scorer(signatures, method, reference, min_genes, options)
    return _run(scorer, expression, chunk_size=chunk_size, nan_policy=nan_policy, n_jobs=n_jobs)


def _run(scorer: _Scorer, expression: pd.DataFrame, *, chunk_size: int | None,
         nan_policy: str = "raise", n_jobs: int = 1, cache: dict | None = None):
    """Score one expression frame; ``cache`` carries the plan between stream chunks."""
    check_expression_frame(expression)
    if nan_policy not in NAN_POLICIES:
        raise InputError(f"nan_policy must be one of {', '.join(NAN_POLICIES)}; got "
                         f"{nan_policy!r}.")
    if not isinstance(n_jobs, int) or n_jobs < 1:
        raise InputError(f"n_jobs must be a positive integer; got {n_jobs!r}.")
    values = expression.to_numpy(copy=False)
    if values.dtype not in (np.float32, np.float64):  # float32 is kept: widening is exact
        values = values.astype(np.float64)
    n_samples, n_genes = values.shape
    step = chunk_size if chunk_size is not None else auto_chunk_size(n_genes)
    if not isinstance(step, int | np.integer) or step < 1:
        raise InputError(f"chunk_size must be a positive integer; got {chunk_size!r}.")
    starts = range(0, n_samples, step)

    columns = expression.columns
    keep = None
    if nan_policy == "drop_genes":
        has_nan = np.zeros(n_genes, dtype=bool)
        for i in starts:
            has_nan |= np.isnan(values[i:i + step]).any(axis=0)
        if has_nan.any():
            keep = np.flatnonzero(~has_nan)
            columns = columns[keep]
            warnings.warn(
                f"dropped {int(has_nan.sum())} of {n_genes} genes with missing values before "
                f"scoring ({', '.join(map(str, expression.columns[has_nan][:5]))}"
                f"{' ...' if has_nan.sum() > 5 else ''}).",
                DroppedGenesWarning, stacklevel=3,
            )
    if cache is not None and cache.get("columns") is not None and columns.equals(
            cache["columns"]):
        plan = cache["plan"]
    else:
        plan = scorer.plan(columns)
        if cache is None or cache.get("columns") is None:
            _warn_empty(plan, len(columns))
        if cache is not None:
            cache.update(columns=columns, plan=plan)

    def one(i: int):
        x = values[i:i + step]
        x = x if keep is None else x[:, keep]
        if not np.isfinite(x).all():
            r, c, v = _first_bad_cell(x)
            what = "a missing value (NaN)" if np.isnan(v) else f"an infinite value ({v})"
            hint = ("impute or drop it, or pass nan_policy='drop_genes' to drop every gene "
                    "with a missing value") if np.isnan(v) else (
                    "expression must be finite (log of 0? use log2(x + 1))")
            raise InputError(
                f"expression has {what} at sample {expression.index[i + r]!r}, gene "
                f"{columns[c]!r}; {hint}."
            )
        return scorer.kernel(x, plan)

    if n_jobs == 1 or len(starts) < 2:
        parts = [one(i) for i in starts]
    else:
        with ThreadPoolExecutor(max_workers=n_jobs) as pool:
            parts = list(pool.map(one, starts))
    extra = {"n_genes_dropped_nan": n_genes - len(columns)}
    dispersion = scorer.method == "singscore" and scorer.options["dispersion"]
    k = len(scorer.names)

    def stack(j: int) -> np.ndarray:
        blocks = [p[j] if dispersion else p for p in parts]
        return np.vstack(blocks) if blocks else np.empty((0, k))

    scores = scorer.frame(stack(0), expression.index, plan, extra)
    if dispersion:
        return scores, scorer.frame(stack(1), expression.index, plan, extra)
    return scores


def score_chunks(
    chunks: Iterable[pd.DataFrame],
    signatures: Signatures,
    method: str = "ssgsea",
    *,
    reference: ZScoreReference | None = None,
    chunk_size: int | None = None,
    min_genes: int = DEFAULT_MIN_GENES,
    **options,
) -> Iterator[pd.DataFrame]:
    """Score a stream of expression chunks, yielding one score table per chunk.

    Memory stays bounded by the largest chunk. The signature-to-column mapping is rebuilt
    only when a chunk's gene columns differ from the previous chunk's. Missing values raise
    (per-chunk gene dropping would make scores depend on chunking). ``dispersion`` is not
    available here.

    Parameters
    ----------
    chunks : iterable of pandas.DataFrame
        Samples x genes blocks (e.g. read from a file in pieces).
    signatures, method, reference, chunk_size, min_genes, **options
        As for :func:`score_signatures`.

    Yields
    ------
    pandas.DataFrame
        Samples x signatures of each chunk.
    """
    if options.get("dispersion"):
        raise InputError("score_chunks yields scores only; call score_signatures for "
                         "singscore dispersions.")
    scorer = _Scorer(signatures, method, reference, min_genes, options)  # fail early

    def stream() -> Iterator[pd.DataFrame]:
        cache: dict = {}
        for chunk in chunks:
            scores = _run(scorer, chunk, chunk_size=chunk_size, cache=cache)
            del chunk  # let the caller's next chunk replace this one in memory
            yield scores

    return stream()
