"""Fixtures for the download tests: no external network, and fixture files installed in the cache.

Every test here runs with the pooch download replaced by a function that fails, and with socket
connections to anything but the loopback interface refused, so no test can reach a public host.
"""

from __future__ import annotations

import gzip
import shutil
import socket
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tmeprog.cohorts.download import cache
from tmeprog.cohorts.download.cache import RemoteFile

FIX = FIXTURES / "download"
REAL_RETRIEVE = cache._retrieve
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    def refuse(rf, folder):
        raise AssertionError(f"a test tried to download {rf.url}")

    real_connect = socket.socket.connect

    def loopback_only(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in LOOPBACK and not host.startswith("/"):
            raise AssertionError(f"a test tried to connect to {host}")
        return real_connect(self, address)

    monkeypatch.setattr(cache, "_retrieve", refuse)
    monkeypatch.setattr(socket.socket, "connect", loopback_only)


def install(cohort: str, files: Sequence[RemoteFile], folder: str) -> Path:
    """Copy fixture files into the cohort's cache folder, gzipping those published gzipped.

    The fixture of ``X.gz`` is the plain text ``X`` (readable in review); it is compressed here.
    """
    dest = cache.cohort_dir(cohort)
    dest.mkdir(parents=True, exist_ok=True)
    for rf in files:
        if rf.fname.endswith(".gz"):
            src = FIX / folder / rf.fname[:-3]
            with open(src, "rb") as fi, gzip.open(dest / rf.fname, "wb") as fo:
                shutil.copyfileobj(fi, fo)
        else:
            shutil.copyfile(FIX / folder / rf.fname, dest / rf.fname)
    return dest


def unhashed(files: Sequence[RemoteFile]) -> tuple[RemoteFile, ...]:
    """The same files without known hashes (fixtures stand in for versioned public files)."""
    return tuple(RemoteFile(f.fname, f.url, None) for f in files)
