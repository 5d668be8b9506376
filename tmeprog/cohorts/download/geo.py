"""NCBI GEO readers: series matrices, platform annotation tables, and the GSE25066 cohort.

A series matrix (``GSExxx_series_matrix.txt.gz``) holds ``!Series_*`` lines, then one
``!Sample_*`` line per attribute with one tab-separated, quoted cell per sample; each
``!Sample_characteristics_chN`` line carries ``key: value`` cells (the key may differ between
samples of one line, so cells are read one by one), and the expression table sits between
``!series_matrix_table_begin`` and ``!series_matrix_table_end`` (``ID_REF`` then one column per
GSM accession).

Platform tables (``GPLxxx.annot.gz`` or a GPL SOFT file) have an ``ID`` column and a gene-symbol
column (``Gene symbol`` in GEO's annot files, ``Gene Symbol`` in Affymetrix submitter tables);
probes naming several genes (``A /// B``) are dropped as ambiguous.

GSE25066 (Hatzis et al. JAMA 2011): 508 newly diagnosed HER2-negative breast cancers treated with
neoadjuvant taxane-anthracycline chemotherapy, Affymetrix HG-U133A (GPL96), with pCR/RD and
distant-relapse-free survival (``drfs_1_event_0_censored``, ``drfs_even_time_years``).
"""

from __future__ import annotations

import gzip
import io
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from tmeprog.cohorts.download import cache
from tmeprog.cohorts.download.cache import RemoteFile
from tmeprog.cohorts.download.parsing import (
    MONTHS_PER_YEAR,
    clean,
    drop_incomplete_genes,
    ensure_log_scale,
    grade,
    leading_int,
    receptor,
    receptor_columns,
    status01,
    survival,
    to_num,
)
from tmeprog.cohorts.genes import harmonise_genes
from tmeprog.cohorts.model import Cohort, CohortMeta, EndpointInfo, coerce_clinical
from tmeprog.errors import InputError

GEO_FTP = "https://ftp.ncbi.nlm.nih.gov/geo"
TABLE_BEGIN = "!series_matrix_table_begin"
TABLE_END = "!series_matrix_table_end"
SYMBOL_COLUMNS = ("gene symbol", "gene_symbol", "symbol", "genesymbol")


def _stub(accession: str) -> str:
    """GEO's folder of an accession: ``GSE25066`` -> ``GSE25nnn``, ``GPL96`` -> ``GPLnnn``."""
    prefix, num = accession[:3], int(accession[3:])
    return f"{prefix}{num // 1000 if num >= 1000 else ''}nnn"


def series_matrix_url(gse: str, platform: str | None = None) -> str:
    """URL of a series matrix on GEO's FTP (``GSE25066`` -> ``.../GSE25nnn/GSE25066/...``)."""
    stub = _stub(gse)
    fname = f"{gse}-{platform}_series_matrix.txt.gz" if platform else \
        f"{gse}_series_matrix.txt.gz"
    return f"{GEO_FTP}/series/{stub}/{gse}/matrix/{fname}"


def supplementary_url(gse: str, fname: str) -> str:
    """URL of a series supplementary file on GEO's FTP."""
    return f"{GEO_FTP}/series/{_stub(gse)}/{gse}/suppl/{fname}"


def platform_annot_url(gpl: str) -> str:
    """URL of GEO's annotation table of a platform (``GPL96`` -> ``.../GPLnnn/GPL96/annot/``)."""
    return f"{GEO_FTP}/platforms/{_stub(gpl)}/{gpl}/annot/{gpl}.annot.gz"


@dataclass
class SeriesMatrix:
    """A parsed series matrix.

    Attributes
    ----------
    series : dict
        ``!Series_*`` fields (without the prefix), each a list of values.
    samples : pandas.DataFrame
        One row per sample (GSM accession): the ``!Sample_*`` fields (``title``,
        ``source_name_ch1`` ...) and every characteristic by its key.
    table : pandas.DataFrame or None
        Probes x samples, float; ``None`` when the matrix carries no values.
    """

    series: dict[str, list[str]]
    samples: pd.DataFrame
    table: pd.DataFrame | None = None
    processing: list[str] = field(default_factory=list)


