"""Gene universe of a training run: reading gene lists and expression files, restriction."""

import hashlib

import numpy as np
import pandas as pd
import pytest

from tmeprog.errors import InputError
from tmeprog.pipeline.gene_universe import (
    MIN_SHARED_GENES,
    read_gene_universe,
    restrict_expression,
)


def _expr(genes, n=3, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(size=(n, len(genes))), columns=genes,
                        index=[f"s{i}" for i in range(n)])


def test_gene_list_with_header_and_aliases(tmp_path):
    p = tmp_path / "panel.txt"
    p.write_text("gene\nCD8A\nGZMB\n\nPDL1\nCD8A\n")  # PDL1 is an alias of CD274
    uni = read_gene_universe(p)
    assert uni.kind == "gene list" and uni.source == "panel.txt"
    assert set(uni.genes) == {"CD8A", "GZMB", "CD274"}
    want = hashlib.sha256("\n".join(sorted(uni.genes)).encode()).hexdigest()
    assert uni.fingerprint == want
    assert uni.describe(2) == {"source": "panel.txt", "kind": "gene list", "n_genes": 3,
                               "n_shared_with_training": 2, "sha256": want}


def test_expression_file_gives_its_measured_genes(tmp_path):
    from tmeprog.cohorts import load_cohort

    genes = list(load_cohort("gse3143").expression.columns[:1500])
    e = _expr(genes, n=4).T
    e.iloc[5] = np.nan  # a gene measured in no sample is not in the universe
    p = tmp_path / "target.tsv"
    e.to_csv(p, sep="\t", index_label="gene")
    uni = read_gene_universe(p)
    assert uni.kind == "expression"
    assert set(uni.genes) == set(genes) - {genes[5]}


def test_restriction_keeps_shared_genes_only():
    from tmeprog.cohorts import load_cohort

    genes = list(load_cohort("gse3143").expression.columns[:3000])
    X = _expr(genes)
    X[genes[0]] = np.nan  # absent in training: not kept even when listed
    from tmeprog.pipeline.gene_universe import GeneUniverse

    uni = GeneUniverse(tuple(genes[:2000]) + ("NOTAGENE1",), "u", "gene list")
    got = restrict_expression(X, uni)
    assert list(got.columns) == genes[1:2000]


def test_too_few_shared_genes_is_one_clear_error(tmp_path):
    from tmeprog.pipeline.gene_universe import GeneUniverse

    genes = [f"G{i}" for i in range(2000)]
    uni = GeneUniverse(tuple(genes[:MIN_SHARED_GENES - 1]), "panel.txt", "gene list")
    with pytest.raises(InputError, match=r"shares 999 genes .* at least 1000"):
        restrict_expression(_expr(genes), uni)


def test_empty_or_unreadable_universe(tmp_path):
    p = tmp_path / "empty.txt"
    p.write_text("gene\n")
    with pytest.raises(InputError, match="lists no gene"):
        read_gene_universe(p)
    with pytest.raises(InputError, match="gene universe"):
        read_gene_universe(tmp_path / "absent.tsv")
