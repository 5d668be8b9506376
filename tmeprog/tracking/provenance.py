"""Run provenance: package versions, git commit and data fingerprints (no patient rows)."""

from __future__ import annotations

import hashlib
import subprocess
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

PACKAGES = ("tmeprog", "numpy", "pandas", "scikit-learn", "scikit-survival", "lifelines",
            "xgboost-cpu", "xgboost", "shap", "mlflow", "scipy", "SurvSet")


def package_versions() -> dict[str, str]:
    """Installed versions of the packages that determine the numbers."""
    out = {}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            continue
    return out


def git_commit(path: str | Path = ".") -> str:
    """The checkout's commit (with ``-dirty`` when it has uncommitted changes), or ``unknown``."""
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=path, capture_output=True,
                             text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=path, capture_output=True, text=True, timeout=10).stdout
        return sha + ("-dirty" if dirty.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def frame_fingerprint(df: pd.DataFrame | None) -> str:
    """sha256 of a frame's index, columns and values (order-sensitive), as hex; ``none``."""
    if df is None:
        return "none"
    h = hashlib.sha256()
    h.update("\x1f".join(map(str, df.index)).encode())
    h.update(b"\x1e")
    h.update("\x1f".join(map(str, df.columns)).encode())
    h.update(b"\x1e")
    hashed = pd.util.hash_pandas_object(df, index=False).to_numpy()
    h.update(np.ascontiguousarray(hashed).tobytes())
    return h.hexdigest()
