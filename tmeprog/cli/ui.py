"""``tmeprog ui``: the MLflow UI on the project's tracking store."""

from __future__ import annotations

import subprocess
import sys

import typer

from tmeprog.cli.common import fail, out


def ui(
    host: str = typer.Option("127.0.0.1", help="Address to bind (loopback by default)."),
    port: int = typer.Option(5000, help="Port."),
    store: str = typer.Option(None, help="Tracking URI (default: MLFLOW_TRACKING_URI or "
                                         "sqlite:///mlflow.db)."),
) -> None:
    """Start the MLflow UI on the project's store (artifacts under ./mlruns)."""
    from tmeprog.tracking.store import DEFAULT_ARTIFACTS, tracking_uri

    uri = tracking_uri(store)
    if not uri.startswith(("sqlite:", "postgresql:", "mysql:", "file:")):
        fail(f"{uri} is a tracking server already; open it in a browser instead")
    cmd = [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", uri,
           "--default-artifact-root", DEFAULT_ARTIFACTS, "--host", host, "--port", str(port)]
    out.print(f"MLflow UI on http://{host}:{port} (store {uri}); Ctrl-C to stop")
    try:
        raise typer.Exit(subprocess.call(cmd))
    except KeyboardInterrupt:
        raise typer.Exit(0) from None
