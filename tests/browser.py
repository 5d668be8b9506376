"""Headless Debian Chromium for the browser tests (installed by ``make test`` when missing)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

needs_chromium = pytest.mark.skipif(shutil.which("chromium") is None,
                                    reason="Debian chromium not installed")


def _flags(profile: Path) -> list[str]:
    return ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}"]


def dom(url: str, profile: Path, wait_ms: int = 0) -> str:
    """The page's DOM after load (and ``wait_ms`` of virtual time for script-built pages)."""
    extra = [f"--virtual-time-budget={wait_ms}"] if wait_ms else []
    return subprocess.run(["chromium", *_flags(profile), *extra, "--dump-dom", url],
                          capture_output=True, text=True, timeout=180).stdout


def screenshot(url: str, out: Path, profile: Path, size: str = "1200,1400") -> Path:
    """A PNG screenshot of the page."""
    subprocess.run(["chromium", *_flags(profile), f"--window-size={size}",
                    f"--screenshot={out}", url], capture_output=True, timeout=180)
    return out