def _cells(line: str) -> list[str]:
    parts = line.rstrip("\r\n").split("\t")[1:]
    return [p[1:-1] if len(p) >= 2 and p[0] == p[-1] == '"' else p for p in parts]


def _open_text(path: Path):
    with open(path, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    if gz:
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", errors="replace",
                                newline=None)
    return open(path, encoding="utf-8", errors="replace", newline=None)


def parse_series_matrix(path: Path, cohort: str = "geo", read_table: bool = True) -> SeriesMatrix:
    """Parse a GEO series matrix (gzipped or plain).

    Parameters
    ----------
    path : Path
        The series matrix file.
    cohort : str
        Cohort name, for messages about a corrupted cache.
    read_table : bool
        Read the expression table (skip it when only the sample annotation is needed).
    """
    series: dict[str, list[str]] = {}
    fields: dict[str, list[str]] = {}
    chars: list[dict[str, str]] = []
    accessions: list[str] = []
    table = None
    with cache.reading(cohort, path), _open_text(path) as fh:
        for line in fh:
            if line.startswith("!Series_"):
                series.setdefault(line.split("\t", 1)[0][8:], []).extend(_cells(line))
            elif line.startswith("!Sample_characteristics_ch"):
                cells = _cells(line)
                if not chars:
                    chars = [{} for _ in cells]
                for i, cell in enumerate(cells[: len(chars)]):
                    key, sep, val = cell.partition(":")
                    if sep and key.strip():
                        chars[i].setdefault(key.strip(), val.strip())
            elif line.startswith("!Sample_"):
                key = line.split("\t", 1)[0][8:]
                cells = _cells(line)
                if key == "geo_accession":
                    accessions = cells
                fields.setdefault(key, cells)
            elif line.startswith(TABLE_BEGIN):
                if read_table:
                    table = _read_table(fh, path, cohort)
                break
    if not accessions:
        raise InputError(f"{path}: no !Sample_geo_accession line; is this a GEO series matrix?")
    n = len(accessions)
    samples = pd.DataFrame({k: v for k, v in fields.items() if len(v) == n}, index=accessions)
    if chars:
        if len(chars) != n:
            raise InputError(f"{path}: characteristics lines have {len(chars)} cells for {n} "
                             "samples")
        ch = pd.DataFrame(chars, index=accessions)
        samples = samples.drop(columns=[c for c in ch.columns if c in samples.columns]).join(ch)
    samples.index.name = "geo_accession"
    processing = sorted(set(fields.get("data_processing", [])))
    return SeriesMatrix(series, samples, table, processing)


def _read_table(fh, path: Path, cohort: str) -> pd.DataFrame:
    text = fh.read()
    end = text.find(TABLE_END)
    if end < 0:
        raise cache.CorruptCacheError(
            f"cached file {path} has no '{TABLE_END}' line: it is truncated; delete it and run "
            f"`tmeprog cohorts fetch {cohort}`"
        )
    tab = pd.read_csv(io.StringIO(text[:end]), sep="\t", index_col=0, keep_default_na=False,
                      na_values=["", "null", "NULL", "NA", "NaN", "nan"],
                      float_precision="round_trip")
    tab.index = tab.index.astype(str).str.strip()
    tab.columns = tab.columns.astype(str).str.strip()
    return tab.apply(pd.to_numeric, errors="coerce").astype(float)


