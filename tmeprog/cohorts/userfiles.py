"""Load a user's own files as a :class:`~tmeprog.cohorts.model.Cohort`.

Accepted inputs:

* an expression matrix as TSV / CSV / TXT (optionally ``.gz``), parquet, or ``.h5ad``
  (anndata: ``obs`` are samples, ``var`` are genes; ``obs`` columns are read as clinical
  columns). Tables may be genes x samples or samples x genes: the axis whose labels look more
  like gene identifiers (or like the probe ids of ``annotation``) is taken as genes, unless
  ``orientation`` says otherwise;
* a feature table (``kind="features"``): samples x numeric features such as published signature
  scores, with or without clinical columns, and no expression;
* a folder holding ``expression.*`` or ``features.*``, and optionally ``clinical.*`` and
  ``annotation.*``;
* clinical tables (``clinical=``, one or several): columns are mapped to the vocabulary of
  :mod:`tmeprog.cohorts.vocabulary` by common spellings (see :func:`map_clinical`), joined to the
  expression on sample id.

Text numbers are read with a correctly rounding parser (pyarrow's CSV reader, else pandas'
round-trip parser). Nothing is written. Every problem raises one :class:`~tmeprog.errors.InputError`
saying what, where, and what to do; every row or column dropped is counted in
``cohort.report``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from tmeprog.cohorts.expression_sanity import (
    check_gene_names,
    check_rule,
    check_samples,
    check_values,
    collapse_duplicates,
    gzip_guard,
    text_read_error,
)
from tmeprog.cohorts.genes import harmonise_genes
from tmeprog.cohorts.id_matching import check_clinical_rows
from tmeprog.cohorts.model import Cohort, CohortMeta, EndpointInfo, coerce_clinical
from tmeprog.cohorts.sanity import (
    RANGES,
    check_parsed,
    check_range,
    check_time_scale,
    strict_binary,
)
from tmeprog.cohorts.scale import resolve_scale, to_log2
from tmeprog.cohorts.vocabulary import receptor_subtype
from tmeprog.errors import InputError
from tmeprog.textio import open_text

MIN_GENES = 1000
MAX_GENE_MISSING = 0.20
DAYS_PER_MONTH = 365.25 / 12
ORIENTATIONS = ("auto", "genes_x_samples", "samples_x_genes")
TEXT_SUFFIXES = (".tsv", ".txt", ".csv", ".tab")
PARQUET_SUFFIXES = (".parquet", ".pq")
NA_STRINGS = {"", "na", "nan", "null", "none", "n/a", "#n/a", "missing", ".", "?", "not available",
              "[not available]", "[unknown]", "[not evaluated]"}

# ----------------------------------------------------------------------------- vocabulary

CLINICAL_SYNONYMS: dict[str, tuple[str, ...]] = {
    "age": ("age", "age_at_diagnosis", "age_at_dx", "age_years", "age_at_surgery", "patient_age",
            "age_diagnosis", "age_at_initial_pathologic_diagnosis"),
    "er": ("er", "er_status", "er_ihc", "estrogen_receptor", "estrogen_receptor_status",
           "er_status_by_ihc", "er_positive", "esr1_status"),
    "pr": ("pr", "pgr", "pr_status", "pgr_status", "pr_ihc", "progesterone_receptor",
           "progesterone_receptor_status", "pr_status_by_ihc", "pr_positive"),
    "her2": ("her2", "her2_status", "erbb2", "erbb2_status", "her2_ihc", "her2_status_by_ihc",
             "her2_final_status", "her2_positive"),
    "hr": ("hr", "hr_status", "hormone_receptor", "hormone_receptor_status", "hr_positive"),
    "grade": ("grade", "histological_grade", "histologic_grade", "tumor_grade", "tumour_grade",
              "nottingham_grade", "neoplasm_histologic_grade", "elston_grade"),
    "tumor_size_mm": ("tumor_size_mm", "tumour_size_mm", "tumor_size", "tumour_size", "size_mm",
                      "size"),
    "t_stage": ("t_stage", "tstage", "t", "pathologic_t", "t_category", "ajcc_pathologic_t",
                "clinical_t"),
    "node_status": ("node_status", "lymph_node_status", "ln_status", "nodal_status", "node",
                    "n_status", "node_positive", "ln", "nodes_status"),
    "n_nodes": ("n_nodes", "positive_nodes", "nodes_positive", "pnodes",
                "lymph_nodes_examined_positive", "lymph_nodes_positive",
                "number_of_positive_nodes"),
    "subtype": ("subtype", "receptor_subtype", "clinical_subtype"),
    "pam50": ("pam50", "pam50_subtype", "pam50_call", "claudin_subtype",
              "pam50_claudin_low_subtype", "intrinsic_subtype", "pam50_claudin_low"),
    "menopause": ("menopause", "menopausal_status", "menopause_status",
                  "inferred_menopausal_state", "menopausal_state", "meno"),
    "chemotherapy": ("chemotherapy", "chemo", "chemo_therapy", "received_chemotherapy"),
    "hormone_therapy": ("hormone_therapy", "hormonal_therapy", "endocrine_therapy", "horth",
                        "hormon"),
    "radiotherapy": ("radiotherapy", "radio_therapy", "radiation_therapy", "radiation"),
    "arm": ("arm", "treatment_arm", "arm_short_name", "trial_arm", "arm_name"),
    "stil_pct": ("stil_pct", "stils", "stil", "tils", "stromal_tils", "tils_pct"),
}
SIZE_CM = ("tumor_size_cm", "tumour_size_cm", "size_cm")
BINARY_COLUMNS = ("er", "pr", "her2", "hr", "node_status", "chemotherapy", "hormone_therapy",
                  "radiotherapy")
NUMERIC_COLUMNS = ("age", "tumor_size_mm", "n_nodes", "stil_pct")

ENDPOINT_ALIASES: dict[str, tuple[str, ...]] = {
    "os": ("os", "overall_survival"),
    "dss": ("dss", "bcss", "disease_specific_survival"),
    "dmfs": ("dmfs", "mfs", "distant_metastasis_free_survival"),
    "drfs": ("drfs", "distant_relapse_free_survival"),
    "rfs": ("rfs", "relapse_free_survival", "recurrence_free_survival"),
    "dfs": ("dfs", "disease_free_survival"),
}
TIME_PATTERNS = {  # column-name pattern -> divisor to months
    "{a}_time": 1.0, "{a}_months": 1.0, "{a}_month": 1.0, "{a}_time_months": 1.0,
    "t_{a}": 1.0, "{a}time": 1.0, "time_{a}": 1.0,
    "{a}_days": DAYS_PER_MONTH, "{a}_time_days": DAYS_PER_MONTH,
    "{a}_years": 1 / 12, "{a}_time_years": 1 / 12,
}
EVENT_PATTERNS = ("{a}_event", "{a}_status", "{a}event", "event_{a}", "{a}_ind", "{a}")
PCR_NAMES = ("pcr", "pathologic_complete_response", "pathological_complete_response",
             "pcr_status", "pcr_binary", "pcr_ypt0ypn0")

_TRUE = {"1", "positive", "pos", "+", "yes", "y", "true", "t", "p"}
_FALSE = {"0", "negative", "neg", "-", "no", "n", "false", "f"}
_EVENT_TRUE = {"1", "dead", "deceased", "died", "death", "yes", "true", "event", "recurred",
               "relapsed", "relapse", "recurrence", "progressed", "metastasis", "y"}
_EVENT_FALSE = {"0", "alive", "living", "no", "false", "censored", "not recurred",
                "diseasefree", "disease free", "no recurrence", "n"}
_PAM50 = {"luma": "LumA", "luminal a": "LumA", "lumb": "LumB", "luminal b": "LumB",
          "her2": "Her2", "her2-enriched": "Her2", "her2e": "Her2", "her2 enriched": "Her2",
          "basal": "Basal", "basal-like": "Basal", "normal": "Normal", "normal-like": "Normal",
          "claudin-low": "claudin-low", "claudin low": "claudin-low", "claudinlow": "claudin-low"}
_SUBTYPE = {"hr+her2-": "HR+/HER2-", "her2+": "HER2+", "hr+her2+": "HER2+", "hr-her2+": "HER2+",
            "hr-her2-": "TNBC", "tnbc": "TNBC", "tn": "TNBC", "triplenegative": "TNBC",
            "triple-negative": "TNBC"}


def normalise_column_name(name: str) -> str:
    """Lower-case, runs of non-alphanumerics to ``_``, trimmed (``Arm..short.name.`` ->
    ``arm_short_name``)."""
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


# ----------------------------------------------------------------------------- reading


def _base_suffix(path: Path) -> str:
    sfx = [s.lower() for s in path.suffixes]
    if sfx and sfx[-1] == ".gz":
        sfx = sfx[:-1]
    return sfx[-1] if sfx else ""


def _check_file(path: Path, what: str) -> None:
    if not path.exists():
        raise InputError(f"{what} file {str(path)!r} does not exist; check the path")
    if path.is_dir():
        raise InputError(f"{what} path {str(path)!r} is a folder; give a file")
    if path.stat().st_size == 0:
        raise InputError(f"{what} file {str(path)!r} is empty; export the table again")


def _first_lines(path: Path, n: int = 2, skip_comments: bool = False) -> tuple[list[str], int]:
    lines, skipped = [], 0
    with open_text(path) as fh, gzip_guard(path):
        for line in fh:
            if skip_comments and not lines and line.startswith("#"):
                skipped += 1
                continue
            if line.strip() == "" and not lines:
                skipped += 1
                continue
            lines.append(line.rstrip("\n"))
            if len(lines) >= n:
                break
    return lines, skipped


def _sniff_sep(header: str) -> str:
    counts = {sep: header.count(sep) for sep in ("\t", ";", ",")}
    sep = max(counts, key=counts.get)
    return sep if counts[sep] else "\t"


def _split(line: str, sep: str) -> list[str]:
    return next(csv.reader([line], delimiter=sep))


def _read_numeric_text(path: Path) -> pd.DataFrame:
    """A text matrix: first column = row labels, header = column labels, cells as read."""
    lines, skipped = _first_lines(path, 2)
    if not lines:
        raise InputError(f"file {str(path)!r} holds no table; export the table again")
    sep = _sniff_sep(lines[0])
    header = _split(lines[0], sep)
    if len(lines) < 2:
        raise InputError(f"file {str(path)!r} has a header but no data rows")
    width = len(_split(lines[1], sep))
    if width == len(header) + 1:  # R write.table: no header field above the row names
        header = [""] + header
    names = [f"c{i}" for i in range(len(header))]
    kw = dict(sep=sep, header=None, skiprows=skipped + 1, names=names)
    try:
        df = _arrow_read(path, sep, skipped + 1, names, len(lines[1]))
    except Exception:  # pyarrow refuses ragged rows, truncated streams, odd quoting
        err = text_read_error(path, sep, skipped + 1, len(header))
        if err is not None:
            raise err from None
        try:
            with gzip_guard(path):
                df = pd.read_csv(path, engine="c", float_precision="round_trip", **kw)
        except (ValueError, pd.errors.ParserError) as exc:
            raise InputError(
                f"cannot read {str(path)!r} as a {'tab' if sep == chr(9) else repr(sep)}-"
                f"separated table: {exc}; check that every row has {len(header)} fields"
            ) from None
    df.columns = pd.Index([h.strip() for h in header])
    return _first_column_as_index(df)


def _arrow_read(path: Path, sep: str, skip: int, names: list[str], row_chars: int):
    """pyarrow's CSV reader (correct rounding); blocks of ~1,000 rows keep wide tables fast."""
    from pyarrow import csv as pacsv

    block = int(min(max(row_chars * 1000, 1 << 20), 1 << 28))
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(skip_rows=skip, column_names=names, block_size=block),
        parse_options=pacsv.ParseOptions(delimiter=sep),
        convert_options=pacsv.ConvertOptions(strings_can_be_null=True),
    )
    return table.to_pandas()


