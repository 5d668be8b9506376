"""``python -m tmeprog``: the command-line interface."""

from tmeprog.cli import main

main()
