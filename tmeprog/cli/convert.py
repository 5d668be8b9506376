"""``tmeprog convert``: write an expression table as an AnnData ``.h5ad`` or ``.zarr`` matrix."""

from __future__ import annotations

from pathlib import Path

import typer

from tmeprog.cli.common import ORIENT_OPT, err, fail
from tmeprog.errors import TmeprogError

BLOCK = 1024


def convert(
    source: Path = typer.Argument(..., help="Expression table: .tsv/.csv/.txt (.gz), .parquet "
                                            "or a folder of parquet parts, or .h5ad/.zarr."),
    target: Path = typer.Argument(..., help="Output: OUT.h5ad or OUT.zarr (samples x genes)."),
    orientation: str = ORIENT_OPT,
    float64: bool = typer.Option(False, "--float64", help="Store float64 (default float32: "
                                                          "half the size; expression needs no "
                                                          "more precision)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output."),
) -> None:
    """Stream a table into the recommended large-cohort layout, a block of samples at a time.

    Values and labels are copied as they are (no gene mapping, no rescaling), so scoring the
    output gives the scores of the input.
    """
    import numpy as np  # deferred: numpy adds ~0.1 s to `tmeprog --help`

    # deferred: tmeprog.scoring loads pandas and scikit-learn, kept out of `tmeprog --help`
    from tmeprog.scoring.inputs import choose_orientation
    from tmeprog.scoring.layout import inspect_table  # deferred: as above
    from tmeprog.scoring.matrix_store import matrix_format, write_matrix  # deferred: as above
    from tmeprog.scoring.reader import open_reader  # deferred: as above
    from tmeprog.tables.tableio import check_output  # deferred: tableio loads pandas

    try:
        if matrix_format(target) is None:
            raise TmeprogError(f"output {str(target)!r}: name it .h5ad or .zarr")
        if target.exists() and not overwrite:
            raise TmeprogError(f"output {str(target)!r} exists; pass --overwrite to replace it")
        # existence is checked above; a .zarr store is a folder, so check where it goes
        check_output(target.parent, what="output folder", folder=True)
        if source.resolve() == target.resolve():
            raise TmeprogError("input and output are the same path; write to a new name")
        layout = inspect_table(source)
        reader = open_reader(layout, choose_orientation(layout, orientation))
        select = np.arange(len(reader.genes))
        blocks = ((ids, vals) for _, ids, vals in reader.chunks(BLOCK, select))
        n = write_matrix(target, reader.genes, blocks,
                         dtype=np.float64 if float64 else np.float32, overwrite=overwrite)
    except TmeprogError as exc:
        fail(exc)
    err.print(f"wrote {n} samples x {len(reader.genes)} genes to {target}", highlight=False)
