"""``tmeprog ui``: "ready" only when the page answers; SIGINT / SIGTERM leave no process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import psutil
import pytest
from typer.testing import CliRunner

from tmeprog.cli import app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_bad_and_busy_ports_are_refused(tmp_path):
    runner = CliRunner()
    r = runner.invoke(app, ["ui", "--port", "99999", "--store", f"sqlite:///{tmp_path}/a.db"])
    assert r.exit_code == 2 and "between 1 and 65535" in r.output
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        r = runner.invoke(app, ["ui", "--port", str(busy), "--store",
                                f"sqlite:///{tmp_path}/a.db"])
    assert r.exit_code == 2 and "in use" in r.output


@pytest.mark.slow
@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_ready_means_answering_and_a_signal_stops_every_child(tmp_path, sig, code):
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    proc = subprocess.Popen([sys.executable, "-m", "tmeprog", "ui", "--port", str(port),
                             "--store", f"sqlite:///{tmp_path}/ui.db"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env)
    try:
        deadline = time.time() + 240
        lines = []
        while time.time() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("ready"):
                break
        assert lines and lines[-1].startswith("ready"), "".join(lines)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as r:
            assert r.status == 200  # answering at the moment it says ready
        children = psutil.Process(proc.pid).children(recursive=True)
        assert children
        proc.send_signal(sig)
        assert proc.wait(timeout=60) == code
        time.sleep(0.5)
        alive = [c.pid for c in children if c.is_running()
                 and c.status() != psutil.STATUS_ZOMBIE]
        assert not alive, f"left running: {alive}"
    finally:
        if proc.poll() is None:
            proc.kill()
