"""Shared inputs of the subtype tests: bundled cohorts (loaded once) and the genefu reference."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

#: HGNC renames of three PAM50 symbols in genefu's 2009 table (HGNC: CDCA1 -> NUF2,
#: KNTC2 -> NDC80, ORC6L -> ORC6), written out so the reference does not use the gene map.
PAM50_RENAMED = {"CDCA1": "NUF2", "KNTC2": "NDC80", "ORC6L": "ORC6"}


@pytest.fixture(scope="session")
def bundled():
    """The three bundled cohorts with expression, by name."""
    from tmeprog.cohorts import load_cohort

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {n: load_cohort(n) for n in ("gse1992", "gse4335", "gse3143")}


@pytest.fixture(scope="session")
def genefu_dir(shared_data):
    return shared_data / "reference" / "genefu"


@pytest.fixture(scope="session")
def reference_centroids(genefu_dir) -> pd.DataFrame:
    """PAM50 centroids read straight from the shared reference TSV, symbols updated."""
    cent = pd.read_csv(genefu_dir / "pam50_centroids.tsv", sep="\t", index_col=0)
    cent.index = [PAM50_RENAMED.get(g, g) for g in cent.index]
    return cent


def synthetic_cohort(centroids: pd.DataFrame, n_per_class: int = 12, seed: int = 7,
                     noise: float = 0.6) -> pd.DataFrame:
    """Samples drawn around each centroid plus 40 unrelated genes, on a log2-intensity scale."""
    rng = np.random.default_rng(seed)
    rows, ids = [], []
    for k, cls in enumerate(centroids.columns):
        base = centroids[cls].to_numpy()
        for i in range(n_per_class):
            rows.append(base * 2 + rng.normal(0, noise, len(base)))
            ids.append(f"{cls}_{i}_{k}")
    X = pd.DataFrame(rows, index=ids, columns=centroids.index)
    X = X + rng.uniform(5, 9, X.shape[1])  # a gene-specific offset that centring must remove
    extra = pd.DataFrame(rng.normal(7, 1, (len(X), 40)), index=X.index,
                         columns=[f"GENE{i}" for i in range(40)])
    return pd.concat([X, extra], axis=1)
