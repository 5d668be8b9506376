"""The top-level handler: one line and a documented exit status for every kind of failure."""

import errno
import os
import signal
import subprocess
import sys
import time

import pytest
import typer

from tmeprog.cli import exit_codes as codes
from tmeprog.cli.handler import classify, run
from tmeprog.errors import DownloadError, InputError


def _app(exc: BaseException) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    def boom(path: str = typer.Argument("-")) -> None:
        raise exc

    @app.command()
    def other() -> None:  # two commands: the app is a group, as tmeprog's
        pass

    return app


def _run(capsys, exc, *args):
    status = run(_app(exc), ["boom", *args])
    cap = capsys.readouterr()
    return status, cap.err


@pytest.mark.parametrize(("exc", "status", "text"), [
    (InputError("[validation] cv_folds: expected an integer, got 'five'"), codes.USAGE,
     "error: [validation] cv_folds: expected an integer, got 'five'"),
    (OSError(errno.ENOSPC, "No space left on device", "/out/results.parquet"),
     codes.ENVIRONMENT, "/out/results.parquet: no space left on the device; free some space"),
    (PermissionError(errno.EACCES, "Permission denied", "/ro/out.tsv"), codes.ENVIRONMENT,
     "/ro/out.tsv: permission denied"),
    (OSError(errno.EROFS, "Read-only file system", "/mnt/x"), codes.ENVIRONMENT,
     "/mnt/x: read-only file system"),
    (FileNotFoundError(errno.ENOENT, "No such file or directory", "expr.tsv"), codes.USAGE,
     "expr.tsv: no such file or folder"),
    (DownloadError("GSE1992: could not fetch (offline?)"), codes.ENVIRONMENT,
     "error: GSE1992: could not fetch (offline?)"),
    (RuntimeError("unexpected [state]"), codes.INTERNAL,
     "internal error: RuntimeError: unexpected [state] (please report; rerun with "
     "TMEPROG_DEBUG=1 for the traceback)"),
    (KeyboardInterrupt(), codes.INTERRUPTED, "interrupted"),
    (EOFError("Compressed file ended before the end-of-stream marker was reached"),
     codes.USAGE, "error: an input file is damaged or cut short (EOFError: Compressed"),
])
def test_each_failure_gets_one_line_and_its_status(capsys, monkeypatch, exc, status, text):
    monkeypatch.delenv("TMEPROG_DEBUG", raising=False)
    got, err = _run(capsys, exc)
    assert got == status, err
    assert text in err
    assert "Traceback" not in err and "Aborted" not in err
    assert len(err.strip().splitlines()) == 1, err


def test_a_disk_full_error_wrapped_by_a_library_is_still_the_environment():
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device", "/x/model.pkl")
        except OSError as inner:
            raise RuntimeError("could not log the model") from inner
    except RuntimeError as exc:
        code, msg = classify(exc)
    assert code == codes.ENVIRONMENT and "/x/model.pkl" in msg


def test_an_unreachable_tracking_server_is_the_environment():
    from mlflow.exceptions import MlflowException

    exc = MlflowException("API request to http://127.0.0.1:9/api/2.0/mlflow/experiments/"
                          "get-by-name failed with exception HTTPConnectionPool: Max retries "
                          "exceeded (Connection refused)")
    code, msg = classify(exc)
    assert code == codes.ENVIRONMENT and "http://127.0.0.1:9" in msg


def test_an_sqlite_store_on_a_full_disk_is_the_environment():
    import sqlite3

    code, _ = classify(sqlite3.OperationalError("database or disk is full"))
    assert code == codes.ENVIRONMENT


def test_the_traceback_only_with_debug(capsys, monkeypatch):
    monkeypatch.setenv("TMEPROG_DEBUG", "1")
    got, err = _run(capsys, ZeroDivisionError("division by zero"))
    assert got == codes.INTERNAL
    assert "Traceback" in err and "internal error: ZeroDivisionError" in err


@pytest.mark.parametrize(("data", "looks", "line"), [
    ("sample\tgrade\nP1\tgrade élevé\n".encode("latin-1"), "Windows-1252 / latin-1", 2),
    ("sample\tgrade\nP1\t2\n".encode("utf-16"), "UTF-16", 1),
    (b"PK\x03\x04\x00\x00\x80\x81" * 50, "binary data", 1),
])
def test_undecodable_text_names_the_file_and_the_encoding(capsys, tmp_path, data, looks, line):
    bad = tmp_path / "clinical.tsv"
    bad.write_bytes(data)

    app = typer.Typer()

    @app.command()
    def read(path: str) -> None:
        open(path, encoding="utf-8").read()

    @app.command()
    def other() -> None:
        pass

    got = run(app, ["read", str(bad)])
    err = capsys.readouterr().err
    assert got == codes.USAGE
    assert str(bad) in err and "utf-8" in err and "save it as UTF-8" in err
    assert f"it looks like {looks}" in err and f"at line {line}," in err
    assert "Traceback" not in err


def test_a_truncated_gzip_argument_is_named(capsys, tmp_path):
    import gzip

    gz = tmp_path / "expr.tsv.gz"
    rows = "".join(f"G{i}\t{i * 0.37:.5f}\n" for i in range(20000)).encode()
    gz.write_bytes(gzip.compress(rows)[:-200])
    exc = EOFError("Compressed file ended before the end-of-stream marker was reached")
    got, err = _run(capsys, exc, str(gz))
    assert got == codes.USAGE and f"'{gz}' is damaged or cut short" in err


@pytest.mark.parametrize(("args", "text"), [
    (["no-such-command"], "No such command"),
    (["boom", "a", "b"], "unexpected extra argument"),
])
def test_usage_errors_exit_2_with_the_usage(capsys, args, text):
    got = run(_app(RuntimeError("not reached")), args)
    err = capsys.readouterr().err
    assert got == codes.USAGE
    assert text in err.lower() or text in err
    assert "Usage:" in err and "internal error" not in err


def test_real_command_usage_error_and_config_error(capsys, tmp_path):
    from tmeprog.cli import app

    assert run(app, ["train", "--cv", "x"]) == codes.USAGE
    assert "No such option: --cv" in capsys.readouterr().err
    assert run(app, ["train", "--config", str(tmp_path / "nope.toml")]) == codes.USAGE
    err = capsys.readouterr().err
    assert "nope.toml" in err and "Traceback" not in err


SLEEPER = """
import sys, time, typer
from tmeprog.cli import leave
from tmeprog.cli.handler import run
app = typer.Typer()
@app.command()
def wait() -> None:
    print("ready", flush=True)
    time.sleep(60)
@app.command()
def other() -> None:
    pass
leave(run(app, ["wait"]))
"""


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGTERM, codes.TERMINATED),
                                             (signal.SIGINT, codes.INTERRUPTED)])
def test_signals_give_their_status_and_one_line(sig, status):
    proc = subprocess.Popen([sys.executable, "-c", SLEEPER], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": os.getcwd()})
    try:
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.2)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == status, err
    assert "interrupted" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
