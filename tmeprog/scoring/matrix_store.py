"""Expression matrices stored as matrices: AnnData ``.h5ad`` files and zarr stores.

The recommended layout for large cohorts. One matrix ``X`` of samples x genes (AnnData's
convention: observations are samples, variables are genes) in row blocks, with the sample ids
(``obs`` index) and gene labels (``var`` index) beside it, in AnnData's on-disk format, so
``anndata.read_h5ad`` / ``anndata.read_zarr`` read what :func:`write_matrix` writes and any
AnnData file is scored directly. Reading goes through h5py / zarr array slicing and
``anndata.io.read_elem`` (the public API of the format): a block of samples at a time, every
gene of the block in one read, no per-column overhead.

``tmeprog convert IN OUT.h5ad|OUT.zarr`` streams any supported table into this layout.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from tmeprog.errors import InputError
from tmeprog.tables.sniff import matrix_format

#: Samples per stored row block (chunk) of ``X``.
ROW_BLOCK = 1024


def _open_root(path: Path):
    fmt = matrix_format(path)
    try:
        if fmt == "h5ad":
            import h5py  # heavy: loaded for .h5ad stores only

            return h5py.File(path, "r")
        import zarr  # heavy: loaded for .zarr stores only

        return zarr.open_group(str(path), mode="r")
    except Exception as exc:  # h5py / zarr raise several types for unreadable stores
        raise InputError(f"{str(path)!r} is not a readable {fmt} store ({type(exc).__name__}: "
                         f"{str(exc)[:160]}); write it with `tmeprog convert`") from None


def _index(root, key: str, path: Path) -> pd.Index:
    from anndata.io import read_elem  # heavy: loaded on use

    if key not in root:
        raise InputError(f"{str(path)!r} has no {key!r} table; an AnnData store holds obs "
                         "(samples) and var (genes)")
    return pd.Index(read_elem(root[key]).index.astype(str))


class MatrixStore:
    """An opened ``.h5ad`` / ``.zarr`` matrix: sample ids, genes, and row blocks of ``X``.

    Parameters
    ----------
    path : str or Path
        The store.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.root = _open_root(self.path)
        self.sample_ids = _index(self.root, "obs", self.path)
        self.genes = _index(self.root, "var", self.path)
        if "X" not in self.root:
            raise InputError(f"{str(self.path)!r} has no matrix X")
        X = self.root["X"]
        self.sparse = not hasattr(X, "shape") or hasattr(X, "keys")
        if self.sparse:
            from anndata.io import sparse_dataset  # heavy: loaded on use

            X = sparse_dataset(X)
        self.X = X
        if tuple(X.shape) != (len(self.sample_ids), len(self.genes)):
            raise InputError(f"{str(self.path)!r}: X is {X.shape[0]} x {X.shape[1]} but obs has "
                             f"{len(self.sample_ids)} samples and var {len(self.genes)} genes")

    def rows(self, a: int, b: int) -> np.ndarray:
        """Samples ``a:b``, every gene, as float32 (when stored so) or float64."""
        block = self.X[a:b]
        if self.sparse:
            block = block.toarray()
        block = np.asarray(block)
        if block.dtype != np.float32:
            block = block.astype(np.float64, copy=False)
        return block

    def close(self) -> None:
        """Release the file handle (h5ad)."""
        close = getattr(self.root, "close", None)
        if close is not None:
            close()


def store_fingerprint(path: Path) -> dict:
    """Path, total size and latest modification time of the store's files."""
    files = [path] if path.is_file() else [Path(d) / f for d, _, fs in os.walk(path) for f in fs]
    stats = [f.stat() for f in files]
    return {"path": str(path.resolve()), "size": sum(s.st_size for s in stats),
            "mtime_ns": max((s.st_mtime_ns for s in stats), default=0)}


# ----------------------------------------------------------------------------- writing


