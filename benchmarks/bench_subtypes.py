"""Speed and memory of PAM50 calls and breast signature scores against a per-sample scipy loop.

One run on seeded synthetic data (samples x 2,000 genes including the 50 PAM50 genes and the
signature genes, standard normal around a gene offset):

1. ``PAM50Classifier.predict_table`` (vectorised ranks, one matrix product) against the anchor,
   ``scipy.stats.spearmanr`` called per sample and centroid on a subset, scaled per sample;
   the correlations are checked to agree on the subset;
2. ``BreastSignatureScorer.transform`` (all four scores) per sample.

Peak memory is the tracemalloc peak of the call, as a ratio to the input matrix.

Run: ``python benchmarks/bench_subtypes.py`` (20,000 samples) or ``--small``.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from tmeprog.features.subtypes import BreastSignatureScorer, PAM50Classifier
from tmeprog.signatures.genefu import breast_signature, pam50_model

ANCHOR_SAMPLES = 200


def _data(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    genes = set(pam50_model().centroids.index)
    for name in ("oncotypedx", "gene70", "ggi", "endopredict"):
        genes |= set(breast_signature(name)["symbol"])
    genes = sorted(genes) + [f"G{i}" for i in range(2000 - len(genes))]
    return pd.DataFrame(rng.normal(0, 1, (n, len(genes))) + rng.uniform(4, 10, len(genes)),
                        index=[f"s{i}" for i in range(n)], columns=genes)


def _timed(fn):
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, dt, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="2,000 samples")
    args = ap.parse_args()
    n = 2_000 if args.small else 20_000
    X = _data(n)
    mb = X.to_numpy().nbytes
    warnings.simplefilter("ignore")
    clf = PAM50Classifier(centring="median").fit(X)
    table, dt, peak = _timed(lambda: clf.predict_table(X))

    sub = X.iloc[:ANCHOR_SAMPLES]
    z = sub[clf.genes_].to_numpy() - clf.center_.to_numpy()
    cent = clf.centroids_.to_numpy()
    t0 = time.perf_counter()
    ref = np.array([[spearmanr(z[i], cent[:, k])[0] for k in range(5)]
                    for i in range(len(z))])
    anchor = (time.perf_counter() - t0) / ANCHOR_SAMPLES
    got = table.filter(like="pam50_cor_").to_numpy()[:ANCHOR_SAMPLES]
    assert np.allclose(got, ref, atol=1e-12), "PAM50 correlations differ from scipy"
    ours = dt / n
    print(f"PAM50 on {n:,} samples x {len(clf.genes_)} genes: {1e6 * ours:.1f} us/sample; "
          f"scipy spearmanr loop {1e6 * anchor:.1f} us/sample; speed-up "
          f"{anchor / ours:.0f}x; peak {peak / mb:.2f}x the input ({mb / 2**20:.0f} MiB)")

    sc = BreastSignatureScorer().fit(X)
    _, dt2, peak2 = _timed(lambda: sc.transform(X))
    print(f"breast signatures on {n:,} samples: {1e6 * dt2 / n:.1f} us/sample "
          f"({dt2 / dt:.1f}x the PAM50 time); peak {peak2 / mb:.2f}x the input")


if __name__ == "__main__":
    main()