def _first_column_as_index(df: pd.DataFrame) -> pd.DataFrame:
    if df.shape[1] < 2:
        raise InputError("the table has fewer than two columns; expected row labels and values")
    idx = df.iloc[:, 0]
    if pd.api.types.is_float_dtype(idx) and (idx.dropna() % 1 == 0).all():
        idx = idx.astype("Int64")
    out = df.iloc[:, 1:]
    out.index = pd.Index(idx.astype(str).str.strip(), name=df.columns[0] or None)
    return out


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        df = pd.read_parquet(path)
    except Exception as exc:
        raise InputError(f"cannot read {str(path)!r} as parquet: {exc}") from None
    df.columns = pd.Index(df.columns.astype(str))
    if isinstance(df.index, pd.RangeIndex) and df.shape[1] and not \
            pd.api.types.is_numeric_dtype(df.iloc[:, 0]):
        return _first_column_as_index(df)
    df.index = pd.Index(df.index.astype(str))
    return df


def _read_h5ad(path: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series | None]:
    import anndata

    try:
        ad = anndata.read_h5ad(path)
    except Exception as exc:
        raise InputError(f"cannot read {str(path)!r} as an .h5ad (anndata) file: {exc}") from None
    x = ad.X
    if hasattr(x, "toarray"):
        x = x.toarray()
    expr = pd.DataFrame(np.asarray(x, dtype=float), index=pd.Index(ad.obs_names.astype(str)),
                        columns=pd.Index(ad.var_names.astype(str)))
    ann = None
    for col in ("gene_symbols", "gene_symbol", "symbol", "feature_name", "gene_name",
                "hgnc_symbol"):
        if col in ad.var.columns:
            ann = pd.Series(ad.var[col].astype(str).to_numpy(), index=expr.columns)
            break
    obs = ad.obs.copy()
    obs.index = expr.index
    return expr, obs, ann


