"""``tmeprog ui``: the MLflow UI on the project's tracking store."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import typer

from tmeprog.cli.common import fail, out
from tmeprog.cli.handler import Terminated
from tmeprog.tracking.store import DEFAULT_ARTIFACTS, artifact_root, tracking_uri

#: Seconds the server gets to answer before ``ui`` gives up.
START_TIMEOUT = 180.0


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server and everything it started (its own process group)."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    try:  # workers left in the group after the leader exited
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def ui(
    host: str = typer.Option("127.0.0.1", help="Address to bind (loopback by default)."),
    port: int = typer.Option(5000, help="Port (1-65535)."),
    store: str = typer.Option(None, help="Tracking URI (default: MLFLOW_TRACKING_URI, else "
                                         "the project's mlflow.db, see tmeprog.tracking.store)."),
) -> None:
    """Start the MLflow UI on the project's store (artifacts under ./mlruns).

    Says "ready" once the page answers; Ctrl-C or SIGTERM (turned into exceptions by
    :mod:`tmeprog.cli.handler`) stops the server and every process it started (exit 130 / 143).
    """
    if not 1 <= port <= 65535:
        fail(f"--port {port}: give a port between 1 and 65535")
    uri = tracking_uri(store)
    if not uri.startswith(("sqlite:", "postgresql:", "mysql:", "file:")):
        fail(f"{uri} is a tracking server already; open it in a browser instead")
    if not _port_free(host, port):
        fail(f"port {port} on {host} is in use (another UI?); pick a free one with --port")
    cmd = [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", uri,
           "--default-artifact-root", artifact_root(uri) or DEFAULT_ARTIFACTS,
           "--host", host, "--port", str(port)]
    url = f"http://{host}:{port}"

    proc = subprocess.Popen(cmd, start_new_session=True)
    code = 0
    try:
        out.print(f"starting the MLflow UI on {url} (store {uri}) ...", markup=False)
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers(url):
            if proc.poll() is not None:
                fail(f"the MLflow server exited with status {proc.returncode} before "
                     "answering; see its messages above")
            if time.monotonic() > deadline:
                fail(f"the MLflow server did not answer on {url} within {START_TIMEOUT:.0f} s")
            time.sleep(0.5)
        out.print(f"ready: {url} ; Ctrl-C to stop", markup=False)
        code = proc.wait()
    except (KeyboardInterrupt, Terminated):  # the top-level handler exits 130 / 143
        out.print("stopping the MLflow UI")
        raise
    finally:
        _stop(proc)
    raise typer.Exit(code)
