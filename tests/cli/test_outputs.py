"""Every command that writes a file checks its output first: exists -> 2, unwritable -> 3."""

import time
from pathlib import Path

import pytest

from tmeprog.cli import app
from tmeprog.cli import exit_codes as codes
from tmeprog.cli.handler import run


def _commands(out_dir: Path, tmp_path: Path) -> dict[str, list[str]]:
    model = "models:/no-such@champion"
    return {
        "features": ["features", "gse4335", "-o", str(out_dir / "f.tsv")],
        "subtypes": ["subtypes", "gse4335", "-o", str(out_dir / "s.tsv")],
        "score": ["score", "gse4335", "-m", model, "-o", str(out_dir / "r.tsv")],
        "explain": ["explain", model, "gse4335", "-o", str(out_dir / "x.parquet")],
        "explain --figures": ["explain", model, "gse4335", "-o", str(tmp_path / "x.parquet"),
                              "--figures", str(out_dir / "figs")],
        "report": ["report", "0" * 32, "-o", str(out_dir / "r.html")],
        "convert": ["convert", str(tmp_path / "in.tsv"), str(out_dir / "c.h5ad")],
    }


@pytest.mark.parametrize("command", list(_commands(Path("."), Path("."))))
def test_an_unwritable_output_folder_exits_3_before_work(command, unwritable, tmp_path,
                                                         capsys):
    (tmp_path / "in.tsv").write_text("gene\tS1\nCD8A\t1.0\n")
    args = _commands(unwritable, tmp_path)[command]
    t0 = time.monotonic()
    status = run(app, args)
    took = time.monotonic() - t0
    err = capsys.readouterr().err
    assert status == codes.ENVIRONMENT, err
    assert "cannot be written" in err and "Traceback" not in err
    assert took < 5, f"{command}: refused only after {took:.1f} s (work was done first)"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.tsv"]


@pytest.mark.parametrize("command", list(_commands(Path("."), Path("."))))
def test_an_existing_output_exits_2_before_work(command, tmp_path, capsys):
    (tmp_path / "in.tsv").write_text("gene\tS1\nCD8A\t1.0\n")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    args = _commands(out_dir, tmp_path)[command]
    target = Path(args[args.index("--figures") + 1] if "--figures" in args else
                  (args[-1] if command == "convert" else args[args.index("-o") + 1]))
    if command == "explain --figures":
        target.mkdir()
        (target / "shap_01_beeswarm.png").write_bytes(b"old")
    else:
        target.write_bytes(b"old")
    status = run(app, args)
    err = " ".join(capsys.readouterr().err.split())
    assert status == codes.USAGE, err
    assert "exists" in err or "already holds" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.tsv", "out"]
    held = sorted(p.name for p in out_dir.rglob("*"))
    assert held == sorted([target.name] + (["shap_01_beeswarm.png"] if target.is_dir()
                                           else []))


def test_train_into_an_unwritable_store_exits_3_before_work(unwritable, capsys):
    t0 = time.monotonic()
    status = run(app, ["train", "--quick", "--tracking-uri",
                       f"sqlite:///{unwritable / 'mlflow.db'}"])
    took = time.monotonic() - t0
    err = capsys.readouterr().err
    assert status == codes.ENVIRONMENT, err
    assert "tracking store" in err and "cannot be written" in err
    assert took < 10, f"refused only after {took:.1f} s"


def test_disk_full_while_writing_exits_3_and_leaves_nothing(tmp_path, monkeypatch, capsys):
    import errno

    import pandas as pd

    real = pd.DataFrame.to_csv

    def half_then_full(self, path, *args, **kwargs):
        real(self.iloc[:3], path, *args, **kwargs)  # part of the file is on disk
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(pd.DataFrame, "to_csv", half_then_full)
    out = tmp_path / "out" / "features.tsv"
    status = run(app, ["features", "gse4335", "-o", str(out)])
    err = capsys.readouterr().err
    assert status == codes.ENVIRONMENT, err
    assert "no space left on the device" in err and "Traceback" not in err
    assert not out.exists()
    assert [p.name for p in out.parent.iterdir()] == []  # no temporary file left either