def read_clinical_table(path: str | Path) -> pd.DataFrame:
    """Read a clinical table as strings, indexed by row number.

    Leading ``#`` lines (cBioPortal's header block) are skipped; CR, LF and CRLF line endings,
    tab, ``;`` and ``,`` separators are recognised; missing-value spellings become NA.
    """
    path = Path(path)
    _check_file(path, "clinical")
    with open_text(path) as fh, gzip_guard(path):
        lines = fh.read().split("\n")
    i = 0
    while i < len(lines) and (lines[i].startswith("#") or not lines[i].strip()):
        i += 1
    if i >= len(lines):
        raise InputError(f"clinical file {str(path)!r} holds no table")
    sep = _sniff_sep(lines[i])
    try:
        df = pd.read_csv(io.StringIO("\n".join(lines[i:])), sep=sep, dtype=str,
                         keep_default_na=False, na_filter=False, engine="c")
    except (ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"cannot read clinical file {str(path)!r}: {exc}") from None
    df.columns = pd.Index([str(c).strip() for c in df.columns])
    return df.apply(_clean_cells)


def _clean_cells(s: pd.Series) -> pd.Series:
    """Cells stripped, missing-value spellings as NA; each distinct text handled once."""
    codes, uniques = pd.factorize(s)
    clean = pd.Series(uniques, dtype=object).str.strip()
    clean = clean.mask(clean.str.lower().isin(NA_STRINGS)).to_numpy(dtype=object)
    return pd.Series(clean[codes], index=s.index, name=s.name, dtype=object)


