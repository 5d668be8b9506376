"""Damaged text tables: a truncated .gz stream and a cut row are located by line."""

import gzip

from tmeprog.tables.damage import gzip_truncated_at, ragged_line


def test_truncated_gz_and_cut_row_are_located(tmp_path):
    rows = ["gene\ta\tb"] + [f"G{i}\t{i}\t{i}" for i in range(50_000)]
    data = ("\n".join(rows) + "\n").encode()
    whole = tmp_path / "w.tsv.gz"
    whole.write_bytes(gzip.compress(data))
    assert gzip_truncated_at(whole) is None
    cut = tmp_path / "c.tsv.gz"
    blob = gzip.compress(data)
    cut.write_bytes(blob[: len(blob) // 2])
    line = gzip_truncated_at(cut)
    assert 2 < line < len(rows)
    short = tmp_path / "s.tsv"
    short.write_text("gene\ta\tb\nG1\t1\t2\n\nG2\t1\nG3\t1\t2\n")
    assert ragged_line(short, "\t", 1, 3) == (4, 2)
