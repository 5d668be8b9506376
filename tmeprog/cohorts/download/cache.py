"""The download cache: one folder per cohort under ``TMEPROG_DATA_DIR`` (default ``./data``).

Every remote file is fetched with pooch, which writes to a temporary file and renames it only
when the transfer is complete, so an interrupted download never leaves a half file under the
final name. Files published under a fixed version carry their known SHA-256; for the others the
hash of the first download is written to a ``<file>.sha256`` sidecar and checked on every later
load, so a file that changed on disk (truncated, edited, partly overwritten) is caught.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import sys
import tempfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd

from tmeprog.errors import DownloadError

DATA_ENV = "TMEPROG_DATA_DIR"
DEFAULT_DATA_DIR = "data"
SIDECAR_SUFFIX = ".sha256"
TIMEOUT_S = 60
CHUNK_BYTES = 1 << 20


class CorruptCacheError(DownloadError):
    """A cached file is truncated, altered or unreadable; deleting it and re-fetching fixes it."""


@dataclass(frozen=True)
class RemoteFile:
    """One public file of a cohort.

    Parameters
    ----------
    fname : str
        File name inside the cohort's cache folder.
    url : str
        Where the file is published.
    sha256 : str or None
        Known hash when the URL names a fixed version; ``None`` when the host republishes the
        file under the same URL (the first download's hash is then recorded in a sidecar).
    """

    fname: str
    url: str
    sha256: str | None = None

    @property
    def host(self) -> str:
        """Host name of the URL."""
        return urlparse(self.url).hostname or self.url


def data_dir() -> Path:
    """The cache root: ``$TMEPROG_DATA_DIR`` or ``./data``."""
    return Path(os.environ.get(DATA_ENV) or DEFAULT_DATA_DIR)


def cohort_dir(cohort: str) -> Path:
    """The cache folder of one cohort (not created)."""
    return data_dir() / cohort


def is_cached(cohort: str, files: Sequence[RemoteFile]) -> bool:
    """True when every file of the cohort is present in its cache folder."""
    d = cohort_dir(cohort)
    return all((d / f.fname).is_file() for f in files)


def sha256_of(path: Path) -> str:
    """SHA-256 hex digest of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK_BYTES), b""):
            h.update(block)
    return h.hexdigest()


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _recorded_hash(path: Path) -> str | None:
    side = _sidecar(path)
    if not side.is_file():
        return None
    first = side.read_text(encoding="utf-8").split()
    return first[0] if first else None


def _record_hash(path: Path, digest: str, url: str) -> None:
    _write_atomic(_sidecar(path), f"{digest}  {url}\n")


def _refetch_hint(cohort: str, path: Path) -> str:
    return f"delete {path} and run `tmeprog cohorts fetch {cohort}` to download it again"


def _offline_message(cohort: str, rf: RemoteFile, exc: BaseException) -> str:
    return (
        f"could not reach {rf.host} to download {rf.fname} for cohort {cohort!r} ({exc}); "
        f"run `tmeprog cohorts fetch {cohort}` with network access, or put the file "
        f"{rf.fname} (from {rf.url}) in {cohort_dir(cohort)}"
    )


def _downloader():
    import pooch  # deferred: pooch and requests take ~0.1 s; only a download needs them

    progress = False
    if sys.stderr.isatty():
        try:
            import tqdm  # noqa: F401

            progress = True
        except ImportError:  # pragma: no cover - tqdm ships with the project environment
            progress = False
    return pooch.HTTPDownloader(progressbar=progress, chunk_size=CHUNK_BYTES, timeout=TIMEOUT_S)


def _retrieve(rf: RemoteFile, folder: Path) -> Path:
    """Download one file with pooch (temporary file, then rename). Tests replace this."""
    import pooch  # deferred: pooch and requests take ~0.1 s; only a download needs them

    known = f"sha256:{rf.sha256}" if rf.sha256 else None
    return Path(pooch.retrieve(rf.url, known_hash=known, fname=rf.fname, path=folder,
                               downloader=_downloader()))


