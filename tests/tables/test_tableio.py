"""Checking an output path before any work: exists, folder, file in the way, unwritable."""

import pytest

from tmeprog.errors import EnvironmentFault, InputError
from tmeprog.tables.tableio import check_output


def test_check_output_cases(tmp_path, unwritable):
    (tmp_path / "old.tsv").write_text("x\n")
    with pytest.raises(InputError, match="exists; pass --overwrite"):
        check_output(tmp_path / "old.tsv")
    assert check_output(tmp_path / "old.tsv", overwrite=True) == tmp_path / "old.tsv"
    with pytest.raises(InputError, match="is a folder"):
        check_output(tmp_path)
    with pytest.raises(InputError, match="is a file, not a folder"):
        check_output(tmp_path / "old.tsv" / "new.tsv")
    with pytest.raises(InputError, match="is a file; give a folder"):
        check_output(tmp_path / "old.tsv", folder=True)
    before = sorted(tmp_path.rglob("*"))
    check_output(tmp_path / "a" / "b" / "new.tsv")  # will be created: fine, nothing made now
    assert sorted(tmp_path.rglob("*")) == before
    with pytest.raises(EnvironmentFault, match="cannot be written"):
        check_output(unwritable / "x.tsv")
