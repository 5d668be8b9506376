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

from tests.browser import dom, needs_chromium
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


@pytest.mark.slow
@needs_chromium
def test_run_page_shows_the_run_and_its_description_in_a_browser(store, tmp_path):
    import mlflow

    mlflow.set_tracking_uri(store)
    run = mlflow.search_runs(experiment_names=["tmeprog-test-prognosis"],
                             output_format="list")[0]
    note = run.data.tags["mlflow.note.content"]
    assert "Champion" in note  # the description the pipeline writes
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tmeprog", "ui", "--port", str(port),
                             "--store", store], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"})
    try:
        deadline = time.time() + 240
        while time.time() < deadline:
            line = proc.stdout.readline()
            if not line or line.startswith("ready"):
                break
        url = (f"http://127.0.0.1:{port}/#/experiments/{run.info.experiment_id}/runs/"
               f"{run.info.run_id}")
        page = dom(url, tmp_path / "chromium", wait_ms=20000)
        assert run.info.run_name in page, page[-2000:]
        assert "Champion" in page  # the run's markdown description, rendered by the UI
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
