"""Read and write gene sets in the GMT format of GSEA/MSigDB.

One set per line, tab-separated: set name, a description (often a URL; ignored on reading),
then the genes. Blank lines are skipped; empty trailing fields are ignored.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from tmeprog.errors import InputError


def read_gmt(path: str | os.PathLike) -> dict[str, list[str]]:
    """Read a GMT file.

    Parameters
    ----------
    path : str or path-like
        The GMT file.

    Returns
    -------
    dict of str to list of str
        Set name -> genes, in file order; a gene repeated within a set is kept once.

    Raises
    ------
    InputError
        The file is missing or unreadable, holds no set, a set has no gene, or two sets share
        a name.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"GMT file not found: {p}; check the path.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read GMT file {p}: {exc}; give a UTF-8 text file.") from None
    sets: dict[str, list[str]] = {}
    first_line: dict[str, int] = {}
    for lineno, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        fields = [f.strip() for f in raw.split("\t")]
        name = fields[0]
        genes = [g for g in fields[2:] if g]
        if not name:
            raise InputError(f"{p}, line {lineno}: the set has no name in column 1; "
                             "GMT lines are 'name<TAB>description<TAB>gene<TAB>gene...'.")
        if not genes:
            raise InputError(f"{p}, line {lineno}: set '{name}' has no genes (genes start in "
                             "column 3, after a tab-separated description); add genes or "
                             "remove the line.")
        if name in sets:
            raise InputError(f"{p}, line {lineno}: duplicate set name '{name}' (first on line "
                             f"{first_line[name]}); give each set a unique name.")
        sets[name] = list(dict.fromkeys(genes))
        first_line[name] = lineno
    if not sets:
        raise InputError(f"GMT file {p} holds no gene set; expected lines "
                         "'name<TAB>description<TAB>gene<TAB>gene...'.")
    return sets


def write_gmt(
    sets: Mapping[str, Iterable[str]],
    path: str | os.PathLike,
    *,
    descriptions: Mapping[str, str] | None = None,
    overwrite: bool = False,
) -> Path:
    """Write gene sets to a GMT file, atomically.

    Parameters
    ----------
    sets : mapping of str to iterable of str
        Set name -> genes.
    path : str or path-like
        Output file.
    descriptions : mapping of str to str, optional
        Column-2 text per set (default: the set name).
    overwrite : bool, default False
        Replace an existing file; without it an existing file is an error.

    Returns
    -------
    pathlib.Path
        The written path.

    Raises
    ------
    InputError
        The file exists and ``overwrite`` is False, there is no set, a set is empty, or a name,
        description or gene contains a tab or a line break.
    """
    p = Path(path)
    if p.exists() and not overwrite:
        raise InputError(f"{p} already exists; pass overwrite=True to replace it.")
    if not sets:
        raise InputError("no gene set to write; give at least one set.")
    descriptions = descriptions or {}
    lines = []
    for name, genes in sets.items():
        genes = list(dict.fromkeys(str(g) for g in genes))
        desc = descriptions.get(name, name)
        for label, value in [("set name", name), ("description", desc)] + [
                ("gene", g) for g in genes]:
            if not value.strip() and label != "description":
                raise InputError(f"set '{name}': empty {label}; remove it or give a value.")
            if any(c in value for c in "\t\r\n"):
                raise InputError(f"set '{name}': {label} {value!r} contains a tab or line "
                                 "break, which GMT cannot hold; remove it.")
        if not genes:
            raise InputError(f"set '{name}' has no genes; drop it or add genes.")
        lines.append("\t".join([name, desc, *genes]))
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write("\n".join(lines) + "\n")
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p
