"""The command line starts without loading the heavy libraries it defers."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["anndata", "dask", "lifelines", "matplotlib", "mlflow", "numba", "pandas", "shap",
         "sklearn", "sksurv", "xgboost"]

PROBE = f"""
import json, sys
from typer.testing import CliRunner
from tmeprog.cli import app
result = CliRunner().invoke(app, ["--help"])
assert result.exit_code == 0, result.output
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r}))))
"""


def test_help_loads_no_heavy_library():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_the_probe_sees_a_heavy_library():
    probe = PROBE.replace("from tmeprog.cli import app",
                          "import pandas\nfrom tmeprog.cli import app")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True)
    assert "pandas" in json.loads(out.stdout.strip().splitlines()[-1])


def test_convert_path_loads_no_mlflow():
    probe = ("import sys\nimport tmeprog.scoring.inputs, tmeprog.scoring.matrix_store\n"
             "print('mlflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
