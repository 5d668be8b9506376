"""What is scored: a cohort, an expression file (streamed) or a feature table, checked up front.

Every check against the model happens before the first chunk is scored, so a mismatch leaves no
output behind: genes (coverage of each TME feature the model uses), orientation (a genes x
samples file where samples x genes was stated, or the reverse), clinical covariates and, for
models trained on feature tables, the feature columns.

Streamed expression files are prepared per sample only, so a sample's score does not depend on
the other samples of its chunk: gene identifiers are harmonised once (a symbol present more
than once with different values over the first rows follows ``--duplicates``: an error, the
mean of its copies per sample, or the copy of highest variance over the first rows), the scale
is detected once on the first rows and, for linear scales, each sample is brought to log2 on
its own (CPM for counts). Gene names Excel turned into dates and infinite values are refused;
samples with all values missing, zero or equal cannot be scored (with ``--keep-going`` they
are listed as failed). Missing
cells stay missing: that gene counts as absent for that sample (the whole-file loader of
:mod:`tmeprog.cohorts` instead fills them with the gene's cohort median).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from tmeprog.cohorts import load_cohort
from tmeprog.cohorts.download import sniff_cohort_file
from tmeprog.cohorts.expression_sanity import (
    apply_groups,
    check_expression,
    check_gene_names,
    check_rule,
    check_values,
    duplicate_groups,
    same_columns,
)
from tmeprog.cohorts.gene_map import resolve_identifiers
from tmeprog.cohorts.genes import harmonise_genes
from tmeprog.cohorts.id_matching import check_clinical_rows
from tmeprog.cohorts.model import coerce_clinical
from tmeprog.cohorts.sanity import ALLOW_FLAG
from tmeprog.cohorts.scale import resolve_scale, to_log2
from tmeprog.cohorts.user_clinical import index_by_id, map_clinical, read_clinical_table
from tmeprog.cohorts.userfiles import load_user_cohort
from tmeprog.errors import InputError
from tmeprog.scoring.coverage import CoverageModel
from tmeprog.scoring.layout import HEAD_ROWS, file_fingerprint, inspect_table
from tmeprog.scoring.reader import ExpressionReader, ParquetRows, open_reader
from tmeprog.scoring.slices import whole_group_chunk_size
from tmeprog.serving.scorer import Scorer
from tmeprog.tables.chunks import Chunk, chunk_bounds
from tmeprog.tables.orientation import check_orientation, label_sample, orientation_name
from tmeprog.tables.sniff import parquet_parts, table_kind
from tmeprog.tables.whole import check_unique

LOG_SCALES = ("log2", "log2_ratio")


@dataclass
class Preparer:
    """Turns a chunk's payload into the served model's input frame; shipped to workers once.

    ``symbols is None``: the payload already is the input frame (in-memory cohorts).
    Otherwise the payload is an array of the read gene columns (``read_genes``), checked for
    infinite values and unusable samples (:mod:`~tmeprog.cohorts.expression_sanity`);
    ``take`` picks the model's genes (in canonical sorted order) after the scale transform,
    or ``members`` lists, per model gene, the read columns to average (duplicated genes under
    ``--duplicates mean``).
    """

    symbols: pd.Index | None = None
    take: np.ndarray | None = None
    scale: str = "log2"
    clinical: pd.DataFrame | None = None
    members: list[np.ndarray] | None = None
    read_genes: pd.Index | None = None
    where: str = "input"
    watch: dict[str, np.ndarray] | None = None  # copies identical over the first rows

    def _copies_still_identical(self, ids, values: np.ndarray) -> None:
        """Refuse a chunk where copies of a gene, identical over the file's first rows,
        differ: the duplicates rule was decided on those rows."""
        for gene, cols in self.watch.items():
            if not same_columns(np.asarray(values[:, cols], dtype=float)):
                raise InputError(
                    f"{self.where}: the copies of gene {gene} are identical over the first "
                    f"rows but differ in the samples from {list(ids)[0]!r} on; pass "
                    "--duplicates mean (average the copies) or remove the copies")

    def frame(self, ids: pd.Index, payload) -> pd.DataFrame:
        """The model-input frame of one chunk (typed as ``model_input`` types it)."""
        if self.symbols is None:
            return payload
        expr, clin = self.parts(ids, payload)
        return expr if not len(clin.columns) else pd.concat([expr, clin], axis=1)

    def parts(self, ids: pd.Index, payload) -> tuple[pd.DataFrame, pd.DataFrame]:
        """:meth:`frame` as its expression and clinical parts (see ``Scorer.split``).

        Expression stays float32 when read as float32 (every score widens it exactly).
        """
        if self.symbols is None:
            return Scorer.split(payload)
        from tmeprog.tracking.pyfunc import model_input  # heavy (mlflow): loaded on use

        values = np.asarray(payload)
        if values.dtype not in (np.float32, np.float64):
            values = values.astype(np.float64)
        if self.read_genes is not None:
            check_expression(values, self.read_genes, ids, self.where)
        if self.scale not in LOG_SCALES:
            values = to_log2(pd.DataFrame(values, dtype=np.float64), self.scale)[0].to_numpy()
        idx = pd.Index(ids, name="sample_id")
        identity = len(self.take) == values.shape[1] and \
            np.array_equal(self.take, np.arange(len(self.take)))
        if self.watch:
            self._copies_still_identical(ids, values)
        if self.members is not None:
            values = apply_groups(values, self.members)
        elif not identity:
            # a column gather for column-major chunks, np.take (3-4x faster) for row-major
            values = values[:, self.take] if values.flags.f_contiguous else \
                np.take(values, self.take, axis=1)
        expr = pd.DataFrame(values, index=idx, columns=self.symbols, copy=False)
        if self.clinical is None or not len(self.clinical.columns):
            return expr, expr.iloc[:, :0]
        return expr, model_input(None, self.clinical.reindex(idx))


@dataclass
class ScoringInput:
    """A checked input: where its chunks come from and how each becomes a model input."""

    description: str
    fingerprint: dict
    preparer: Preparer
    sample_ids: pd.Index | None
    reader: ExpressionReader | None = None
    select: np.ndarray | None = None
    frame: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def n_samples(self) -> int | None:
        """Number of samples when known before reading (not for streamed text files)."""
        return None if self.sample_ids is None else len(self.sample_ids)

    def chunks(self, size: int, skip: frozenset[int] = frozenset(),
               lazy: bool = False) -> Iterator[Chunk]:
        """``(index, sample ids, payload or None when skipped)`` in input order.

        ``lazy``: the payload of a parquet samples x genes input is a
        :class:`~tmeprog.scoring.slices.ParquetSlice` read by whoever scores the chunk (see
        :meth:`whole_group_size`).
        """
        if self.reader is not None:
            if lazy:
                yield from self.reader.slices(size, self.select, skip)
            else:
                yield from self.reader.chunks(size, self.select, skip)
            return
        ids = self.frame.index
        for idx, a, b in chunk_bounds(len(ids), size):
            yield idx, ids[a:b], None if idx in skip else self.frame.iloc[a:b]


    def whole_group_size(self, wanted: int, cap: int) -> int | None:
        """A chunk size of whole parquet row groups near ``wanted`` (None: not a parquet
        samples x genes input, or row groups of uneven or too large sizes)."""
        if not isinstance(self.reader, ParquetRows):
            return None
        return whole_group_chunk_size(self.reader.group_rows(), wanted, cap)


# ----------------------------------------------------------------------------- helpers


def ids_digest(ids: pd.Index) -> str:
    """SHA-256 of the sample ids in order."""
    return hashlib.sha256("\n".join(map(str, ids)).encode()).hexdigest()


def _gene_likeness(labels: pd.Index) -> tuple[float, float]:
    """(symbol-like, numeric-id-like) fractions of labels recognised as gene identifiers."""
    if len(labels) == 0:
        return 0.0, 0.0
    lab = pd.Index(label_sample(labels)).astype(str)
    kinds = resolve_identifiers(lab)["kind"].to_numpy()
    numeric = np.asarray(lab.str.fullmatch(r"\d+"), dtype=bool)
    weight = np.select([np.isin(kinds, ["symbol", "ensembl"]),
                        np.isin(kinds, ["alias", "ambiguous", "entrez"])], [1.0, 0.5], 0.0)
    return float((weight * ~numeric).mean()), float((weight * numeric).mean())


def _eg(labels) -> str:
    return ", ".join(map(str, list(labels[:3])))


def choose_orientation(layout, stated: str) -> bool:
    """True when genes are on the rows. Raises on a stated orientation the labels contradict."""
    check_orientation(stated, "--orientation ")
    top, side = _gene_likeness(layout.top), _gene_likeness(layout.side_head)
    if max(top[0], side[0]) >= 0.2:
        rows, cols = side[0], top[0]
    else:
        rows, cols = side[1], top[1]
    name = layout.path.name
    if max(rows, cols) < 0.2:
        raise InputError(
            f"{name!r}: neither the row labels (e.g. {_eg(layout.side_head)}) nor the column "
            f"labels (e.g. {_eg(layout.top)}) look like gene identifiers; give gene symbols, "
            "Ensembl or Entrez ids"
        )
    detected = rows > cols
    if stated == "auto":
        return detected
    genes_on_rows = stated == "genes_x_samples"
    gene_axis = rows if genes_on_rows else cols
    if detected != genes_on_rows and gene_axis < 0.2:
        found = "genes x samples" if detected else "samples x genes"
        g_lab, s_lab = ((layout.side_head, layout.top) if detected
                        else (layout.top, layout.side_head))
        raise InputError(
            f"{name!r} looks like {found}, not {stated.replace('_x_', ' x ')}: its "
            f"{'row' if detected else 'column'} labels look like gene identifiers (e.g. "
            f"{_eg(g_lab)}) and its {'column' if detected else 'row'} labels like sample ids "
            f"(e.g. {_eg(s_lab)}); pass --orientation {found.replace(' x ', '_x_')} (or auto),"
            " or transpose the file"
        )
    return genes_on_rows


def gene_plan(genes: pd.Index, head: np.ndarray, duplicates: str = "error",
              where: str = "input"
              ) -> tuple[pd.Index, list[np.ndarray], str | None, dict[str, np.ndarray]]:
    """Harmonised symbols of a file's gene columns and the columns each comes from.

    The same rules as the whole-file loader (:func:`~tmeprog.cohorts.genes.harmonise_genes`,
    then :func:`~tmeprog.cohorts.expression_sanity.duplicate_groups`), decided once on
    ``head`` (the first rows): copies of a symbol that differ there follow ``duplicates``.

    Copies identical over ``head`` are one gene only as long as they stay identical: under
    ``mean`` all of them are averaged (which is the value while they agree), otherwise they
    are returned in ``watch`` for :class:`Preparer` to check in every chunk.

    Returns
    -------
    (symbols, members, note, watch)
        Unique symbols; per symbol the file columns to average (usually one); a report line
        on duplicated symbols, or None; symbol -> all its file columns, for copies identical
        over ``head`` that must stay identical.
    """
    labels = pd.Index(genes.astype(str))
    pos_frame = pd.DataFrame(-np.arange(len(labels), dtype=float)[None, :], columns=labels)
    by_pos, _ = harmonise_genes(pos_frame, duplicates="keep")
    source = (-by_pos.to_numpy()[0]).astype(np.int64)
    names = pd.Index(by_pos.columns.astype(str))
    symbols, members, note = duplicate_groups(names, np.asarray(head)[:, source], duplicates,
                                              where)
    full = {sym: np.flatnonzero(names == sym) for sym in names[names.duplicated()].unique()}
    watch: dict[str, np.ndarray] = {}
    for k, sym in enumerate(symbols):
        if sym in full and len(members[k]) == 1:
            head_same = duplicates != "max-variance" or same_columns(
                np.asarray(head)[:, source[full[sym]]])
            if not head_same:
                continue  # max-variance chose one of copies that differ: the rule applies
            if duplicates == "mean":
                members[k] = full[sym]
            else:
                watch[sym] = source[full[sym]]
    return symbols, [source[m] for m in members], note, watch


def read_clinical(path: str | Path, ids: pd.Index, where: str,
                  allow_missing: bool = False) -> tuple[pd.DataFrame, list[str]]:
    """A clinical table mapped to the vocabulary, indexed by sample id, and notes on what was
    set missing (samples without a row, unreadable cells; only with ``allow_missing``).

    The id column is the one matching most of ``ids``; every id of ``ids`` needs a row unless
    ``allow_missing`` (see :func:`~tmeprog.cohorts.id_matching.check_clinical_rows`).
    """
    name = Path(path).name
    wanted = pd.Index(ids.astype(str)).unique()
    out, col = index_by_id(read_clinical_table(path), f"clinical file {name!r}", wanted, None)
    note = check_clinical_rows(wanted, out.index, f"clinical file {name!r}", where,
                               allow_missing, col)
    clin, _, _, _, rep = map_clinical(out, name, allow_missing)
    clin = coerce_clinical(clin) if len(clin.columns) else pd.DataFrame(index=out.index)
    return clin, [n for n in [note, *rep] if n and ALLOW_FLAG in n]


def _clinical_part(scorer: Scorer, clin: pd.DataFrame | None) -> pd.DataFrame | None:
    from tmeprog.tracking.pyfunc import clinical_inputs  # heavy (mlflow): loaded on use

    if clin is None or not scorer.clinical_columns:
        return None
    cols = [c for c in clinical_inputs(scorer) if c in clin.columns]
    return clin[cols]


# ----------------------------------------------------------------------------- opening


def open_input(scorer: Scorer, source: str, clinical: str | None = None,
               scale: str | None = None, orientation: str = "auto",
               allow_missing_covariates: bool = False,
               duplicates: str = "error") -> ScoringInput:
    """Check ``source`` against ``scorer`` and plan how to read it.

    Parameters
    ----------
    scorer : Scorer
        The served model's scorer.
    source : str
        A cohort name, an expression file (streamed when ``.parquet``/``.tsv``/``.csv``/
        ``.txt``[``.gz``]), a feature table, or any cohort file :func:`load_cohort` reads.
    clinical : str, optional
        Clinical table of an expression file (sample id + vocabulary columns).
    scale, orientation : str
        As for the cohort loader; detected when omitted / ``"auto"``.
    allow_missing_covariates : bool
        Score samples without a clinical row (and with unreadable clinical cells), their
        covariates imputed; otherwise every sample needs a readable row.
    duplicates : {"error", "mean", "max-variance"}
        Rule for genes present more than once with different values.

    Raises
    ------
    InputError
        Anything that would make scoring fail for every sample (see module notes).
    """
    cov = CoverageModel.of(scorer)
    p = Path(source)
    if p.exists() and cov is not None and (parquet_parts(p) or table_kind(p) == "matrix"
                                           or p.is_file() and table_kind(p) is not None
                                           and not _public_format(p)):
        return _open_stream(scorer, cov, p, clinical, scale, orientation,
                            allow_missing_covariates, duplicates)
    return _open_whole(scorer, cov, source, clinical, scale, orientation,
                       allow_missing_covariates, duplicates)


def _public_format(p: Path) -> bool:
    try:
        return sniff_cohort_file(p) is not None
    except Exception:
        return False


def _open_stream(scorer, cov: CoverageModel, path: Path, clinical, scale,
                 orientation, allow_missing=False, duplicates="error") -> ScoringInput:
    layout = inspect_table(path)
    genes_on_rows = choose_orientation(layout, orientation)
    reader = open_reader(layout, genes_on_rows)
    where = repr(path.name)
    check_gene_names(reader.genes, where)
    if reader.sample_ids is not None:
        check_unique(reader.sample_ids, where)
    head_ids, head = reader.head(HEAD_ROWS)
    check_values(head, reader.genes, head_ids, where)
    symbols, members, dup_note, watch = gene_plan(reader.genes, head, duplicates, where)
    notes = [dup_note] if dup_note else []
    if genes_on_rows:
        notes.append(f"{path.name}: genes x samples"
                     + (" (read column by column)" if reader.streams else " (read whole)"))
    sc = resolve_scale(pd.DataFrame(head, columns=reader.genes), scale)
    notes.append(f"expression scale {sc.scale} ({sc.reason})")
    universe = cov.universe
    use = [k for k, s in enumerate(symbols) if s in universe]
    order = sorted(use, key=lambda k: symbols[k])
    model_genes = pd.Index([symbols[k] for k in order])
    notes += [f"partial gene coverage: {n}" for n in cov.audit(model_genes, repr(path.name))]
    chosen = [members[k] for k in order]
    watch = {g: cols for g, cols in watch.items() if g in set(model_genes)}
    if sc.scale in LOG_SCALES:
        needed = [int(c) for m in chosen for c in m] + [int(c) for v in watch.values()
                                                       for c in v]
        select = np.array(list(dict.fromkeys(needed)), dtype=np.int64)
        pos = {int(c): i for i, c in enumerate(select)}
        chosen = [np.array([pos[int(c)] for c in m], dtype=np.int64) for m in chosen]
        watch = {g: np.array([pos[int(c)] for c in v], dtype=np.int64)
                 for g, v in watch.items()}
    else:  # library sizes and log transforms need every column
        select = np.arange(len(reader.genes))
    take = np.array([m[0] for m in chosen], dtype=np.int64)
    clin = None
    if scorer.clinical_columns:
        if clinical is None:
            scorer.check_covariates([], f"{path.name!r} (no --clinical table)")
        ids = reader.sample_ids if reader.sample_ids is not None else reader.scan_ids()
        clin, more = read_clinical(clinical, ids, repr(path.name), allow_missing)
        scorer.check_covariates(clin.columns, f"clinical file {Path(clinical).name!r}")
        notes += more
    fp = {"input": file_fingerprint(path), "orientation": orientation_name(genes_on_rows),
          "scale": sc.scale,
          "clinical": file_fingerprint(Path(clinical)) if clinical else None,
          "duplicates": duplicates}
    prep = Preparer(symbols=model_genes, take=take, scale=sc.scale,
                    clinical=_clinical_part(scorer, clin),
                    members=chosen if any(len(m) > 1 for m in chosen) else None,
                    read_genes=pd.Index(reader.genes[select]), where=where,
                    watch=watch or None)
    return ScoringInput(description=str(path), fingerprint=fp, preparer=prep,
                        sample_ids=reader.sample_ids, reader=reader, select=select,
                        notes=notes)


def _load_whole(scorer, source: str, clinical, scale, orientation, allow_missing=False,
                duplicates="error"):
    check_rule(duplicates)
    p = Path(source)
    opts = {k: v for k, v in {"clinical": clinical, "scale": scale}.items() if v is not None}
    if orientation != "auto":
        opts["orientation"] = orientation
    if not p.exists():
        if opts:
            raise InputError(f"--clinical, --scale and --orientation apply to files; cohort "
                             f"{source!r} brings its own clinical table")
        return load_cohort(source)
    if not opts and (loader := sniff_cohort_file(p)) is not None:
        return loader(p)
    if allow_missing:
        opts["allow_missing_covariates"] = True
    if scorer.extractor is None and scorer.feature_columns:
        opts.pop("scale", None)
        return load_user_cohort(p, kind="features", **opts)
    if duplicates != "error":
        opts["duplicates"] = duplicates
    return load_cohort(p, **opts)


def _open_whole(scorer, cov, source: str, clinical, scale, orientation,
                allow_missing=False, duplicates="error") -> ScoringInput:
    from tmeprog.tracking.pyfunc import model_input  # heavy (mlflow): loaded on use

    cohort = _load_whole(scorer, source, clinical, scale, orientation, allow_missing,
                         duplicates)
    where = f"cohort {cohort.name!r}"
    notes = [line for line in cohort.report if ALLOW_FLAG in line]
    expr = feats = None
    if cov is not None:
        expr, audit = cov.model_genes(cohort, where)
        notes += audit
    elif scorer.feature_columns:
        have = cohort.features.columns if cohort.features is not None else pd.Index([])
        absent = [c for c in scorer.feature_columns if c not in have]
        if absent:
            raise InputError(
                f"{where} lacks {len(absent)} of the {len(scorer.feature_columns)} feature "
                f"columns the model was trained on (e.g. {', '.join(absent[:5])}); give a "
                "feature table with the training features"
            )
        feats = cohort.features[list(scorer.feature_columns)]
    clin = cohort.clinical if cohort.clinical is not None else pd.DataFrame(index=cohort.samples)
    if scorer.clinical_columns:
        scorer.check_covariates(clin.columns, where)
    part = _clinical_part(scorer, clin)
    if expr is None and feats is None and part is None:
        raise InputError(f"{where}: nothing to score the model on")
    frame = model_input(expr, part, feats)
    check_unique(frame.index, where)
    fp = {"cohort": cohort.name, "n_samples": len(frame), "ids_sha256": ids_digest(frame.index)}
    if Path(source).exists():
        fp["input"] = file_fingerprint(Path(source))
        fp["clinical"] = file_fingerprint(Path(clinical)) if clinical else None
    return ScoringInput(description=where, fingerprint=fp, preparer=Preparer(),
                        sample_ids=frame.index, frame=frame, notes=notes)