def parse_platform_annotation(path: Path, cohort: str = "geo") -> tuple[pd.Series, dict]:
    """Probe id -> gene symbol from a GEO platform table.

    Accepts GEO ``.annot`` files, GPL SOFT files (table between ``!platform_table_begin`` and
    ``!platform_table_end``) and plain tables with an ``ID`` column; ``#``, ``!`` and ``^``
    lines outside the table are skipped.

    Returns
    -------
    (pandas.Series, dict)
        Symbols indexed by probe id (unique, non-empty), and counts: ``probes``,
        ``no_symbol``, ``multi_gene``.
    """
    with cache.reading(cohort, path), _open_text(path) as fh:
        text = fh.read()
    begin = text.find("!platform_table_begin")
    if begin >= 0:
        text = text[text.index("\n", begin) + 1:]
        stop = text.find("!platform_table_end")
        text = text if stop < 0 else text[:stop]
    lines = [ln for ln in text.split("\n") if ln and ln[0] not in "#!^"]
    with cache.reading(cohort, path):
        tab = pd.read_csv(io.StringIO("\n".join(lines)), sep="\t", dtype=str,
                          keep_default_na=False, na_filter=False, quoting=3)
    cols = {c.strip().lower(): c for c in tab.columns}
    sym_col = next((cols[c] for c in SYMBOL_COLUMNS if c in cols), None)
    if "id" not in cols or sym_col is None:
        raise InputError(f"{path}: a platform table needs 'ID' and 'Gene Symbol' columns (found "
                         f"{list(tab.columns[:8])})")
    ids = tab[cols["id"]].str.strip()
    sym = tab[sym_col].str.strip()
    multi = sym.str.contains("///", regex=False)
    empty = (sym == "") | sym.str.lower().isin(["---", "na", "null"])
    keep = ~(multi | empty) & (ids != "")
    out = pd.Series(sym[keep].to_numpy(), index=ids[keep].to_numpy(), name="symbol")
    out = out[~out.index.duplicated()]
    counts = {"probes": int(len(tab)), "no_symbol": int(empty.sum()),
              "multi_gene": int((multi & ~empty).sum())}
    return out, counts


def probes_to_genes(table: pd.DataFrame, symbols: pd.Series) -> tuple[pd.DataFrame, list[str]]:
    """Samples x genes from a probes x samples table and a probe -> symbol map.

    Probes without a single symbol are dropped; probes of one gene are collapsed by gene
    harmonisation (the probe with the highest mean is kept).
    """
    mapped = table.index.isin(symbols.index)
    expr = table.loc[mapped].T
    expr.columns = symbols.reindex(table.index[mapped]).to_numpy()
    lines = [f"probes: {len(table)} in the matrix, {int(mapped.sum())} with one gene symbol"]
    expr, rep = harmonise_genes(expr)
    lines.extend(rep.lines())
    return expr, lines


# --------------------------------------------------------------------------------------------
# GSE25066

GSE25066 = "gse25066"
GSE25066_MATRIX = RemoteFile("GSE25066_series_matrix.txt.gz", series_matrix_url("GSE25066"))
GPL96_ANNOT = RemoteFile("GPL96.annot.gz", platform_annot_url("GPL96"))
GSE25066_FILES = (GSE25066_MATRIX, GPL96_ANNOT)

GSE25066_META = CohortMeta(
    source="NCBI GEO GSE25066 series matrix; probe symbols from GEO's GPL96 annotation "
           "(GPL96.annot.gz)",
    platform="Affymetrix HG-U133A (GPL96); MAS5 signal as deposited by the submitters (their "
             "processing note is kept in meta.extra); probes collapsed to genes by max mean",
    scale="log2",
    citation="Hatzis C et al. JAMA 2011;305:1873-1881. doi:10.1001/jama.2011.593 "
             "(PMID 21558518)",
    licence="NCBI GEO public data (no restrictions stated by the submitters)",
    description="HER2-negative breast cancer, neoadjuvant taxane-anthracycline chemotherapy, "
                "508 patients: pCR and DRFS",
)

GSE25066_DEFINITIONS = {
    "pcr": "pathological complete response after neoadjuvant taxane-anthracycline chemotherapy "
           "(characteristic pathologic_response_pcr_rd: pCR = 1, RD (residual disease) = 0)",
    "drfs": "distant-relapse-free survival as coded by the submitters (characteristic "
            "drfs_1_event_0_censored: 1 event, 0 censored); drfs_even_time_years x 12 to months",
}


def _char(s: pd.DataFrame, key: str) -> pd.Series:
    if key in s.columns:
        return s[key]
    return pd.Series(pd.NA, index=s.index, dtype="string")


