"""Expression sanity: checks shared by the whole-file loader and the streamed scoring reader.

* gene names that Excel turned into dates (``1-Mar``, ``2-Sep``, ``2019-03-01`` ...);
* duplicated gene symbols (after harmonisation) with different values: an explicit rule,
  ``error`` (default), ``mean`` (average the copies, sample by sample) or ``max-variance``
  (keep the copy of highest variance over samples); identical copies are dropped;
* infinite or absurd values (``|x| > 1e30``), named by gene and sample;
* samples whose values are all missing, all zero or constant (a blank or failed array).

Damaged text files (truncated ``.gz`` streams, ragged rows) are named by
:mod:`tmeprog.tables.damage`.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from tmeprog.errors import InputError

DUPLICATE_RULES = ("error", "mean", "max-variance")
DUPLICATES_FLAG = "--duplicates"
MAX_ABS = 1e30
N_SHOWN = 5

_MONTHS = ("jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
           "|mrz|mai|okt|dez|janv|fevr|mars|avr|juin|juil|aout|déc")
_EXCEL_DATE = re.compile(
    rf"^(?:\d{{1,2}}-(?:{_MONTHS})(?:-\d{{2,4}})?"          # 1-Mar, 2-Sep-19
    rf"|(?:{_MONTHS})-\d{{2}}"                              # Mar-01 (month-year)
    r"|\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"  # 2019-03-01 [00:00:00]
    r"|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}(?: \d{1,2}:\d{2}(?::\d{2})?)?"  # 3/1/2019, 01.03.2019
    r")$",
    re.IGNORECASE,
)


class UnusableSamplesError(InputError):
    """Samples whose expression is all missing, all zero or constant; ``rows`` holds the
    reason per sample id."""

    def __init__(self, message: str, rows: pd.Series):
        super().__init__(message)
        self.rows = rows


def _shown(values) -> str:
    values = list(map(str, values))
    more = f" ... ({len(values)} in all)" if len(values) > N_SHOWN else ""
    return ", ".join(values[:N_SHOWN]) + more


# ----------------------------------------------------------------------------- gene names


def is_excel_date(label: str) -> bool:
    """Whether a gene label looks like a date Excel made of a symbol (``1-Mar``, ``Sep-02``,
    ``2019-03-01``, ``3/1/2019``)."""
    return bool(_EXCEL_DATE.match(str(label).strip()))


def check_gene_names(labels, where: str) -> None:
    """Refuse gene labels that Excel turned into dates.

    Raises
    ------
    InputError
        Naming every such label (first few and the count) and how to export them as text.
    """
    bad = [str(x) for x in labels if is_excel_date(x)]
    if bad:
        raise InputError(
            f"{where}: {len(bad)} gene name(s) look like dates made by Excel from gene symbols "
            f"({_shown(repr(b) for b in bad)}; e.g. MARCHF1 -> '1-Mar', SEPTIN2 -> '2-Sep'); "
            "export the table again with the gene column formatted as text (or read it "
            "without date conversion)")


# ----------------------------------------------------------------------------- duplicates


def check_rule(rule: str) -> str:
    """Return ``rule`` if it is a duplicate rule, else raise :class:`InputError`."""
    if rule not in DUPLICATE_RULES:
        raise InputError(f"{DUPLICATES_FLAG} {rule!r}; use one of {', '.join(DUPLICATE_RULES)}")
    return rule


def same_columns(block: np.ndarray) -> bool:
    """Whether every column of ``block`` equals its first (missing cells included)."""
    first = block[:, :1]
    return bool(((block == first) | (np.isnan(block) & np.isnan(first))).all())


def _nanmean(block: np.ndarray) -> np.ndarray:
    """Row means over the columns of ``block``, ignoring missing cells (NaN if all are)."""
    ok = ~np.isnan(block)
    n = ok.sum(axis=1)
    s = np.where(ok, block, 0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, s / np.maximum(n, 1), np.nan).astype(block.dtype, copy=False)


def _variance(block: np.ndarray) -> np.ndarray:
    """Variance over rows of each column, ignoring missing cells (-inf when undefined)."""
    ok = ~np.isnan(block)
    n = ok.sum(axis=0)
    mean = np.where(ok, block, 0).sum(axis=0) / np.maximum(n, 1)
    var = (np.where(ok, block - mean, 0) ** 2).sum(axis=0) / np.maximum(n, 1)
    return np.where(n > 0, var, -np.inf)


def duplicate_groups(symbols: pd.Index, values: np.ndarray, rule: str, where: str
                     ) -> tuple[pd.Index, list[np.ndarray], str | None]:
    """Decide, per symbol, which columns of ``values`` give its values.

    Parameters
    ----------
    symbols : pandas.Index
        Harmonised symbol of each column of ``values`` (possibly repeated).
    values : numpy.ndarray
        Samples x columns (all samples, or the first rows of a streamed file).
    rule : {"error", "mean", "max-variance"}
        What to do with copies of a symbol whose values differ.
    where : str
        The file, for messages.

    Returns
    -------
    (symbols, members, note)
        Unique symbols in order of first appearance; per symbol the columns to average (one
        column: take it as is); a report line when copies were found, else None.

    Raises
    ------
    InputError
        Copies with different values under ``rule="error"``, naming the genes and the flag.
    """
    check_rule(rule)
    codes, uniques = pd.factorize(pd.Index(symbols))
    members = [np.empty(0, dtype=np.int64)] * len(uniques)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    for grp in np.split(order, bounds):
        members[codes[grp[0]]] = grp
    dup = [k for k, m in enumerate(members) if len(m) > 1]
    if not dup:
        return pd.Index(uniques), members, None
    values = np.asarray(values, dtype=float)
    differ = [k for k in dup if not same_columns(values[:, members[k]])]
    for k in dup:
        if k not in differ:
            members[k] = members[k][:1]
    if differ and rule == "error":
        named = [f"{uniques[k]} ({len(members[k])} copies)" for k in differ]
        raise InputError(
            f"{where}: {len(differ)} gene(s) appear more than once with different values after "
            f"harmonising identifiers ({_shown(named)}); choose a rule: {DUPLICATES_FLAG} mean "
            f"(average the copies) or {DUPLICATES_FLAG} max-variance (keep the copy of highest "
            "variance), or remove the copies")
    if rule == "max-variance":
        for k in differ:
            var = _variance(values[:, members[k]])
            members[k] = members[k][[int(np.argmax(var))]]
    how = {"error": "", "mean": "averaged", "max-variance": "highest-variance copy kept"}[rule]
    note = (f"genes: {len(dup)} duplicated symbols ({_shown(uniques[k] for k in dup)}): "
            f"{len(dup) - len(differ)} with identical copies (one kept)"
            + (f", {len(differ)} with different values ({how}; {DUPLICATES_FLAG} {rule})"
               if differ else ""))
    return pd.Index(uniques), members, note


def apply_groups(values: np.ndarray, members: list[np.ndarray]) -> np.ndarray:
    """Samples x symbols from samples x columns: each symbol's column, or its copies' mean."""
    firsts = np.fromiter((m[0] for m in members), dtype=np.int64, count=len(members))
    out = values[:, firsts]
    for k, m in enumerate(members):
        if len(m) > 1:
            out[:, k] = _nanmean(values[:, m])
    return out


def collapse_duplicates(frame: pd.DataFrame, rule: str, where: str
                        ) -> tuple[pd.DataFrame, str | None]:
    """A samples x genes frame with unique gene columns, by :func:`duplicate_groups`."""
    if not frame.columns.has_duplicates:
        return frame, None
    values = frame.to_numpy(dtype=float)
    symbols, members, note = duplicate_groups(frame.columns, values, rule, where)
    out = pd.DataFrame(apply_groups(values, members), index=frame.index,
                       columns=pd.Index(symbols, name=frame.columns.name))
    return out, note


# ----------------------------------------------------------------------------- values


def row_range(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of a 2-D array, the smallest and largest non-missing value (NaN for a row
    with none); one pass each, in the array's own float type."""
    v = np.asarray(values)
    if v.dtype.kind != "f":
        v = v.astype(float)
    if v.shape[1] == 0:
        nan = np.full(v.shape[0], np.nan)
        return nan, nan
    return np.fmin.reduce(v, axis=1), np.fmax.reduce(v, axis=1)


