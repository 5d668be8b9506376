"""Which TME features each training cohort lacks, and so which the models impute.

Features are computed per cohort on the genes it has (a signature below the coverage threshold
in one cohort is NaN there only). Every model imputes missing values by the training median
inside its own ``fit`` (:class:`~tmeprog.models.preprocess.MedianStandardScaler`), so in
cross-validation and leave-one-cohort-out the medians come from the training fold only. This
module counts what is imputed, per cohort, for the run's log (aggregates, no patient rows).
"""

from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd

from tmeprog.tracking.runlog import log_json, log_table, metric_key


def missing_by_cohort(F: pd.DataFrame, groups) -> pd.DataFrame:
    """Per cohort: samples, features missing for every sample, features missing for some.

    Parameters
    ----------
    F : pandas.DataFrame
        Feature table (samples x features) of the training samples.
    groups : array-like
        Cohort of each row of ``F``.

    Returns
    -------
    pandas.DataFrame
        One row per cohort: ``cohort``, ``n_samples``, ``n_features``,
        ``n_missing_whole_cohort``, ``n_missing_some_samples``, ``imputed_fraction`` (share of
        the cohort's feature cells imputed) and ``missing_whole_cohort`` (names,
        comma-separated).
    """
    g = pd.Series(np.asarray(groups), index=F.index)
    rows = []
    for name in dict.fromkeys(g):
        na = F[g.to_numpy() == name].isna()
        whole = [c for c in F.columns if na[c].all()]
        some = [c for c in F.columns if na[c].any() and c not in whole]
        rows.append({"cohort": name, "n_samples": len(na), "n_features": F.shape[1],
                     "n_missing_whole_cohort": len(whole), "n_missing_some_samples": len(some),
                     "imputed_fraction": float(na.to_numpy().mean()) if na.size else 0.0,
                     "missing_whole_cohort": ",".join(whole)})
    return pd.DataFrame(rows)


def imputed_features(table: pd.DataFrame) -> list[str]:
    """Features missing for a whole training cohort (the served model imputes them too)."""
    names = [n for s in table["missing_whole_cohort"] if s for n in s.split(",")]
    return list(dict.fromkeys(names))


def missing_warnings(table: pd.DataFrame) -> list[str]:
    """One line per cohort lacking features, for the run's warnings."""
    out = []
    for r in table.itertuples(index=False):
        if r.n_missing_whole_cohort:
            out.append(f"cohort {r.cohort!r} lacks the genes of {r.n_missing_whole_cohort} "
                       f"feature(s) ({r.missing_whole_cohort}); the models impute them with "
                       "the training-fold median")
    return out


def log_coverage_plan(missing: pd.DataFrame | None, universe: dict | None, ext) -> None:
    """Log the per-cohort imputation counts and the gene universe into the active run."""

    if missing is not None:
        log_table(missing, "features", "missing_by_cohort.csv")
        mlflow.log_metrics({metric_key("features", "imputed_whole_cohort", str(r.cohort)):
                            float(r.n_missing_whole_cohort)
                            for r in missing.itertuples(index=False)})
    if universe is not None:
        mlflow.log_params({f"gene_universe.{k}": v for k, v in universe.items()})
        if ext is not None:  # gene symbols only: the universe shared with training
            mlflow.log_text("\n".join(ext.input_genes_) + "\n", "features/gene_universe.txt")
        log_json(universe, "features/gene_universe.json")
