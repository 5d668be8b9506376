import requests
from typer.testing import CliRunner

from tests.cohorts.download.conftest import install
from tmeprog.cli import app
from tmeprog.cohorts.download import SOURCES, cache, xena
from tmeprog.cohorts.registry import cohort_names, describe, get_entry

NAMES = ("tcga_brca", "metabric", "ispy2", "gse25066")


def test_cohorts_registered():
    assert set(NAMES) <= set(cohort_names())
    for n in NAMES:
        e = get_entry(n)
        assert not e.offline and e.fetch is not None and not e.is_cached()
        assert e.description == SOURCES[n][2]


def test_describe_does_not_download():
    rec = describe("metabric")  # the autouse guard fails any download attempt
    assert rec["cached"] is False and rec["n_samples"] is None


def test_describe_cached_cohort():
    install(xena.NAME, xena.FILES, "xena")
    rec = describe("tcga_brca")
    assert rec["cached"] is True and rec["n_samples"] == 4
    assert rec["endpoints"] == ["dfs", "dss", "os"]


def test_cli_fetch_offline_is_one_clear_error(monkeypatch):
    def offline(rf, folder):
        raise requests.ConnectionError("Temporary failure in name resolution")

    monkeypatch.setattr(cache, "_retrieve", offline)
    res = CliRunner().invoke(app, ["cohorts", "fetch", "gse25066"])
    assert res.exit_code == 3  # the environment (network), not the input
    assert "could not reach ftp.ncbi.nlm.nih.gov" in res.output
    assert "Traceback" not in res.output


def test_cli_fetch_verifies_cached_files():
    install(xena.NAME, xena.FILES, "xena")
    res = CliRunner().invoke(app, ["cohorts", "fetch", "tcga_brca"])
    assert res.exit_code == 0 and "cached" in res.output
    for f in xena.FILES:
        assert (cache.cohort_dir("tcga_brca") / (f.fname + ".sha256")).is_file()
