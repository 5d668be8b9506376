"""The ``tmeprog`` entry point: exit status, exit handlers and output survive the quick exit."""

import subprocess
import sys

import pytest

SCRIPT = """
import atexit, sys
atexit.register(lambda: print("exit handler ran", flush=True))
sys.argv = ["tmeprog", *sys.argv[1:]]
from tmeprog.cli import main
main()
print("not reached")
"""


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", SCRIPT, *args], capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize(("args", "status"), [(("--help",), 0), (("no-such-command",), 2),
                                              (("cohorts", "list"), 0)])
def test_status_handlers_and_output(args, status):
    res = _run(*args)
    assert res.returncode == status, res.stderr
    assert res.stdout.rstrip().endswith("exit handler ran")
    assert "not reached" not in res.stdout
    if status == 0:
        assert "Usage" in res.stdout or "gse" in res.stdout  # the command's own output


def test_leave_with_a_message_exits_1():
    code = ("import threading, sys; from tmeprog.cli import leave; "
            "leave('stopped: because')")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 1 and "stopped: because" in res.stderr


def test_a_live_thread_gets_the_usual_exit():
    code = ("import threading, time, sys; from tmeprog.cli import leave; "
            "t = threading.Thread(target=lambda: (time.sleep(0.5), print('thread done', "
            "flush=True))); t.start(); leave(3)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 3 and "thread done" in res.stdout
