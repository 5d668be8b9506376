"""Imports inside functions are the exception: each says why it is there.

A module imports what it needs at its top. An import may wait inside a function only when
loading it at the top would slow the command-line start-up (a heavy library such as mlflow,
shap, xgboost, scikit-survival, scikit-learn, lifelines or anndata, or a tmeprog module that
pulls one in) or would close an import cycle; such an import carries a comment, on its line or
the line above, that says which.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import tmeprog

ROOT = Path(tmeprog.__file__).parent
PACKAGES = sorted(p.name for p in ROOT.iterdir() if (p / "__init__.py").exists())


def uncommented_function_imports(path: Path) -> list[int]:
    """Line numbers of imports inside functions of ``path`` that carry no comment."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out = []
    for node in ast.walk(ast.parse("\n".join(lines))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.Import | ast.ImportFrom):
                span = lines[sub.lineno - 1:sub.end_lineno]
                above = lines[sub.lineno - 2].strip() if sub.lineno > 1 else ""
                if not any("#" in s for s in span) and not above.startswith("#"):
                    out.append(sub.lineno)
    return sorted(set(out))


def test_the_check_sees_an_uncommented_import(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("def f():\n    import json\n    return json\n\n"
                 "def g():\n    # deferred: heavy\n    import shap\n    return shap\n")
    assert uncommented_function_imports(f) == [2]


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_inside_functions_say_why(package):
    bad = {str(p.relative_to(ROOT)): lines
           for p in sorted((ROOT / package).rglob("*.py"))
           if (lines := uncommented_function_imports(p))}
    assert not bad, f"imports inside functions without a reason: {bad}"