def check_values(values: np.ndarray, genes, samples, where: str, bounds=None) -> None:
    """Refuse infinite values and values beyond ``|x| > 1e30`` (a broken export or unit).

    ``values`` is samples x genes; ``genes`` and ``samples`` label its columns and rows;
    ``bounds`` is its :func:`row_range` when already computed.

    Raises
    ------
    InputError
        Naming the file, the first such cell's gene and sample, and the count.
    """
    v = np.asarray(values)
    lo, hi = row_range(v) if bounds is None else bounds
    if not ((hi > MAX_ABS) | (lo < -MAX_ABS)).any():
        return
    with np.errstate(invalid="ignore"):
        bad = ~np.isnan(v) & ~(np.abs(v) <= MAX_ABS)
    i, j = (int(x[0]) for x in np.nonzero(bad))
    raise InputError(
        f"{where}: {int(bad.sum())} expression value(s) are infinite or beyond 1e30 in "
        f"magnitude, e.g. {float(v[i, j])!r} for gene {str(genes[j])!r}, "
        f"sample {str(samples[i])!r}; "
        "fix the export (expression values are finite numbers)")


def degenerate_samples(values: np.ndarray, samples, bounds=None) -> pd.Series:
    """Samples that cannot carry a score: all values missing, all zero, or all equal
    (``bounds``: the :func:`row_range` of ``values`` when already computed).

    Returns
    -------
    pandas.Series
        Reason per such sample (indexed by sample id); empty when there are none.
    """
    lo, hi = row_range(values) if bounds is None else bounds
    empty = np.isnan(hi)
    reasons = []
    for k in np.flatnonzero(empty | (hi == lo)):
        if empty[k]:
            reasons.append((samples[k], "no expression values (every cell is empty)"))
        elif hi[k] == 0:
            reasons.append((samples[k], "every expression value is 0 (a blank array?)"))
        else:
            reasons.append((samples[k], f"every expression value is {hi[k]:g} (constant)"))
    return pd.Series([r for _, r in reasons], index=pd.Index([s for s, _ in reasons],
                                                             name="sample_id"), dtype=object)


def check_samples(values: np.ndarray, samples, where: str, bounds=None) -> None:
    """Refuse samples that are all missing, all zero or constant (see
    :func:`degenerate_samples`).

    Raises
    ------
    UnusableSamplesError
        Naming the samples (first few and the count) and why.
    """
    bad = degenerate_samples(values, samples, bounds)
    if len(bad):
        named = [f"{i}: {r}" for i, r in bad.items()]
        raise UnusableSamplesError(
            f"{where}: {len(bad)} sample(s) hold no usable expression ({_shown(named)}); "
            "remove them (a blank or failed array scores as a plausible but meaningless value)",
            bad)


def check_expression(values: np.ndarray, genes, samples, where: str) -> None:
    """:func:`check_values` then :func:`check_samples`, from one :func:`row_range` pass."""
    bounds = row_range(values)
    check_values(values, genes, samples, where, bounds)
    check_samples(values, samples, where, bounds)