def gse25066_clinical(s: pd.DataFrame) -> pd.DataFrame:
    """Map the GSE25066 characteristics to the vocabulary.

    ``er_status_ihc``, ``pr_status_ihc``, ``her2_status`` (P/N, I indeterminate -> missing),
    ``age_years``, ``grade``, ``clinical_t_stage`` (T1-T4), ``clinical_nodal_status`` (N0-N3),
    ``pam50_class``; every patient received neoadjuvant chemotherapy.
    """
    er = receptor(_char(s, "er_status_ihc"))
    pr = receptor(_char(s, "pr_status_ihc"))
    her2 = receptor(_char(s, "her2_status"))
    node = leading_int(_char(s, "clinical_nodal_status"), "N", 0, 3)
    pam = clean(_char(s, "pam50_class"))
    out = pd.DataFrame({
        "age": to_num(_char(s, "age_years")),
        **receptor_columns(er, pr, her2),
        "grade": grade(_char(s, "grade")),
        "t_stage": leading_int(_char(s, "clinical_t_stage"), "T", 1, 4),
        "node_status": (node > 0).astype("Int64").where(node.notna()),
        "pam50": pam.where(pam.isin(["LumA", "LumB", "Her2", "Basal", "Normal"])),
        "chemotherapy": pd.Series(1, index=s.index, dtype="Int64"),
    }, index=s.index)
    return coerce_clinical(out)


def gse25066_endpoints(s: pd.DataFrame, report: list[str]) -> pd.DataFrame:
    """``pcr`` and ``drfs`` (months) from the GSE25066 characteristics."""
    pcr = status01(_char(s, "pathologic_response_pcr_rd"), ("pcr",), ("rd",))
    t = to_num(_char(s, "drfs_even_time_years")) * MONTHS_PER_YEAR
    e = to_num(_char(s, "drfs_1_event_0_censored"))
    drfs_t, drfs_e = survival(t, e, "drfs", report)
    return pd.DataFrame({"pcr": pcr.astype(float), "drfs_time": drfs_t, "drfs_event": drfs_e},
                        index=s.index)


def parse_gse25066(matrix: Path, annotation: Path, name: str = GSE25066) -> Cohort:
    """Build GSE25066 from its series matrix and the GPL96 annotation table."""
    report: list[str] = []
    sm = parse_series_matrix(matrix, name)
    if sm.table is None or sm.table.empty:
        raise cache.CorruptCacheError(f"{matrix}: the series matrix holds no expression table; "
                                      f"delete it and run `tmeprog cohorts fetch {name}`")
    symbols, counts = parse_platform_annotation(annotation, name)
    report.append(f"platform: {counts['probes']} probes annotated, {counts['no_symbol']} "
                  f"without a symbol, {counts['multi_gene']} naming several genes (dropped)")
    table = sm.table.loc[:, sm.table.columns.isin(sm.samples.index)]
    table = ensure_log_scale(table, f"cohort {name!r}", "log2 MAS5 signal", transform=True,
                             report=report)
    expr, lines = probes_to_genes(table, symbols)
    report.extend(lines)
    expr = drop_incomplete_genes(expr, report)
    expr.index.name = "sample_id"
    samples = sm.samples.reindex(expr.index)
    clin = gse25066_clinical(samples)
    ends = gse25066_endpoints(samples, report)
    info = {"pcr": EndpointInfo("pcr", "binary", GSE25066_DEFINITIONS["pcr"]),
            "drfs": EndpointInfo("drfs", "survival", GSE25066_DEFINITIONS["drfs"])}
    meta = replace(GSE25066_META, extra={"data_processing": sm.processing})
    return Cohort(name=name, expression=expr.astype(float), clinical=clin, endpoints=ends,
                  endpoint_info=info, meta=meta, report=report)


def load_gse25066() -> Cohort:
    """Load GSE25066 from the cache, downloading the GEO files first when missing."""
    paths = cache.ensure(GSE25066, GSE25066_FILES)
    return parse_gse25066(paths[GSE25066_MATRIX.fname], paths[GPL96_ANNOT.fname])


def looks_like_series_matrix(path: Path) -> bool:
    """True when the file starts like a GEO series matrix (``!Series_`` lines)."""
    try:
        with _open_text(path) as fh:
            head = fh.read(4096)
    except (OSError, EOFError):
        return False
    return bool(re.search(r"^!Series_", head, flags=re.MULTILINE))

