"""A tracking server that is down or silent is reported, naming its URI, in under 10 s."""

import http.server
import socket
import threading
import time

import pytest

from tmeprog.cli import app
from tmeprog.cli import exit_codes as codes
from tmeprog.cli.handler import run
from tmeprog.errors import TrackingUnreachable
from tmeprog.tracking.reachable import check_reachable


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def silent_server():
    """A socket that accepts connections and never answers."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    yield f"http://127.0.0.1:{s.getsockname()[1]}"
    s.close()


@pytest.fixture()
def http_server():
    """A server that answers /health with 200 and everything else with 404."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the handler's API
            self.send_response(200 if self.path == "/health" else 404)
            self.end_headers()
            self.wfile.write(b"OK")

        def log_message(self, *args):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_a_closed_port_is_reported_with_its_uri():
    uri = f"http://127.0.0.1:{_closed_port()}"
    t0 = time.monotonic()
    with pytest.raises(TrackingUnreachable) as info:
        check_reachable(uri)
    took = time.monotonic() - t0
    assert uri in str(info.value) and "refused" in str(info.value).lower()
    assert took < 10, f"reported after {took:.2f} s"


def test_a_server_that_never_answers_is_reported_in_under_10_s(silent_server):
    t0 = time.monotonic()
    with pytest.raises(TrackingUnreachable) as info:
        check_reachable(silent_server)
    took = time.monotonic() - t0
    assert took < 10, f"a silent server reported after {took:.2f} s"
    assert silent_server in str(info.value) and "no answer within" in str(info.value), (
        f"{info.value} (after {took:.2f} s)")


def test_a_running_server_passes_and_local_stores_are_not_asked(http_server, tmp_path):
    assert check_reachable(http_server) < 5
    assert check_reachable(http_server + "/prefix") < 5  # a 404 is still an answer
    assert check_reachable(f"sqlite:///{tmp_path / 'mlflow.db'}") is None


@pytest.mark.parametrize("command", ["score", "train", "validate"])
def test_commands_exit_3_before_any_work(command, silent_server, tmp_path, capsys):
    out = tmp_path / "scores.tsv"
    args = {"score": ["score", "gse4335", "-m", "models:/m@champion", "-o", str(out)],
            "train": ["train", "--quick"],
            "validate": ["validate", "models:/m@champion", "gse4335"]}[command]
    t0 = time.monotonic()
    status = run(app, [*args, "--tracking-uri", silent_server])
    took = time.monotonic() - t0
    err = capsys.readouterr().err
    assert status == codes.ENVIRONMENT, err
    assert took < 10, f"{command}: a silent tracking server reported after {took:.2f} s"
    assert f"tracking server {silent_server} does not answer" in err, f"{err} ({took:.2f} s)"
    assert "Traceback" not in err and not out.exists()
    assert list(tmp_path.iterdir()) == []