# ----------------------------------------------------------------------------- clinical values


def _parse_binary(s: pd.Series, her2: bool = False) -> pd.Series:
    low = s.astype("string").str.strip().str.lower()
    out = pd.Series(pd.NA, index=s.index, dtype="Int64")
    out[low.isin(_TRUE).fillna(False)] = 1
    out[low.isin(_FALSE).fillna(False)] = 0
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
        return _parse_lookup(s, _PAM50)
    if col == "subtype":
        key = s.astype("string").str.lower().str.replace(r"[^a-z0-9+-]", "", regex=True)
        return _parse_lookup(key, _SUBTYPE)
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
    out[low.isin(_EVENT_TRUE).fillna(False)] = 1.0
    out[low.isin(_EVENT_FALSE).fillna(False)] = 0.0
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
        hr = pd.Series(pd.NA, index=clin.index, dtype="Int64")
        hr[((er == 1) | (pr == 1)).fillna(False)] = 1
        both_neg = ((er == 0) & (pr == 0)).fillna(False) if "pr" in clin and "er" in clin \
            else pd.Series(False, index=clin.index)
        hr[both_neg] = 0
        clin["hr"] = hr
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


# ----------------------------------------------------------------------------- helpers


def _check_unique(idx: pd.Index, what: str) -> None:
    if idx.has_duplicates:
        dup = idx[idx.duplicated()].unique()[:5].tolist()
        raise InputError(f"{what}: duplicated sample ids {dup}; sample ids must be unique")


def _first_bad_cell(df: pd.DataFrame, path: Path, line_offset: int | None) -> None:
    """Raise on the first non-numeric cell of an all-numeric table (infinite values are
    refused later, named by gene and sample)."""
    types = df.dtypes.to_numpy()
    text_cols = [j for j, dt in enumerate(types)
                 if pd.api.types.is_bool_dtype(dt) or not pd.api.types.is_numeric_dtype(dt)]
    for j in text_cols:
        s = df.iloc[:, j]
        if pd.api.types.is_bool_dtype(s):
            bad = np.ones(len(s), dtype=bool)
        else:
            num = pd.to_numeric(s.astype("string"), errors="coerce")
            bad = s.notna().to_numpy() & num.isna().to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            line = f" (line {i + line_offset})" if line_offset is not None else ""
            raise InputError(
                f"{str(path)!r}: non-numeric value {str(s.iloc[i])!r} at row {df.index[i]!r}, "
                f"column {df.columns[j]!r}{line}; every expression cell must be a number (or "
                "empty / NA for missing)"
            )


