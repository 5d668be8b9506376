"""Expression scale: detect it from the values, and bring linear data to log2.

Scales (the ``scale`` of :class:`tmeprog.cohorts.model.CohortMeta`):

``counts``      raw sequencing counts: non-negative integers with a large maximum
``tpm``         TPM: non-negative, linear, every sample summing to about one million
``linear``      other linear values (FPKM, RPKM, microarray intensities): non-negative,
                heavily right-skewed, maximum far above 100
``log2``        log2 intensities or log2(x + 1) expression: range about 0-20
``log2_ratio``  two-colour log ratios (or gene-centred log values): centred on 0, roughly
                symmetric, many negative values
``ambiguous``   none of the above clearly; the caller must state the scale (``scale=``,
                CLI ``--scale``)

Detection looks at the finite values only. :func:`to_log2` turns ``counts`` into log2(CPM + 1)
and ``tpm`` / ``linear`` into log2(x + 1); log data pass through unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tmeprog.errors import InputError

SCALES = ("counts", "tpm", "linear", "log2", "log2_ratio")
SCALE_ALIASES = {"fpkm": "linear", "rpkm": "linear", "intensity": "linear", "count": "counts",
                 "log": "log2", "log2ratio": "log2_ratio", "ratio": "log2_ratio"}
LINEAR_SCALES = ("counts", "tpm", "linear")


@dataclass(frozen=True)
class ScaleResult:
    """A detected (or stated) scale and why."""

    scale: str
    reason: str


def normalise_scale_name(scale: str) -> str:
    """Canonical scale name for a user-given ``scale`` (``FPKM`` -> ``linear`` ...).

    Raises
    ------
    InputError
        When the name is not a known scale.
    """
    key = str(scale).strip().lower().replace("-", "_")
    key = SCALE_ALIASES.get(key, key)
    if key not in SCALES:
        raise InputError(
            f"unknown expression scale {scale!r}; use one of {', '.join(SCALES)} "
            "(fpkm/rpkm count as linear)"
        )
    return key


def _as_matrix(values) -> np.ndarray:
    if isinstance(values, pd.DataFrame):
        values = values.to_numpy(dtype=float, na_value=np.nan)
    a = np.asarray(values, dtype=float)
    if a.ndim == 1:
        a = a[None, :]
    return a


def detect_scale(values: np.ndarray | pd.DataFrame) -> ScaleResult:
    """Detect the scale of an expression matrix.

    Parameters
    ----------
    values : numpy.ndarray or pandas.DataFrame
        Samples x genes (rows are samples; used for the TPM per-sample sums).

    Returns
    -------
    ScaleResult
        ``scale`` is one of ``counts``, ``tpm``, ``linear``, ``log2``, ``log2_ratio`` or
        ``ambiguous``; ``reason`` states the evidence.
    """
    a = _as_matrix(values)
    v = a[np.isfinite(a)]
    if v.size == 0:
        return ScaleResult("ambiguous", "no finite values")
    lo, hi = float(v.min()), float(v.max())
    q01, q25, q50, q75, q99 = (float(x) for x in np.quantile(v, [0.01, 0.25, 0.5, 0.75, 0.99]))
    frac_neg = float((v < 0).mean())
    desc = f"min {lo:.3g}, median {q50:.3g}, max {hi:.3g}, {100 * frac_neg:.1f}% negative"

    if lo >= 0:
        integer = bool(np.all(v == np.round(v)))
        if integer and hi >= 1000:
            return ScaleResult("counts", f"non-negative integers with a large maximum ({desc})")
        if integer and hi <= 25:
            return ScaleResult("ambiguous", f"small non-negative integers ({desc})")
        if hi > 1000 and q99 >= 10 * max(q50, 1e-9):
            sums = np.nansum(np.where(np.isfinite(a), a, 0.0), axis=1)
            if a.shape[0] > 0 and np.all(np.abs(sums - 1e6) <= 0.1e6):
                return ScaleResult(
                    "tpm", f"linear, heavy right skew, every sample sums to about 1e6 ({desc})")
            return ScaleResult(
                "linear", f"non-negative, heavy right skew (99th percentile {q99:.3g} vs "
                          f"median {q50:.3g}), maximum far above 100 ({desc})")
    if 6 <= hi <= 25 and lo >= -2 and frac_neg <= 0.05 and q50 >= 0:
        return ScaleResult("log2", f"range about 0-20, few or no negative values ({desc})")
    spread = max(q75 - q25, 1e-12)
    symmetric = abs(q50) <= 0.25 * spread and 0.25 <= frac_neg <= 0.75
    if symmetric and max(abs(lo), abs(hi)) <= 30 and -q01 > 0:
        return ScaleResult(
            "log2_ratio", f"centred on 0 with many negative values, roughly symmetric ({desc})")
    return ScaleResult("ambiguous", f"values fit no known scale clearly ({desc})")


def resolve_scale(values, scale: str | None = None) -> ScaleResult:
    """The scale to use: ``scale`` when given (checked against the data), else detected.

    Raises
    ------
    InputError
        When no scale is given and detection is ambiguous, or a linear scale is stated for
        data with negative values.
    """
    found = detect_scale(values)
    if scale is None:
        if found.scale == "ambiguous":
            raise InputError(
                f"cannot tell the expression scale: {found.reason}; state it with scale= "
                f"(CLI --scale), one of {', '.join(SCALES)}"
            )
        return ScaleResult(found.scale, f"detected: {found.reason}")
    name = normalise_scale_name(scale)
    a = _as_matrix(values)
    if name in LINEAR_SCALES and np.nanmin(a) < 0:
        raise InputError(
            f"scale {scale!r} was stated but the data hold negative values ({found.reason}); "
            "linear data cannot be negative: check the file or state a log scale"
        )
    return ScaleResult(name, f"stated by the user (detection said {found.scale}: {found.reason})")


def to_log2(frame: pd.DataFrame, scale: str) -> tuple[pd.DataFrame, str]:
    """Bring a samples x genes matrix to a log2 scale.

    Parameters
    ----------
    frame : pandas.DataFrame
        Samples x genes.
    scale : str
        Its scale (see :data:`SCALES`).

    Returns
    -------
    (pandas.DataFrame, str)
        The log2 matrix and a note saying what was done.
    """
    name = normalise_scale_name(scale)
    if name in ("log2", "log2_ratio"):
        return frame, f"scale {name}: values used as they are"
    x = frame.astype(float)
    if (x.to_numpy() < 0).any():
        raise InputError(f"scale {name}: negative values cannot be log-transformed")
    if name == "counts":
        lib = x.sum(axis=1)
        if (lib <= 0).any():
            raise InputError(
                f"scale counts: samples with zero total counts {lib.index[lib <= 0][:5].tolist()}"
            )
        x = x.div(lib, axis=0) * 1e6
        return np.log2(x + 1.0), "scale counts: library-size normalised to CPM, then log2(CPM + 1)"
    return np.log2(x + 1.0), f"scale {name}: log2(x + 1) applied"
