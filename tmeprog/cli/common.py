"""Helpers shared by the CLI commands: consoles, one-line errors, JSON output."""

from __future__ import annotations

import json
import sys
from typing import NoReturn

import typer
from rich.console import Console

out = Console()
err = Console(stderr=True)


def fail(exc: Exception | str) -> NoReturn:
    """Print one clear error line on stderr and exit with status 2."""
    err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def emit_json(obj) -> None:
    """Write one JSON document to stdout."""
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")