def _download(cohort: str, rf: RemoteFile) -> Path:
    import requests  # deferred: ~0.1 s to load; only a download needs it

    folder = cohort_dir(cohort)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        path = _retrieve(rf, folder)
    except requests.HTTPError as exc:
        raise DownloadError(
            f"{rf.host} refused {rf.url} for cohort {cohort!r} ({exc}); the file may have "
            f"moved: put it in {folder} by hand, or report the broken link"
        ) from exc
    except (requests.RequestException, OSError) as exc:
        raise DownloadError(_offline_message(cohort, rf, exc)) from exc
    except ValueError as exc:  # pooch: hash of the download does not match the known hash
        raise DownloadError(
            f"{rf.fname} downloaded from {rf.host} for cohort {cohort!r} does not have the "
            f"expected SHA-256 {rf.sha256} ({exc}); the published file changed or the transfer "
            "was corrupted; try again, and report it if it persists"
        ) from exc
    _record_hash(path, rf.sha256 or sha256_of(path), rf.url)
    return path


def verify(cohort: str, rf: RemoteFile) -> Path:
    """Check a cached file against its known or recorded hash and return its path.

    A file placed by hand (no sidecar, no known hash) is accepted and its hash recorded.
    """
    path = cohort_dir(cohort) / rf.fname
    if path.stat().st_size == 0:
        raise CorruptCacheError(f"cached file {path} is empty; {_refetch_hint(cohort, path)}")
    expected = rf.sha256 or _recorded_hash(path)
    digest = sha256_of(path)
    if expected is None:
        _record_hash(path, digest, rf.url)
    elif digest != expected:
        what = "published" if rf.sha256 else "recorded when it was downloaded"
        raise CorruptCacheError(
            f"cached file {path} does not match the SHA-256 {what} ({expected[:12]}..., found "
            f"{digest[:12]}...): it is truncated or was altered; {_refetch_hint(cohort, path)}"
        )
    return path


def fetch(cohort: str, files: Sequence[RemoteFile]) -> list[Path]:
    """Download every missing file of a cohort into its cache folder; verify the present ones.

    Raises
    ------
    DownloadError
        When a host cannot be reached, refuses the file, or sends a file with the wrong hash.
    CorruptCacheError
        When a cached file no longer matches its hash.
    """
    out = []
    for rf in files:
        path = cohort_dir(cohort) / rf.fname
        out.append(verify(cohort, rf) if path.is_file() else _download(cohort, rf))
    return out


def ensure(cohort: str, files: Sequence[RemoteFile]) -> dict[str, Path]:
    """Paths of every file of a cohort, downloading the missing ones; keyed by file name."""
    return {rf.fname: p for rf, p in zip(files, fetch(cohort, files), strict=True)}


_PARSE_ERRORS: tuple[type[BaseException], ...] = (
    EOFError, gzip.BadGzipFile, zlib.error, UnicodeDecodeError, pd.errors.ParserError,
    pd.errors.EmptyDataError)
try:  # the pyarrow CSV reader reports malformed rows as ArrowInvalid
    from pyarrow import ArrowInvalid

    _PARSE_ERRORS += (ArrowInvalid,)
except ImportError:  # pragma: no cover - pyarrow ships with the project environment
    pass


@contextlib.contextmanager
def reading(cohort: str, path: Path) -> Iterator[None]:
    """Turn a parse failure of a cached file into a :class:`CorruptCacheError` saying what to do."""
    try:
        yield
    except _PARSE_ERRORS as exc:
        raise CorruptCacheError(
            f"could not read cached file {path} ({type(exc).__name__}: {exc}); it looks "
            f"truncated or corrupted; {_refetch_hint(cohort, path)}"
        ) from exc


def check_last_line(cohort: str, path: Path, n_fields: int, sep: str = "\t") -> None:
    """Raise :class:`CorruptCacheError` when the last row of a plain-text table is cut short.

    A download cut mid-row leaves a last line with fewer fields than the header; pandas would
    silently pad it with missing values.
    """
    size = path.stat().st_size
    with open(path, "rb") as fh:
        fh.seek(max(0, size - 65536))
        tail = fh.read()
    lines = [ln for ln in tail.replace(b"\r", b"\n").split(b"\n") if ln.strip()]
    if not lines:
        return
    found = lines[-1].count(sep.encode()) + 1
    if found < n_fields:
        raise CorruptCacheError(
            f"cached file {path} ends with a row of {found} fields where the header has "
            f"{n_fields}: the file is truncated; {_refetch_hint(cohort, path)}"
        )