def _encode(node, kind: str, version: str) -> None:
    node.attrs["encoding-type"] = kind
    node.attrs["encoding-version"] = version


class _Writer:
    """Appends row blocks to ``X`` of a new store (h5py dataset or zarr array, resizable)."""

    def __init__(self, path: Path, fmt: str, n_genes: int, dtype):
        self.fmt, self.n = fmt, 0
        if fmt == "h5ad":
            import h5py  # heavy: loaded for .h5ad stores only

            self.root = h5py.File(path, "w")
            self.X = self.root.create_dataset("X", shape=(0, n_genes), maxshape=(None, n_genes),
                                              chunks=(ROW_BLOCK, max(1, n_genes)), dtype=dtype)
        else:
            import zarr  # heavy: loaded for .zarr stores only

            self.root = zarr.open_group(str(path), mode="w", zarr_format=2)
            self.X = self.root.create_array("X", shape=(0, n_genes),
                                            chunks=(ROW_BLOCK, max(1, n_genes)), dtype=dtype)
        _encode(self.root, "anndata", "0.1.0")
        _encode(self.X, "array", "0.2.0")

    def append(self, block: np.ndarray) -> None:
        a, b = self.n, self.n + len(block)
        self.X.resize((b, self.X.shape[1]))
        self.X[a:b] = block
        self.n = b

    def write_index(self, sample_ids: pd.Index, genes: pd.Index) -> None:
        from anndata.io import write_elem  # heavy: loaded on use

        write_elem(self.root, "obs", pd.DataFrame(index=pd.Index(sample_ids.astype(str))))
        write_elem(self.root, "var", pd.DataFrame(index=pd.Index(genes.astype(str))))

    def close(self) -> None:
        close = getattr(self.root, "close", None)
        if close is not None:
            close()


def write_matrix(out: str | Path, genes: pd.Index, blocks: Iterator[tuple[pd.Index, np.ndarray]],
                 dtype=np.float32, overwrite: bool = False) -> int:
    """Write row blocks of a samples x genes matrix as an AnnData ``.h5ad`` or ``.zarr`` store.

    The store is written beside ``out`` under a temporary name and moved into place at the
    end, so a failed conversion leaves nothing behind.

    Parameters
    ----------
    out : str or Path
        Target ending in ``.h5ad`` or ``.zarr``.
    genes : pandas.Index
        Gene labels of the columns.
    blocks : iterator of (sample ids, values)
        Consecutive samples x genes blocks.
    dtype : numpy dtype, default float32
        Stored value type.
    overwrite : bool, default False
        Replace an existing ``out``.

    Returns
    -------
    int
        Samples written.
    """
    out = Path(out)
    fmt = matrix_format(out)
    if fmt is None:
        raise InputError(f"output {str(out)!r}: name it .h5ad or .zarr")
    if out.exists() and not overwrite:
        raise InputError(f"output {str(out)!r} exists; pass --overwrite to replace it")
    if not out.parent.is_dir():
        raise InputError(f"output folder {str(out.parent)!r} does not exist")
    tmp = out.with_name(f".{out.name}.partial-{os.getpid()}")
    _remove(tmp)
    ids: list[pd.Index] = []
    try:
        w = _Writer(tmp, fmt, len(genes), dtype)
        try:
            for sample_ids, values in blocks:
                w.append(np.asarray(values, dtype=dtype))
                ids.append(pd.Index(sample_ids))
            all_ids = ids[0].append(ids[1:]) if ids else pd.Index([])
            if all_ids.has_duplicates:
                dup = all_ids[all_ids.duplicated()][:5].tolist()
                raise InputError(f"duplicated sample ids {dup}; make them unique first")
            w.write_index(all_ids, genes)
        finally:
            w.close()
        if out.exists():
            _remove(out)
        os.replace(tmp, out)
    except BaseException:
        _remove(tmp)
        raise
    return int(len(all_ids))


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists():
        path.unlink()