def _gene_scores(labels: pd.Index, annotation: pd.Series | None) -> float:
    from tmeprog.cohorts.gene_map import resolve_identifiers

    if len(labels) == 0:
        return 0.0
    lab = labels[:: max(1, len(labels) // 2000)]
    if annotation is not None:
        hit = lab.isin(annotation.index)
        return float(hit.mean())
    return float((resolve_identifiers(lab)["kind"] != "unknown").mean())


def _annotation_from(annotation, where: str) -> pd.Series | None:
    if annotation is None:
        return None
    if isinstance(annotation, pd.Series):
        return annotation.astype("string")
    if isinstance(annotation, Mapping):
        return pd.Series(dict(annotation), dtype="string")
    if isinstance(annotation, pd.DataFrame):
        return _annotation_column(annotation, where)
    path = Path(annotation)
    tab = read_clinical_table(path)  # strings; '#' header lines of GEO platform files skipped
    tab = tab.set_index(tab.columns[0])
    tab.index = pd.Index(tab.index.astype(str).str.strip())
    return _annotation_column(tab, str(path))


def _annotation_column(tab: pd.DataFrame, where: str) -> pd.Series:
    norm = {normalise_column_name(c): c for c in tab.columns}
    for name in ("symbol", "gene_symbol", "gene_symbols", "hgnc_symbol", "genesymbol",
                 "gene_name", "gene", "ilmn_gene"):
        if name in norm:
            return tab[norm[name]].astype("string")
    if tab.shape[1] == 1:
        return tab.iloc[:, 0].astype("string")
    raise InputError(
        f"annotation {where!r}: no gene-symbol column found (looked for 'Symbol', "
        f"'Gene Symbol', 'gene_symbol' ...; columns are {list(tab.columns)[:8]}); give a table "
        "of probe id and symbol"
    )


def _stem(path: Path) -> str:
    name = path.name
    for sfx in (".gz",) + TEXT_SUFFIXES + PARQUET_SUFFIXES + (".h5ad",):
        if name.lower().endswith(sfx):
            name = name[: -len(sfx)]
    return name


def _folder_parts(path: Path) -> dict[str, Path]:
    parts: dict[str, Path] = {}
    for f in sorted(path.iterdir()):
        stem = _stem(f).lower()
        if stem in ("expression", "features", "clinical", "annotation") and stem not in parts:
            parts[stem] = f
    if "expression" not in parts and "features" not in parts:
        raise InputError(
            f"folder {str(path)!r} holds no expression.* or features.* file; name the files "
            "expression.tsv (or .csv/.parquet/.h5ad), clinical.tsv, annotation.tsv"
        )
    return parts


def _clinical_tables(clinical) -> list[tuple[str, pd.DataFrame]]:
    if clinical is None:
        return []
    if isinstance(clinical, pd.DataFrame):
        return [("clinical table", clinical.astype("string"))]
    if isinstance(clinical, (str, Path)):
        clinical = [clinical]
    if not isinstance(clinical, Sequence):
        raise InputError("clinical= must be a path, a list of paths or a DataFrame")
    return [(Path(p).name, read_clinical_table(p)) for p in clinical]


def _index_by_id(tab: pd.DataFrame, where: str, samples: pd.Index | None,
                 id_column: str | None) -> tuple[pd.DataFrame, str]:
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
    _check_unique(out.index, f"{where} (id column {col!r})")
    return out, col


# ----------------------------------------------------------------------------- loader


def load_user_cohort(
    path: str | Path,
    clinical=None,
    scale: str | None = None,
    orientation: str = "auto",
    annotation=None,
    name: str | None = None,
    id_column: str | None = None,
    kind: str = "expression",
    allow_missing_covariates: bool = False,
    duplicates: str = "error",
) -> Cohort:
    """Load a user's expression matrix or feature table (and clinical tables) as a cohort.

    Parameters
    ----------
    path : str or Path
        Expression (``.tsv``/``.csv``/``.txt`` [``.gz``], ``.parquet``, ``.h5ad``), a feature
        table (``kind="features"``), or a folder with ``expression.*`` / ``features.*`` and
        optionally ``clinical.*`` and ``annotation.*``.
    clinical : str, Path, list or DataFrame, optional
        Clinical table(s), one row per sample; columns mapped by :func:`map_clinical`.
    scale : str, optional
        ``counts``, ``tpm``, ``linear`` (FPKM, intensities), ``log2`` or ``log2_ratio``;
        detected when omitted (ambiguous data raise and ask for it).
    orientation : {"auto", "genes_x_samples", "samples_x_genes"}
        Which axis of a table holds the genes (or, for a feature table, the features).
    annotation : str, Path, Series or dict, optional
        Probe id -> gene symbol (a file: first column probe ids, symbol column found by name).
    name : str, optional
        Cohort name; default the file (or folder) stem.
    id_column : str, optional
        Sample-id column of the clinical tables (and of a feature table); default: the column
        matching most expression sample ids (the first column for a lone feature table).
    kind : {"expression", "features"}
        What ``path`` holds.
    allow_missing_covariates : bool
        Clinical cells that cannot be read, and samples without a clinical row, become missing
        (reported) instead of an error; impossible values are an error either way.
    duplicates : {"error", "mean", "max-variance"}
        Genes present more than once with different values (after harmonisation): an error,
        their mean, or the copy of highest variance (see
        :mod:`tmeprog.cohorts.expression_sanity`).

    Returns
    -------
    Cohort
        Expression on a log2 scale with harmonised gene symbols (or ``features``), clinical
        covariates and endpoints on the expression's samples, and a report of every step.

    Raises
    ------
    InputError
        One message per problem: missing, empty or truncated file, rows with missing fields,
        non-numeric, infinite or absurd cells, gene names turned into dates, duplicated genes
        (``duplicates="error"``), samples all missing / zero / constant, duplicated sample
        ids, bad survival data, samples without a clinical row (unless
        ``allow_missing_covariates``), < 1,000 recognisable genes, ambiguous scale.
    """
    path = Path(path)
    check_rule(duplicates)
    if orientation not in ORIENTATIONS:
        raise InputError(f"orientation={orientation!r}; use one of {', '.join(ORIENTATIONS)}")
    if kind not in ("expression", "features"):
        raise InputError(f"kind={kind!r}; use 'expression' or 'features'")
    if path.is_dir():
        parts = _folder_parts(path)
        kind = "expression" if "expression" in parts else "features"
        if clinical is None and "clinical" in parts:
            clinical = parts["clinical"]
        if annotation is None and "annotation" in parts:
            annotation = parts["annotation"]
        cohort_name = name or path.name
        path = parts[kind]
    else:
        cohort_name = name or _stem(path)
    _check_file(path, "expression" if kind == "expression" else "feature-table")
    if kind == "features":
        return _load_features(path, clinical, orientation, name=cohort_name, id_column=id_column,
                              allow_missing=allow_missing_covariates)
    return _load_expression(path, clinical, scale, orientation, annotation, cohort_name,
                            id_column, allow_missing_covariates, duplicates)


def _read_matrix(path: Path) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.Series | None, bool]:
    sfx = _base_suffix(path)
    if sfx == ".h5ad":
        expr, obs, ann = _read_h5ad(path)
        return expr, obs, ann, True
    if sfx in PARQUET_SUFFIXES:
        return _read_parquet(path), None, None, False
    if sfx in TEXT_SUFFIXES or sfx == "":
        return _read_numeric_text(path), None, None, False
    raise InputError(
        f"{str(path)!r}: unsupported file type {sfx!r}; use .tsv, .csv, .txt (optionally .gz), "
        ".parquet or .h5ad"
    )


def _load_expression(path, clinical, scale, orientation, annotation, cohort_name, id_column,
                     allow_missing=False, duplicates="error"):
    report: list[str] = []
    table, obs, h5_ann, is_h5ad = _read_matrix(path)
    ann = _annotation_from(annotation, "annotation") if annotation is not None else h5_ann
    if table.shape[0] == 0 or table.shape[1] == 0:
        raise InputError(f"{str(path)!r} holds no data rows; export the table again")
    line_offset = None if is_h5ad or _base_suffix(path) in PARQUET_SUFFIXES else 2
    _first_bad_cell(table, path, line_offset)

    if is_h5ad:
        genes_on_rows = orientation == "genes_x_samples"
        how = "h5ad: obs are samples, var are genes"
    elif orientation == "auto":
        rs, cs = _gene_scores(table.index, ann), _gene_scores(table.columns, ann)
        if max(rs, cs) < 0.2:
            raise InputError(
                f"{str(path)!r}: neither the row labels (e.g. {table.index[:3].tolist()}) nor the "
                f"column labels (e.g. {table.columns[:3].tolist()}) look like gene identifiers; "
                "for probe ids pass annotation= (probe id -> symbol), or state orientation="
                "'genes_x_samples' / 'samples_x_genes'"
            )
        genes_on_rows = rs >= cs
        how = (f"detected: {100 * max(rs, cs):.0f}% of the {'row' if genes_on_rows else 'column'}"
               f" labels are gene identifiers vs {100 * min(rs, cs):.0f}% of the "
               f"{'column' if genes_on_rows else 'row'} labels")
    else:
        genes_on_rows = orientation == "genes_x_samples"
        how = "stated by the user"
    where = repr(str(path))
    check_gene_names(table.index if genes_on_rows else table.columns, where)
    expr = table.T if genes_on_rows else table
    expr = expr.astype(float)
    expr.index = pd.Index(expr.index.astype(str), name="sample_id")
    _check_unique(expr.index, f"expression file {path.name!r}")
    check_values(expr.to_numpy(), expr.columns, expr.index, where)
    check_samples(expr.to_numpy(), expr.index, where)
    report.append(f"read {path.name}: {expr.shape[1]} gene identifiers x {expr.shape[0]} samples "
                  f"({'genes x samples' if genes_on_rows else 'samples x genes'}; {how})")

    sc = resolve_scale(expr, scale)
    frac_na = expr.isna().mean(axis=0)
    many = frac_na > MAX_GENE_MISSING
    if many.any():
        report.append(f"dropped {int(many.sum())} genes missing in more than "
                      f"{100 * MAX_GENE_MISSING:.0f}% of samples")
        expr = expr.loc[:, ~many.to_numpy()]
    n_fill = int(expr.isna().sum().sum())
    if n_fill:
        expr = expr.fillna(expr.median(axis=0))
        report.append(f"filled {n_fill} missing expression values with the gene's median")
    expr, note = to_log2(expr, sc.scale)
    report.append(f"scale {sc.scale} ({sc.reason}); {note}")

    expr, grep = harmonise_genes(expr, annotation=ann, duplicates="keep")
    n_kept = expr.shape[1]
    expr, dup_note = collapse_duplicates(expr, duplicates, where)
    grep.n_duplicates_collapsed = n_kept - expr.shape[1]
    grep.duplicate_rule = f"identical copies dropped; others: --duplicates {duplicates}"
    report.extend(grep.lines())
    if dup_note:
        report.append(dup_note)
    if grep.n_recognised < MIN_GENES:
        raise InputError(
            f"{str(path)!r}: only {grep.n_recognised} of {grep.n_input} identifiers are "
            f"recognisable genes after harmonisation (need >= {MIN_GENES}; e.g. "
            f"{list(table.index[:3] if genes_on_rows else table.columns[:3])}); give gene symbols,"
            " Ensembl or Entrez ids, pass annotation= for probe ids, or check orientation="
        )
    expr = expr.astype(float)

    tables = _clinical_tables(clinical)  # an explicit clinical table wins over h5ad obs
    if obs is not None and obs.shape[1]:
        tables.append(("h5ad obs", obs.astype("string")))
    clin, ends, info, crep = _join_clinical(tables, expr.index, id_column, allow_missing,
                                            f"expression file {path.name!r}")
    report.extend(crep)
    meta = CohortMeta(
        source=f"user file {path.name}",
        scale="log2_ratio" if sc.scale == "log2_ratio" else "log2",
        extra={"input_scale": sc.scale, "orientation": "genes_x_samples" if genes_on_rows
               else "samples_x_genes", "gene_map": grep.source},
    )
    return Cohort(name=cohort_name, expression=expr, clinical=clin, endpoints=ends,
                  endpoint_info=info, meta=meta, report=report)


def _join_clinical(tables, samples: pd.Index, id_column, allow_missing=False,
                   of: str = "the expression"):
    report: list[str] = []
    clin = pd.DataFrame(index=samples)
    ends = pd.DataFrame(index=samples)
    info: dict[str, EndpointInfo] = {}
    for where, tab in tables:
        idcol = "obs_names"
        if where == "h5ad obs":
            tab_i = tab
        else:
            tab_i, idcol = _index_by_id(tab, where, samples, id_column)
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
            cols = [f"{k}_time", f"{k}_event"] if v.kind == "survival" else [k]
            for col in cols:
                ends[col] = e[col]
    clin = coerce_clinical(clin.reindex(samples)) if len(clin.columns) else \
        pd.DataFrame(index=samples)
    if not tables:
        report.append("no clinical table: clinical covariates and endpoints are empty")
    return clin, ends.reindex(samples), info, report


def parse_numbers(s: pd.Series) -> pd.Series:
    """Text cells to float64, correctly rounded (Arrow's parser); other cells become NaN.

    ``pd.to_numeric`` is not correctly rounding: it misreads the last bit of about half of
    all 17-digit decimals, so a feature table would not give back the numbers written to it.
    """
    import pyarrow as pa

    cells = pa.array(s.astype(object).where(s.notna(), None).tolist(), type=pa.string())
    try:
        values = cells.cast(pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # some cells are not numbers
        def one(c):
            try:
                return c.cast(pa.float64()).as_py()
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                return None

        values = pa.array([one(c) if c.is_valid else None for c in cells], type=pa.float64())
    return pd.Series(values.to_numpy(zero_copy_only=False), index=s.index, dtype=np.float64)


def _load_features(path: Path, clinical, orientation, name, id_column, allow_missing=False):
    sfx = _base_suffix(path)
    if sfx in PARQUET_SUFFIXES:
        tab = pd.read_parquet(path)
        tab = tab.reset_index() if not isinstance(tab.index, pd.RangeIndex) else tab
        tab = tab.astype("string")
        tab = tab.mask(tab.apply(lambda s: s.str.lower().isin(NA_STRINGS)))
    elif sfx in TEXT_SUFFIXES or sfx == "":
        tab = read_clinical_table(path)
    else:
        raise InputError(f"{str(path)!r}: a feature table must be .tsv, .csv, .txt or .parquet")
    if orientation == "genes_x_samples":  # features x samples: transpose
        first = tab.columns[0]
        tab = tab.set_index(first).T.reset_index(names="sample_id")
    if tab.shape[0] == 0:
        raise InputError(f"{str(path)!r} holds no data rows")
    tab, idcol = _index_by_id(tab, f"feature table {path.name!r}", None, id_column)
    samples = tab.index
    report = [f"read {path.name}: {tab.shape[0]} samples x {tab.shape[1]} columns "
              f"(sample id column {idcol!r})"]
    clin, ends, info, used, rep = map_clinical(tab, path.name, allow_missing)
    report.extend(rep)
    feats = {}
    ignored_text, ignored_empty = [], []
    for col in tab.columns:
        if col in used:
            continue
        s = tab[col]
        num = parse_numbers(s)
        present = s.notna()
        bad = present & num.isna()
        if not present.any():
            ignored_empty.append(col)
        elif not bad.any():
            feats[col] = num.astype(float)
        elif bad.sum() <= 0.2 * present.sum():
            i = bad.index[bad][0]
            raise InputError(
                f"{str(path)!r}: non-numeric value {s[i]!r} at sample {i!r}, column {col!r} of a "
                "mostly numeric feature column; fix the cell or mark it NA"
            )
        else:
            ignored_text.append(col)
    if not feats:
        raise InputError(f"{str(path)!r}: no numeric feature columns found; a feature table has "
                         "samples as rows and numeric features as columns")
    features = pd.DataFrame(feats, index=samples)
    report.append(f"features: {features.shape[1]} numeric columns kept; ignored "
                  f"{len(ignored_text)} text columns{_eg(ignored_text)} and {len(ignored_empty)} "
                  f"empty columns{_eg(ignored_empty)}")
    extra_tables = _clinical_tables(clinical)
    c2, e2, i2, rep2 = _join_clinical(extra_tables, samples, id_column, allow_missing,
                                      f"feature table {path.name!r}") \
        if extra_tables else \
        (pd.DataFrame(index=samples), pd.DataFrame(index=samples), {}, [])
    report.extend(rep2)
    clin = coerce_clinical(clin)
    clin = clin.combine_first(c2) if len(c2.columns) else clin
    clin = coerce_clinical(clin)
    for k, v in i2.items():
        if k not in info:
            info[k] = v
            cols = [f"{k}_time", f"{k}_event"] if v.kind == "survival" else [k]
            for col in cols:
                ends[col] = e2[col]
    meta = CohortMeta(source=f"user file {path.name}", platform="feature table", scale="none")
    return Cohort(name=name, expression=None, clinical=clin, endpoints=ends, endpoint_info=info,
                  meta=meta, features=features, report=report)


def _eg(values: list[str]) -> str:
    return f" ({', '.join(map(str, values[:5]))}{' ...' if len(values) > 5 else ''})" \
        if values else ""
