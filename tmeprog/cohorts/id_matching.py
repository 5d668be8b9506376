"""Sample-id matching of a clinical table: every sample needs a clinical row.

A clinical table that covers only part of the samples is an error, naming how many samples
lack a row, the first few ids and, when ids differ only in case or white space, that they do.
With ``allow_missing=True`` (``--allow-missing-covariates``) the samples without a row are kept,
their covariates imputed, and the caller counts and flags them.
"""

from __future__ import annotations

import pandas as pd

from tmeprog.cohorts.sanity import ALLOW_FLAG
from tmeprog.errors import InputError

N_SHOWN = 5


def _loose(ids: pd.Index) -> pd.Index:
    """Ids case-folded, with every white-space character removed."""
    return pd.Index(pd.Index(ids).astype(str).str.replace(r"\s+", "", regex=True).str.casefold())


def _shown(ids) -> str:
    ids = list(map(str, ids))
    more = f" ... ({len(ids)} in all)" if len(ids) > N_SHOWN else ""
    return ", ".join(repr(i) for i in ids[:N_SHOWN]) + more


def loose_hint(missing: pd.Index, rows: pd.Index) -> str:
    """A hint when ids of ``missing`` match ids of ``rows`` ignoring case and white space."""
    loose_rows = _loose(rows)
    if loose_rows.has_duplicates:
        loose_rows = loose_rows[~loose_rows.duplicated()]
        rows = pd.Index(rows)[~_loose(rows).duplicated()]
    pos = loose_rows.get_indexer(_loose(missing))
    hit = pos >= 0
    if not hit.any():
        return ""
    pairs = [f"{a!r} vs {b!r}" for a, b in zip(pd.Index(missing)[hit][:3],
                                               pd.Index(rows)[pos[hit]][:3], strict=True)]
    return (f"; {int(hit.sum())} of them match a clinical id when case and white space are "
            f"ignored (e.g. {', '.join(pairs)}): ids are compared exactly, so make the spelling "
            "the same in both files")


def check_clinical_rows(samples: pd.Index, rows: pd.Index, where: str, of: str,
                        allow_missing: bool = False, id_column: str | None = None) -> str | None:
    """Require a clinical row for every sample.

    Parameters
    ----------
    samples : pandas.Index
        Ids of the samples being loaded or scored.
    rows : pandas.Index
        Ids of the clinical table's rows.
    where : str
        The clinical table, for messages.
    of : str
        What the samples belong to (``"expression file 'x.tsv'"``), for messages.
    allow_missing : bool
        Keep samples without a row (their covariates imputed) instead of raising.
    id_column : str, optional
        The clinical table's id column, named in messages.

    Returns
    -------
    str or None
        A report line when samples lack a row (only with ``allow_missing``), else None.

    Raises
    ------
    InputError
        Some samples have no row and ``allow_missing`` is False.
    """
    samples = pd.Index(samples).astype(str)
    missing = samples[~samples.isin(pd.Index(rows).astype(str))]
    if not len(missing):
        return None
    col = f" (id column {id_column!r})" if id_column else ""
    msg = (f"{where}{col}: {len(missing)} of {len(samples)} samples of {of} have no clinical "
           f"row, e.g. {_shown(missing)}{loose_hint(missing, pd.Index(rows).astype(str))}")
    if not allow_missing:
        raise InputError(f"{msg}; every sample needs a row: add the rows or fix the ids, or pass "
                         f"{ALLOW_FLAG} to impute their covariates (flagged per sample)")
    return f"{msg}; their covariates are imputed ({ALLOW_FLAG})"
