"""The import graph of ``tmeprog`` has no cycle, counting imports inside functions too."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

import tmeprog

ROOT = Path(tmeprog.__file__).parent


def _modules() -> dict[str, Path]:
    out = {}
    for p in ROOT.rglob("*.py"):
        parts = list(p.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def import_graph(level: int | None = None) -> dict[str, set[str]]:
    """Module -> tmeprog modules it imports (``from pkg import sub`` counts as ``pkg.sub``).

    With ``level``, names are cut to their first ``level`` parts (2: subpackages).
    """
    mods = _modules()

    def owner(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package
                    for _ in range(node.level - 1):
                        up = up.rpartition(".")[0]
                    base = f"{up}.{base}" if base else up
                names = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base
                         for a in node.names]
            else:
                continue
            for name in names:
                target = owner(name) if name.startswith("tmeprog") else None
                if target and target != mod:
                    graph[mod].add(target)
    if level is None:
        return graph
    cut = {}
    for a, targets in graph.items():
        ka = ".".join(a.split(".")[:level])
        cut.setdefault(ka, set()).update(k for b in targets
                                         if (k := ".".join(b.split(".")[:level])) != ka)
    return cut


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        return list(exc.args[1])
    return None


def test_the_graph_sees_imports_inside_functions():
    graph = import_graph()
    assert "tmeprog.pipeline.train" in graph["tmeprog.cli.train"]  # a lazy import
    assert "tmeprog.cohorts.entries" in graph["tmeprog.cohorts.download"]


def test_a_cycle_is_found():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) is not None
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_modules_import_without_cycles():
    assert _cycle(import_graph()) is None


@pytest.mark.parametrize("level", [2])
def test_subpackages_import_without_cycles(level):
    assert _cycle(import_graph(level)) is None
