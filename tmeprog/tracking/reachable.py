"""Is the tracking server there? Asked once, before a command does any work.

A command given an ``http(s)://`` tracking URI sends one request to the server's ``/health``
page and waits at most :data:`TIMEOUT_SECONDS` in all; any HTTP answer (even an error status)
means a server is there. A refused connection, an unknown host or no answer in time is
reported at once, naming the URI, instead of after MLflow's minutes of retries.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request

from tmeprog.errors import TrackingUnreachable

#: Longest wait for the server's answer (seconds, in all).
TIMEOUT_SECONDS = 5.0


def _probe(url: str, timeout: float, result: dict) -> None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 - http(s) only
            result["status"] = r.status
    except urllib.error.HTTPError as exc:  # an answer, even if not a happy one
        result["status"] = exc.code
    except Exception as exc:  # noqa: BLE001 - every other failure means no answer
        result["error"] = exc


def check_reachable(uri: str, timeout: float = TIMEOUT_SECONDS) -> float | None:
    """Raise :class:`~tmeprog.errors.TrackingUnreachable` when the server behind an
    ``http(s)://`` tracking URI does not answer within ``timeout`` seconds.

    Parameters
    ----------
    uri : str
        The tracking URI; other schemes (sqlite, file, databases) are not checked.
    timeout : float
        Longest wait in seconds, connection and answer together.

    Returns
    -------
    float or None
        Seconds the server took to answer; None for a URI that is not a server.
    """
    if not uri.lower().startswith(("http://", "https://")):
        return None
    url = uri.rstrip("/") + "/health"
    result: dict = {}
    t0 = time.monotonic()
    probe = threading.Thread(target=_probe, args=(url, timeout, result), daemon=True)
    probe.start()
    probe.join(timeout)
    took = time.monotonic() - t0
    if "status" in result:
        return took
    err = result.get("error")
    reason = getattr(err, "reason", err)
    if probe.is_alive() or isinstance(reason, TimeoutError) or "timed out" in str(reason):
        why = f"no answer within {timeout:g} s"
    else:
        why = str(reason) or type(reason).__name__
    raise TrackingUnreachable(f"tracking server {uri} does not answer ({why}); start it, or "
                              "point --tracking-uri / MLFLOW_TRACKING_URI at a running server "
                              "or at a local store (sqlite:///mlflow.db)")
