"""GMT reading and writing."""

import pytest

from tmeprog.errors import InputError
from tmeprog.signatures import read_gmt, write_gmt


def test_read_ignores_description_blank_lines_and_trailing_tabs(tmp_path):
    p = tmp_path / "s.gmt"
    p.write_text("A\thttp://example.org/A\tG1\tG2\tG1\t\n\n  \nB\t\tG3\r\n", encoding="utf-8")
    assert read_gmt(p) == {"A": ["G1", "G2"], "B": ["G3"]}


@pytest.mark.parametrize("text, msg", [
    ("", "holds no gene set"),
    ("\n\n", "holds no gene set"),
    ("A\tdesc\tG1\nA\tdesc\tG2\n", "duplicate set name 'A' \\(first on line 1\\)"),
    ("A\tdesc\n", "has no genes"),
    ("\tdesc\tG1\n", "no name"),
])
def test_read_errors(tmp_path, text, msg):
    p = tmp_path / "bad.gmt"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=msg):
        read_gmt(p)


def test_read_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_gmt(tmp_path / "nope.gmt")


def test_write_round_trip_atomic_and_no_overwrite(tmp_path):
    p = tmp_path / "sub" / "o.gmt"
    sets = {"S1": ["TP53", "MYC"], "S2": ["CD8A"]}
    write_gmt(sets, p, descriptions={"S1": "https://doi.org/10.1/x"})
    lines = p.read_text().splitlines()
    assert lines == ["S1\thttps://doi.org/10.1/x\tTP53\tMYC", "S2\tS2\tCD8A"]
    assert read_gmt(p) == sets
    with pytest.raises(InputError, match="already exists"):
        write_gmt({"S3": ["A"]}, p)
    assert read_gmt(p) == sets  # untouched
    write_gmt({"S3": ["A"]}, p, overwrite=True)
    assert read_gmt(p) == {"S3": ["A"]}
    assert sorted(x.name for x in p.parent.iterdir()) == ["o.gmt"]  # no temp files left


@pytest.mark.parametrize("sets, msg", [
    ({}, "no gene set"),
    ({"S": []}, "no genes"),
    ({"S\tX": ["A"]}, "tab or line break"),
    ({"S": ["A\nB"]}, "tab or line break"),
])
def test_write_errors(tmp_path, sets, msg):
    with pytest.raises(InputError, match=msg):
        write_gmt(sets, tmp_path / "x.gmt")
    assert not (tmp_path / "x.gmt").exists()
