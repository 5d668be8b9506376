"""Clinical sanity: declared ranges and units of the vocabulary columns, strict 0/1 endpoints,
and messages naming the column, the row and the value.

Every clinical loader passes its parsed columns through here, so a value is either what the
vocabulary says it is or an error:

* an *impossible* value (age 260, grade 5, a negative node count) is always an error;
* a value that *cannot be read* ("73 years", "73,4", "unknown-ish") is an error unless the user
  passes ``allow_missing=True`` (``--allow-missing-covariates``), when it becomes missing and
  is counted in the cohort's report;
* survival times are in months; a median above 240 months is read as days, and short times in a
  column whose unit was only assumed are read as years; both are errors with the fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tmeprog.errors import InputError

ALLOW_FLAG = "--allow-missing-covariates"
MAX_MONTHS_MEDIAN = 240.0  # a median follow-up above 20 years: the times are days
YEARS_MAX = 25.0  # every time <= 25 in a column of assumed unit: the times are years
MIN_FOR_SCALE = 10  # samples needed before the distribution is judged


@dataclass(frozen=True)
class Range:
    """The allowed values of a numeric vocabulary column."""

    low: float
    high: float
    unit: str
    integer: bool = False
    low_open: bool = False

    def text(self) -> str:
        lo = f"> {self.low:g}" if self.low_open else f">= {self.low:g}"
        return f"{lo} and <= {self.high:g} {self.unit}".strip()


RANGES: dict[str, Range] = {
    "age": Range(15, 110, "years"),
    "grade": Range(1, 3, "", integer=True),
    "t_stage": Range(1, 4, "", integer=True),
    "tumor_size_mm": Range(0, 300, "mm"),  # 0: no invasive tumour measured (METABRIC)
    "n_nodes": Range(0, 100, "nodes", integer=True),
    "stil_pct": Range(0, 100, "%"),
}
WHAT = {"age": "an age in years", "grade": "a grade 1-3 (or I-III)",
        "t_stage": "a T stage (T1-T4)", "tumor_size_mm": "a size in mm",
        "n_nodes": "a count of positive nodes", "stil_pct": "a percentage",
        "pam50": "a PAM50 subtype (LumA, LumB, Her2, Basal, Normal, claudin-low)",
        "subtype": "a receptor subtype (HR+/HER2-, HER2+, TNBC)",
        "menopause": "pre or post", "node_status": "node status (0/1, N0-N3, pos/neg)"}
# documented spellings of "not determined": missing by definition, not a parse failure
NOT_DETERMINED = {"nc", "unclassified", "not classified", "unknown", "indeterminate",
                  "equivocal", "2+", "gx", "tx", "nx", "pnx", "not assessed", "not done"}
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_WITH_UNIT = re.compile(r"^[+-]?\d+(?:[.,]\d+)?\s*[^\d\s.,+-].*$")
_NUMBER_IN = re.compile(r"[+-]?\d+(?:\.\d+)?")


def hint(value: object) -> str:
    """A fix for a cell that did not parse: decimal comma, a unit in the cell, or nothing."""
    text = str(value).strip()
    if _DECIMAL_COMMA.match(text):
        return f" (decimal comma: write {text.replace(',', '.')!r})"
    if _WITH_UNIT.match(text):
        num = _NUMBER_IN.match(text.replace(",", "."))
        return f" (numbers only, without a unit: {num.group(0)!r}, not {text!r})" if num else ""
    return ""


def _example(mask: pd.Series, raw: pd.Series) -> tuple[object, object]:
    i = mask.index[mask.to_numpy()][0]
    return i, raw.loc[mask].iloc[0]


def check_parsed(raw: pd.Series, parsed: pd.Series, column: str, src: str, where: str,
                 allow_missing: bool = False) -> str | None:
    """Refuse cells of ``raw`` that were present but did not parse into ``parsed``.

    Parameters
    ----------
    raw, parsed : pandas.Series
        The cells as text and the parsed vocabulary column, on the same index (sample ids).
    column : str
        Vocabulary name (``age``, ``grade`` ...).
    src : str
        The column's name in the user's file.
    where : str
        The file, for messages.
    allow_missing : bool
        Keep such cells as missing (imputed later) instead of raising.

    Returns
    -------
    str or None
        A report line when cells were set missing, else None.

    Raises
    ------
    InputError
        A cell that holds a number outside the column's range (always), or any unreadable cell
        unless ``allow_missing``.
    """
    lost = (raw.notna() & parsed.isna()).fillna(False)
    if lost.any():
        lost &= ~raw.astype("string").str.strip().str.lower().isin(NOT_DETERMINED).fillna(False)
    if not lost.any():
        return None
    rng = RANGES.get(column)
    if rng is not None:  # grade 5 / T7: numbers the parser refused as impossible
        num = pd.to_numeric(raw.where(lost).astype("string").str.strip()
                            .str.replace(r"^(grade|g|[cpy]*t)\s*", "", regex=True,
                                         case=False), errors="coerce")
        impossible = num.notna()
        if impossible.any():
            _impossible(impossible, raw, column, src, where, rng)
    row, value = _example(lost, raw)
    n = int(lost.sum())
    examples = sorted(set(map(str, raw[lost])))[:3]
    msg = (f"{where}, column {src!r}: {n} value(s) are not {WHAT.get(column, column)}, "
           f"e.g. row {row!r}: {value!r}{hint(value)}; others: {examples}")
    if not allow_missing:
        raise InputError(f"{msg}; fix the cells, or pass {ALLOW_FLAG} to treat them as missing "
                         "(then imputed)")
    return f"{msg}; set missing ({ALLOW_FLAG})"


def _impossible(bad: pd.Series, raw: pd.Series, column: str, src: str, where: str,
                rng: Range) -> None:
    row, value = _example(bad, raw)
    extra = ""
    if column == "age":
        vals = pd.to_numeric(raw.astype("string"), errors="coerce")
        med = float(np.nanmedian(vals)) if vals.notna().any() else float("nan")
        if med > 15 * 365:
            extra = f"; the ages look like days (median {med:.0f}): give years (days / 365.25)"
        elif med > 180:
            extra = f"; the ages look like months (median {med:.0f}): give years (months / 12)"
    elif column == "tumor_size_mm" and pd.to_numeric(value, errors="coerce") > rng.high:
        extra = "; sizes are in mm (a column named tumor_size_cm is converted)"
    raise InputError(f"{where}, column {src!r}: {int(bad.sum())} impossible value(s), e.g. row "
                     f"{row!r}: {value!r}; {column} must be {rng.text()}{extra}; fix the cells")


def check_range(values: pd.Series, raw: pd.Series, column: str, src: str, where: str) -> None:
    """Refuse parsed numbers outside the declared range of ``column`` (see :data:`RANGES`).

    Raises
    ------
    InputError
        Naming the column, the first row and its value, the range and (for ages in days or
        months) the likely unit.
    """
    rng = RANGES.get(column)
    if rng is None:
        return
    v = pd.to_numeric(values, errors="coerce").astype(float)
    low = (v <= rng.low) if rng.low_open else (v < rng.low)
    bad = (low | (v > rng.high)).fillna(False)
    if rng.integer:
        bad |= (v.notna() & (v != np.round(v))).fillna(False)
    if bad.any():
        shown = raw.where(raw.notna(), values.astype("string"))
        _impossible(bad, shown, column, src, where, rng)


def check_time_scale(t_months: pd.Series, src: str, endpoint: str, unit_assumed: bool,
                     where: str) -> None:
    """Refuse survival times whose distribution says days or years, not months.

    Raises
    ------
    InputError
        Median above 240 months (the times are days), or, when the unit was only assumed from
        a name like ``os_time``, every time at most 25 (the times are years).
    """
    t = t_months.dropna()
    if len(t) < MIN_FOR_SCALE:
        return
    med = float(t.median())
    if med > MAX_MONTHS_MEDIAN:
        raise InputError(
            f"{where}, column {src!r}: median {endpoint} time {med:.0f} months (over "
            f"{MAX_MONTHS_MEDIAN / 12:.0f} years) — the times look like days; name the column "
            f"{endpoint}_days (converted to months) or give months")
    if unit_assumed and float(t.max()) <= YEARS_MAX:
        raise InputError(
            f"{where}, column {src!r}: every {endpoint} time is <= {YEARS_MAX:g} (median "
            f"{med:.1f}) — the times look like years, not months; name the column "
            f"{endpoint}_years (converted), or {endpoint}_months if they are months")


def strict_binary(raw: pd.Series, parsed: pd.Series, src: str, where: str,
                  spellings: str, label: str = "pCR") -> None:
    """Refuse present cells of a binary endpoint that are not one of the documented spellings
    (e.g. pCR coded 1/2).

    Raises
    ------
    InputError
        Naming the column, the values found, an example row and the spellings accepted.
    """
    bad = (raw.notna() & parsed.isna()).fillna(False)
    if bad.any():
        row, value = _example(bad, raw)
        found = sorted(set(map(str, raw[bad])))[:5]
        coded = " (a 1/2 coding? recode as 1 = yes, 0 = no)" if "2" in found else ""
        raise InputError(f"{where}, column {src!r}: {label} values must be 0 or 1 "
                         f"({spellings}); "
                         f"found {found}, e.g. row {row!r}: {value!r}{coded}; recode the "
                         "column")
