"""Clinical tables of a user's files: read as text cells, their columns mapped to the vocabulary
of :mod:`tmeprog.cohorts.vocabulary` by common spellings, joined to the samples on sample id."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from tmeprog.cohorts.id_matching import check_clinical_rows
from tmeprog.cohorts.model import EndpointInfo, coerce_clinical
from tmeprog.cohorts.sanity import (
    RANGES,
    check_parsed,
    check_range,
    check_time_scale,
    strict_binary,
)
from tmeprog.cohorts.vocabulary import (
    BINARY_COLUMNS,
    CLINICAL_SYNONYMS,
    DAYS_PER_MONTH,
    ENDPOINT_ALIASES,
    EVENT_FALSE_WORDS,
    EVENT_PATTERNS,
    EVENT_TRUE_WORDS,
    FALSE_WORDS,
    NUMERIC_COLUMNS,
    PAM50_SPELLINGS,
    PCR_NAMES,
    SIZE_CM,
    SUBTYPE_SPELLINGS,
    TIME_PATTERNS,
    TRUE_WORDS,
    hormone_receptor,
    normalise_column_name,
    receptor_subtype,
)
from tmeprog.errors import InputError
from tmeprog.tables.sniff import check_file
from tmeprog.tables.whole import check_unique, read_text_cells


def read_clinical_table(path: str | Path) -> pd.DataFrame:
    """Read a clinical table as strings, indexed by row number.

    Leading ``#`` lines (cBioPortal's header block) are skipped; CR, LF and CRLF line endings,
    tab, ``;`` and ``,`` separators are recognised; missing-value spellings become NA.
    """
    path = Path(path)
    check_file(path, "clinical")
    return read_text_cells(path, "clinical")


# ----------------------------------------------------------------------------- clinical values


def _parse_binary(s: pd.Series, her2: bool = False) -> pd.Series:
    low = s.astype("string").str.strip().str.lower()
    out = pd.Series(pd.NA, index=s.index, dtype="Int64")
    out[low.isin(TRUE_WORDS).fillna(False)] = 1
    out[low.isin(FALSE_WORDS).fillna(False)] = 0
    out[low.str.startswith("pos").fillna(False)] = 1
    out[low.str.startswith("neg").fillna(False)] = 0
    num = pd.to_numeric(low, errors="coerce")
    out[(num == 1).fillna(False)] = 1
    out[(num == 0).fillna(False)] = 0
    out[low.str.match(r"^[a-z0-9]*\s*\+$").fillna(False)] = 1
    out[low.str.match(r"^[a-z0-9]*\s*-$").fillna(False)] = 0
    if her2:  # IHC scores: 3+ positive, 0 / 1+ negative, 2+ equivocal
        out[low.isin(["3+"]).fillna(False)] = 1
        out[low.isin(["0", "1+", "0-1+"]).fillna(False)] = 0
        out[low.isin(["2+", "equivocal"]).fillna(False)] = pd.NA
    return out


def _parse_node_status(s: pd.Series) -> pd.Series:
    out = _parse_binary(s)
    low = s.astype("string").str.strip().str.lower()
    num = pd.to_numeric(low.str.replace(r"^p?n", "", regex=True).str[:1], errors="coerce")
    n_cat = low.str.match(r"^p?n[0-3]").fillna(False)
    out[n_cat & (num > 0).fillna(False)] = 1
    out[n_cat & (num == 0).fillna(False)] = 0
    plain = pd.to_numeric(low, errors="coerce")
    out[(plain > 1).fillna(False)] = 1  # a count of positive nodes
    return out


def _parse_grade(s: pd.Series) -> pd.Series:
    low = s.astype("string").str.strip().str.lower()
    roman = {"i": 1, "ii": 2, "iii": 3}
    core = low.str.replace(r"^(grade|g)\s*", "", regex=True)
    num = pd.to_numeric(core, errors="coerce")
    num = num.fillna(core.map(roman).astype(float))
    return num.where(num.isin([1, 2, 3])).astype("Int64")


def _parse_t_stage(s: pd.Series) -> pd.Series:
    low = s.astype("string").str.strip().str.lower()
    num = pd.to_numeric(low.str.extract(r"^(?:[cpy]*t)?\s*([1-4])", expand=False),
                        errors="coerce")
    return num.astype("Int64")


def _parse_lookup(s: pd.Series, table: dict[str, str]) -> pd.Series:
    low = s.astype("string").str.strip().str.lower()
    return low.map(table).astype("string")


def _parse_menopause(s: pd.Series) -> pd.Series:
    low = s.astype("string").str.strip().str.lower()
    out = pd.Series(pd.NA, index=s.index, dtype="string")
    out[low.str.startswith("pre").fillna(False)] = "pre"
    out[low.str.startswith("post").fillna(False)] = "post"
    return out


def _parse_number(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.astype("string").str.strip(), errors="coerce").astype(float)


def _parse_value(col: str, s: pd.Series) -> pd.Series:
    """Parse column ``col``; each distinct text is parsed once (clinical columns repeat a few
    values over many patients)."""
    if len(s) > 64:
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        if 0 < len(uniques) < len(s) // 4:
            parsed = _parse_distinct(col, pd.Series(uniques, dtype=s.dtype))
            values = parsed.to_numpy()
            out = pd.Series(values[codes], index=s.index, dtype=parsed.dtype)
            na = _parse_distinct(col, pd.Series([pd.NA], dtype=s.dtype)).iloc[0]
            out[codes < 0] = na
            return out
    return _parse_distinct(col, s)


def _parse_distinct(col: str, s: pd.Series) -> pd.Series:
    if col == "node_status":
        return _parse_node_status(s)
    if col in BINARY_COLUMNS:
        return _parse_binary(s, her2=(col == "her2"))
    if col == "grade":
        return _parse_grade(s)
    if col == "t_stage":
        return _parse_t_stage(s)
    if col in NUMERIC_COLUMNS:
        return _parse_number(s)
    if col == "pam50":
        return _parse_lookup(s, PAM50_SPELLINGS)
    if col == "subtype":
        key = s.astype("string").str.lower().str.replace(r"[^a-z0-9+-]", "", regex=True)
        return _parse_lookup(key, SUBTYPE_SPELLINGS)
    if col == "menopause":
        return _parse_menopause(s)
    return s.astype("string")  # arm


def _parse_event(s: pd.Series, where: str) -> pd.Series:
    raw = s.astype("string").str.strip()
    low = raw.str.lower().str.replace(r"^([01])\s*:.*$", r"\1", regex=True)
    num = pd.to_numeric(low, errors="coerce")
    out = pd.Series(np.nan, index=s.index, dtype=float)
    out[(num == 0).fillna(False)] = 0.0
    out[(num == 1).fillna(False)] = 1.0
    out[low.isin(EVENT_TRUE_WORDS).fillna(False)] = 1.0
    out[low.isin(EVENT_FALSE_WORDS).fillna(False)] = 0.0
    bad = raw.notna() & out.isna()
    if bad.any():
        vals = sorted(set(raw[bad].tolist()))[:5]
        raise InputError(
            f"{where}: event values must be 0 or 1 (or a spelling such as "
            f"'1:DECEASED' / 'alive'); found {vals} (e.g. sample {bad.index[bad][0]!r}); "
            "recode the column"
        )
    return out


def _parse_time(s: pd.Series, where: str, divisor: float) -> pd.Series:
    raw = s.astype("string").str.strip()
    t = pd.to_numeric(raw, errors="coerce")
    bad = raw.notna() & t.isna()
    if bad.any():
        i = bad.index[bad][0]
        raise InputError(f"{where}: non-numeric survival time {raw[i]!r} for sample {i!r}; "
                         "times must be numbers (months unless the column says days/years)")
    return t.astype(float) / divisor


def _check_survival(t: pd.Series, e: pd.Series, where: str) -> None:
    bad = t[(t <= 0).fillna(False)]
    if len(bad):
        raise InputError(
            f"{where}: {len(bad)} samples with zero or negative survival time (e.g. "
            f"{bad.index[:3].tolist()}); fix or remove them"
        )
    no_t = e.notna() & t.isna()
    if no_t.any():
        raise InputError(
            f"{where}: {int(no_t.sum())} samples have an event value but no time (e.g. "
            f"{no_t.index[no_t][:3].tolist()}); add the times or remove the events"
        )
    no_e = t.notna() & e.isna()
    if no_e.any():
        raise InputError(
            f"{where}: {int(no_e.sum())} samples have a time but no event value (e.g. "
            f"{no_e.index[no_e][:3].tolist()}); add the events or remove the times"
        )


def map_clinical(
    table: pd.DataFrame, where: str = "clinical table", allow_missing: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, EndpointInfo], list[str], list[str]]:
    """Map a clinical table (indexed by sample id, cells as strings) to the vocabulary.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per sample; columns named in any common spelling (``ER_status``, ``OS_MONTHS``,
        ``os_time``, ``pCR`` ...).
    where : str
        Name of the source, used in messages.
    allow_missing : bool
        Cells that cannot be read become missing (and are reported) instead of an error.

    Returns
    -------
    (clinical, endpoints, endpoint_info, used_columns, report)
        Vocabulary columns (not yet dtype-coerced), endpoint columns (``<name>_time`` in months /
        ``<name>_event``, ``pcr``), what each endpoint is, the source columns used, and report
        lines (columns mapped, values not recognised).

    Raises
    ------
    InputError
        Non-numeric or non-positive survival times, a time without an event (or the reverse),
        times whose distribution says days or years, event / pCR values other than 0 / 1,
        values outside a column's range (:data:`tmeprog.cohorts.sanity.RANGES`), or (unless
        ``allow_missing``) cells that cannot be read.
    """
    norm = {normalise_column_name(c): c for c in reversed(list(table.columns))}
    used: list[str] = []
    report: list[str] = []
    clin = pd.DataFrame(index=table.index)
    mapped: list[str] = []
    for col, names in CLINICAL_SYNONYMS.items():
        src = next((norm[n] for n in names if n in norm and norm[n] not in used), None)
        factor = 1.0
        if src is None and col == "tumor_size_mm":
            src = next((norm[n] for n in SIZE_CM if n in norm), None)
            factor = 10.0
        if src is None:
            continue
        raw = table[src]
        val = _parse_value(col, raw)
        if factor != 1.0:
            val = val * factor
        lost = raw.notna() & val.isna()
        if raw.notna().sum() and lost.all() and col not in RANGES:
            report.append(f"{where}: column {src!r} looks like {col!r} but none of its values "
                          f"were recognised (e.g. {sorted(set(raw.dropna()))[:3]}); ignored")
            continue
        line = check_parsed(raw, val, col, src, where, allow_missing)
        if line:
            report.append(line)
        check_range(val, raw, col, src, where)
        clin[col] = val
        used.append(src)
        mapped.append(f"{src}->{col}" + (" (cm to mm)" if factor != 1.0 else ""))
    if "hr" not in clin and ("er" in clin or "pr" in clin):
        er = clin.get("er", pd.Series(pd.NA, index=clin.index, dtype="Int64"))
        pr = clin.get("pr", pd.Series(pd.NA, index=clin.index, dtype="Int64"))
        clin["hr"] = hormone_receptor(er, pr)
        mapped.append("hr derived (ER or PR positive; negative only when both are)")
    if "subtype" not in clin and {"hr", "her2"} <= set(clin.columns):
        clin["subtype"] = receptor_subtype(clin["hr"], clin["her2"])
        mapped.append("subtype derived from hr and her2")

    ends = pd.DataFrame(index=table.index)
    info: dict[str, EndpointInfo] = {}
    for ep, aliases in ENDPOINT_ALIASES.items():
        found = None
        for a in aliases:
            for pat, div in TIME_PATTERNS.items():
                tname = pat.format(a=a)
                if tname in norm and norm[tname] not in used:
                    ename = next((pat_e.format(a=a) for pat_e in EVENT_PATTERNS
                                  if pat_e.format(a=a) in norm
                                  and norm[pat_e.format(a=a)] not in used
                                  and norm[pat_e.format(a=a)] != norm[tname]), None)
                    if ename is not None:
                        found = (norm[tname], norm[ename], div,
                                 div == 1.0 and not tname.endswith(("_months", "_month")))
                        break
            if found:
                break
        if not found:
            continue
        tcol, ecol, div, assumed = found
        e = _parse_event(table[ecol], f"{where}, column {ecol!r}")
        t = _parse_time(table[tcol], f"{where}, column {tcol!r}", div)
        used += [tcol, ecol]
        if t.notna().sum() == 0 and e.notna().sum() == 0:
            report.append(f"{where}: endpoint {ep} columns {tcol!r}/{ecol!r} are empty; skipped")
            continue
        _check_survival(t, e, f"{where}, {ep} ({tcol!r}, {ecol!r})")
        check_time_scale(t, tcol, ep, assumed, where)
        ends[f"{ep}_time"] = t
        ends[f"{ep}_event"] = e
        unit = {1.0: "months", DAYS_PER_MONTH: "days, divided by 30.4375 to months",
                1 / 12: "years, times 12 to months"}[div]
        info[ep] = EndpointInfo(ep, "survival",
                                f"user file: event {ecol!r}, time {tcol!r} ({unit}"
                                f"{'; unit assumed from the column name' if div == 1.0 else ''})")
        mapped.append(f"{tcol}+{ecol}->{ep}")
    vital = norm.get("vital_status")
    if "dss" not in info and "os" in info and vital is not None and vital not in used:
        v = table[vital].astype("string").str.strip().str.lower()
        dss = pd.Series(np.nan, index=table.index)
        dss[v.str.contains("of disease").fillna(False)] = 1.0
        dss[(v.str.contains("other").fillna(False)) | v.isin(["living", "alive"]).fillna(False)] \
            = 0.0
        keep = dss.notna() & ends["os_time"].notna()
        if keep.any():
            ends["dss_time"] = ends["os_time"].where(keep)
            ends["dss_event"] = dss.where(keep)
            info["dss"] = EndpointInfo(
                "dss", "survival",
                f"user file: death from disease per {vital!r} ('Died of Disease' 1; living or "
                "died of other causes 0), time as for os")
            used.append(vital)
            mapped.append(f"{vital}->dss")
    pcr = next((norm[n] for n in PCR_NAMES if n in norm and norm[n] not in used), None)
    if pcr is not None:
        raw = table[pcr].astype("string").str.strip()
        low = raw.str.lower()
        y = pd.Series(np.nan, index=table.index)
        y[low.isin(["1", "1.0", "yes", "true", "pcr", "y"]).fillna(False)] = 1.0
        y[low.isin(["0", "0.0", "no", "false", "rd", "non-pcr", "no pcr", "n"]).fillna(False)] = 0.0
        strict_binary(raw, y, pcr, where, "or yes/no, pCR/RD")
        if y.notna().any():
            ends["pcr"] = y
            info["pcr"] = EndpointInfo("pcr", "binary", f"user file: column {pcr!r} (1 pCR)")
            used.append(pcr)
            mapped.append(f"{pcr}->pcr")
    if mapped:
        report.append(f"{where}: mapped {', '.join(mapped)}")
    return clin, ends, info, used, report


# ----------------------------------------------------------------------------- joining


def clinical_tables(clinical) -> list[tuple[str, pd.DataFrame]]:
    """``(name, table of text cells)`` of each clinical table given as ``clinical=`` (a path,
    a list of paths or a DataFrame; None: none)."""
    if clinical is None:
        return []
    if isinstance(clinical, pd.DataFrame):
        return [("clinical table", clinical.astype("string"))]
    if isinstance(clinical, (str, Path)):
        clinical = [clinical]
    if not isinstance(clinical, Sequence):
        raise InputError("clinical= must be a path, a list of paths or a DataFrame")
    return [(Path(p).name, read_clinical_table(p)) for p in clinical]


def index_by_id(tab: pd.DataFrame, where: str, samples: pd.Index | None,
                id_column: str | None) -> tuple[pd.DataFrame, str]:
    """``tab`` indexed by its sample-id column, and that column's name.

    The column is ``id_column`` when given, else the one matching most of ``samples`` (the
    first column when ``samples`` is None). Rows without an id are dropped.

    Raises
    ------
    InputError
        When ``id_column`` is absent, or sample ids repeat.
    """
    if id_column is not None:
        if id_column not in tab.columns:
            raise InputError(f"{where}: no column {id_column!r} (id_column=); columns are "
                             f"{list(tab.columns)[:10]}")
        col = id_column
    elif samples is None:
        col = tab.columns[0]
    else:
        best, col = -1, tab.columns[0]
        wanted = pd.Index(samples.astype(str)).unique()  # one hash table for every column
        for c in tab.columns:
            codes, uniques = pd.factorize(tab[c])  # each distinct cell stripped once
            hit = wanted.get_indexer(pd.Index(uniques).astype(str).str.strip()) >= 0
            n = int(hit[codes[codes >= 0]].sum())
            if n > best:
                best, col = n, c
    out = tab.drop(columns=[col])
    out.index = pd.Index(tab[col].astype("string").str.strip().astype(object), name="sample_id")
    missing = out.index.isna()
    if missing.any():
        out = out[~missing]
    check_unique(out.index, f"{where} (id column {col!r})")
    return out, col


def endpoint_columns(name: str, info: EndpointInfo) -> list[str]:
    """The columns of endpoint ``name``: ``<name>_time`` and ``<name>_event``, or ``<name>``."""
    return [f"{name}_time", f"{name}_event"] if info.kind == "survival" else [name]


def join_clinical(tables, samples: pd.Index, id_column: str | None, allow_missing: bool = False,
                  of: str = "the expression"
                  ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, EndpointInfo], list[str]]:
    """Clinical covariates and endpoints of ``samples`` from ``tables`` (see
    :func:`clinical_tables`; ``"h5ad obs"`` is already indexed by sample id), and report lines.

    An endpoint found in several tables is read from the first. ``of`` names what the samples
    come from, in messages.
    """
    report: list[str] = []
    clin = pd.DataFrame(index=samples)
    ends = pd.DataFrame(index=samples)
    info: dict[str, EndpointInfo] = {}
    for where, tab in tables:
        idcol = "obs_names"
        if where == "h5ad obs":
            tab_i = tab
        else:
            tab_i, idcol = index_by_id(tab, where, samples, id_column)
        matched = samples.isin(tab_i.index)
        n_match = int(matched.sum())
        extra = tab_i.index.difference(samples)
        if where != "h5ad obs":
            line = check_clinical_rows(samples, tab_i.index, where, of, allow_missing, idcol)
            report.append(
                f"{where}: {n_match} of {len(samples)} samples matched on {idcol!r}; "
                f"{len(extra)} rows without expression dropped"
            )
            if line:
                report.append(line)
        c, e, inf, _, rep = map_clinical(tab_i.reindex(samples), where, allow_missing)
        report.extend(rep)
        clin = clin.combine_first(c) if len(clin.columns) else c
        for k, v in inf.items():
            if k in info:
                report.append(f"{where}: endpoint {k} already read from an earlier table; "
                              "this one ignored")
                continue
            info[k] = v
            for col in endpoint_columns(k, v):
                ends[col] = e[col]
    clin = coerce_clinical(clin.reindex(samples)) if len(clin.columns) else \
        pd.DataFrame(index=samples)
    if not tables:
        report.append("no clinical table: clinical covariates and endpoints are empty")
    return clin, ends.reindex(samples), info, report
