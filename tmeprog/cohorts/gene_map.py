"""Offline identifier -> current HGNC symbol mapping.

The table ``data/gene_map.tsv.gz`` is built by ``scripts/build_gene_map.R`` from Bioconductor's
``org.Hs.eg.db`` (its version is stated in the file's ``#`` header, see :func:`gene_map_version`).
Each row maps one upper-cased identifier to a current symbol, with its kind:

``symbol``     a current symbol (matched case-insensitively; the official spelling is returned)
``alias``      an outdated or alternative symbol that names exactly one current symbol
``ensembl``    an Ensembl gene id (``ENSG...``) naming exactly one current symbol
``entrez``     an Entrez (NCBI) gene id
``ambiguous``  an alias or Ensembl id naming several current symbols: never mapped

An alias that is itself a current symbol is never remapped. The table is read once, lazily.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

MAP_FILE = "gene_map.tsv.gz"
KINDS = ("symbol", "alias", "ensembl", "entrez", "unknown")

_ENSEMBL_VERSION = re.compile(r"^(ENS[A-Z]*G\d{6,})\.\d+$")
_SEPARATORS = re.compile(r"[_.]")


@dataclass(frozen=True)
class _GeneMap:
    keys: pd.Index          # upper-cased identifiers, unique
    kinds: np.ndarray       # kind of each key
    symbols: np.ndarray     # current symbol (or 'A|B' candidates when ambiguous)
    current: pd.Index       # the current symbols, official spelling
    header: tuple[str, ...]


def _map_path():
    return resources.files("tmeprog.cohorts").joinpath("data", MAP_FILE)


@lru_cache(maxsize=1)
def _load() -> _GeneMap:
    path = _map_path()
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        header = []
        for line in fh:
            if not line.startswith("#"):
                break
            header.append(line[1:].strip())
    with path.open("rb") as raw:
        tab = pd.read_csv(raw, sep="\t", compression="gzip", skiprows=len(header), dtype=str,
                          keep_default_na=False, na_filter=False, engine="c", quoting=3)
    keys = pd.Index(tab["id"].to_numpy())
    if not keys.is_unique:  # pragma: no cover - guarded by the build script
        raise RuntimeError(f"{MAP_FILE}: identifiers are not unique")
    kinds = tab["kind"].to_numpy()
    symbols = tab["symbol"].to_numpy()
    current = pd.Index(symbols[kinds == "symbol"])
    return _GeneMap(keys, kinds, symbols, current, tuple(header))


def gene_map_version() -> str:
    """The source line of the mapping table (``org.Hs.eg.db`` version and source dates)."""
    for line in _load().header:
        if line.startswith("source:"):
            return line[len("source:"):].strip()
    return "unknown"


def current_symbols() -> pd.Index:
    """Every current symbol of the table, in its official spelling."""
    return _load().current


def is_current_symbol(symbols) -> np.ndarray:
    """Whether each symbol is a current symbol (exact spelling).

    Parameters
    ----------
    symbols : array-like of str

    Returns
    -------
    numpy.ndarray of bool
    """
    return pd.Index(symbols).isin(_load().current)


def normalise_ids(ids) -> pd.Index:
    """Trim white space, upper-case, and drop Ensembl version suffixes (``ENSG...12.4``)."""
    s = pd.Index(ids).astype(str).str.strip().str.upper()
    return pd.Index(s.str.replace(_ENSEMBL_VERSION, r"\1", regex=True))


def _lookup(keys: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    gm = _load()
    pos = gm.keys.get_indexer(keys)
    hit = pos >= 0
    kinds = np.full(len(keys), "unknown", dtype=object)
    syms = np.full(len(keys), None, dtype=object)
    kinds[hit] = gm.kinds[pos[hit]]
    syms[hit] = gm.symbols[pos[hit]]
    return syms, kinds


def resolve_identifiers(ids) -> pd.DataFrame:
    """Map identifiers to current symbols, with details.

    Identifiers are matched case-insensitively after :func:`normalise_ids`. Unmatched ones
    with ``_`` or ``.`` are tried again with ``-`` (``HLA_A``, ``HLA.A`` -> ``HLA-A``, as
    left by R's ``make.names`` and similar tools).

    Parameters
    ----------
    ids : array-like of str

    Returns
    -------
    pandas.DataFrame
        One row per identifier, in order: ``id`` (as given), ``symbol`` (current symbol or
        missing), ``kind`` (``symbol``, ``alias``, ``ensembl``, ``entrez``, ``ambiguous``,
        ``unknown``) and ``candidates`` (the symbols an ambiguous identifier could mean).
    """
    given = pd.Index(ids).astype(str)
    keys = normalise_ids(given)
    syms, kinds = _lookup(keys)
    has_sep = np.asarray(keys.str.contains(_SEPARATORS), dtype=bool)
    retry = np.flatnonzero((kinds == "unknown") & has_sep)
    if len(retry):
        alt = pd.Index(keys[retry].str.replace(_SEPARATORS, "-", regex=True))
        s2, k2 = _lookup(alt)
        ok = k2 != "unknown"
        syms[retry[ok]] = s2[ok]
        kinds[retry[ok]] = k2[ok]
    amb = kinds == "ambiguous"
    cands = np.full(len(keys), None, dtype=object)
    cands[amb] = syms[amb]
    syms[amb] = None
    return pd.DataFrame({"id": given.to_numpy(), "symbol": syms, "kind": kinds,
                         "candidates": cands})


def map_identifiers(ids: pd.Index) -> tuple[pd.Series, pd.Series]:
    """Map identifiers to current symbols.

    Parameters
    ----------
    ids : pandas.Index
        Symbols, aliases, Ensembl gene ids (a version suffix is dropped) or Entrez ids.

    Returns
    -------
    (pandas.Series, pandas.Series)
        Mapped symbols (missing where unmapped) and the kind of each identifier
        (``symbol``, ``alias``, ``ensembl``, ``entrez``, ``unknown``); ambiguous aliases are
        ``unknown``. Both are indexed ``0 .. len(ids) - 1``.
    """
    d = resolve_identifiers(ids)
    kinds = d["kind"].where(d["kind"] != "ambiguous", "unknown")
    return d["symbol"], kinds
