"""``python -m tmeprog``: the command-line interface."""

from tmeprog.cli import app

app(prog_name="tmeprog")
