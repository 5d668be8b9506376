"""The result of an explanation: a samples x features SHAP table with its base value and scale,
and an atomic parquet writer/reader for it."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tmeprog.errors import InputError, TmeprogError

#: Extra columns of the written SHAP table (feature columns hold the SHAP values).
BASE_COLUMN = "shap_base_value"
OUTPUT_COLUMN = "shap_model_output"
_META_KEY = b"tmeprog.shap"


class AdditivityError(TmeprogError):
    """SHAP values do not add up to the model output (base value + sum != prediction)."""


@dataclass
class ShapExplanation:
    """SHAP values of one model on a set of samples.

    Attributes
    ----------
    values : pandas.DataFrame
        Samples x input features; ``values.sum(axis=1) + base_value`` is the model output.
    base_value : float
        Expected output over the background (the training distribution for trees without a
        background).
    output : str
        The explained output and its scale (e.g. log-hazard, log-odds).
    method : str
        Algorithm and value function (path-dependent or interventional TreeSHAP, linear).
    model : str
        Class of the explained model.
    background : str
        What the base value averages over.
    additivity_error : float
        Largest ``|base + sum(phi) - output|`` over the samples.
    data : pandas.DataFrame or None
        Input feature values of the samples (for plots); not written to parquet.
    compartments : dict
        Feature -> TME compartment, when known.
    """

    values: pd.DataFrame
    base_value: float
    output: str
    method: str
    model: str
    background: str
    additivity_error: float = float("nan")
    data: pd.DataFrame | None = None
    compartments: dict[str, str] = field(default_factory=dict)

    @property
    def features(self) -> list[str]:
        """Feature names, in model order."""
        return [str(c) for c in self.values.columns]

    @property
    def predictions(self) -> pd.Series:
        """Model output reconstructed from the SHAP values (base + row sums)."""
        return (self.values.sum(axis=1) + self.base_value).rename(OUTPUT_COLUMN)

    def to_frame(self) -> pd.DataFrame:
        """SHAP table with :data:`BASE_COLUMN` and :data:`OUTPUT_COLUMN` appended."""
        clash = [c for c in (BASE_COLUMN, OUTPUT_COLUMN) if c in self.values.columns]
        if clash:
            raise InputError(f"feature names {clash} clash with the SHAP table's own columns; "
                             "rename those features")
        out = self.values.copy()
        out[BASE_COLUMN] = self.base_value
        out[OUTPUT_COLUMN] = self.predictions.to_numpy()
        return out

    def metadata(self) -> dict:
        """Scalar description of the explanation (JSON-serialisable)."""
        return {"base_value": float(self.base_value), "output": self.output,
                "method": self.method, "model": self.model, "background": self.background,
                "additivity_error": float(self.additivity_error),
                "compartments": dict(self.compartments)}

    def to_shap(self):
        """A :class:`shap.Explanation` (for shap's plots)."""
        import shap  # deferred: shap (~3 s) only for its own plots; the table needs none of it

        data = None
        if self.data is not None:
            data = self.data.reindex(index=self.values.index, columns=self.values.columns)
            data = data.to_numpy(dtype=float)
        return shap.Explanation(
            values=self.values.to_numpy(dtype=float),
            base_values=np.full(len(self.values), float(self.base_value)),
            data=data, feature_names=self.features,
        )


def write_shap_table(expl: ShapExplanation, path: str | os.PathLike,
                     overwrite: bool = False) -> Path:
    """Write the SHAP table to parquet atomically (temporary file, then rename).

    Parameters
    ----------
    expl : ShapExplanation
    path : path-like
        Destination ``.parquet`` file.
    overwrite : bool, default False
        Replace an existing file; otherwise an existing file is an error.

    Returns
    -------
    pathlib.Path
        The written file. Feature columns hold SHAP values; :data:`BASE_COLUMN` and
        :data:`OUTPUT_COLUMN` are appended; the explanation's metadata are stored in the parquet
        schema under the key ``tmeprog.shap``. Feature values are not written.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise InputError(f"{path} exists; choose another path or pass overwrite=True")
    if not path.parent.is_dir():
        raise InputError(f"folder {path.parent} does not exist; create it first")
    frame = expl.to_frame()
    frame.columns = [str(c) for c in frame.columns]
    table = pa.Table.from_pandas(frame, preserve_index=True)
    meta = dict(table.schema.metadata or {})
    meta[_META_KEY] = json.dumps(expl.metadata()).encode()
    table = table.replace_schema_metadata(meta)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_shap_table(path: str | os.PathLike) -> ShapExplanation:
    """Read a table written by :func:`write_shap_table` (``data`` is None)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path} does not exist")
    table = pq.read_table(path)
    raw = (table.schema.metadata or {}).get(_META_KEY)
    if raw is None:
        raise InputError(f"{path} is not a tmeprog SHAP table (no 'tmeprog.shap' metadata)")
    meta = json.loads(raw)
    frame = table.to_pandas()
    values = frame.drop(columns=[BASE_COLUMN, OUTPUT_COLUMN])
    return ShapExplanation(values=values, base_value=meta["base_value"], output=meta["output"],
                           method=meta["method"], model=meta["model"],
                           background=meta["background"],
                           additivity_error=meta["additivity_error"],
                           compartments=meta.get("compartments", {}))
