"""``tmeprog train`` command-line errors that must leave nothing behind."""

import mlflow
from typer.testing import CliRunner

from tmeprog.cli import app

runner = CliRunner()


def test_gene_universe_sharing_too_few_genes_is_refused_before_logging(tmp_path):
    panel = tmp_path / "panel.txt"
    panel.write_text("gene\n" + "\n".join(["CD8A", "GZMB", "ESR1", "ERBB2", "MKI67"]) + "\n")
    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    res = runner.invoke(app, ["train", "--gene-universe", str(panel), "--tracking-uri", store,
                              "--quick"])
    assert res.exit_code == 2
    assert "panel.txt" in res.output and "shares 5 genes" in res.output
    assert "at least 1000" in res.output
    mlflow.set_tracking_uri(store)
    assert mlflow.MlflowClient().get_experiment_by_name("tmeprog-prognosis") is None
