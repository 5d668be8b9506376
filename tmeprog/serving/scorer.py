"""The served scorer: raw expression (+ clinical covariates) in, risk or response out.

Everything it needs is frozen at fit time (signatures, feature coverage, the model with its
imputation and scaling, horizons, risk-group cut points), so a patient scored alone gets the
same numbers as within a cohort.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from tmeprog.cohorts.vocabulary import CLINICAL_DTYPES
from tmeprog.errors import InputError
from tmeprog.features.subtypes import fill_subtype_calls
from tmeprog.models.feature_sets import (
    AGE_PREFIX,
    INTERACTION_SUFFIX,
    SUBTYPE_INDICATOR,
    clinical_baseline,
    interaction_terms,
    is_interaction,
)
from tmeprog.serving.cohort_scale import CohortScale

RISK_GROUPS = ("low", "intermediate", "high")

#: Design columns built from other vocabulary columns (prognosis clinical baseline).
RAW_SOURCES = {"size": ("t_stage", "tumor_size_mm")}


def horizon_label(months: float) -> str:
    """Column-name label of a horizon: whole years as ``3y``, otherwise ``30m``."""
    return f"{int(months // 12)}y" if months % 12 == 0 else f"{months:g}m"


@dataclass
class Scorer:
    """A fitted, self-contained predictor from raw inputs.

    Parameters
    ----------
    task : {"prognosis", "response"}
    model : estimator
        Fitted model on the design matrix (``predict`` gives risk for prognosis;
        ``predict_proba`` gives the pCR probability for response).
    design_columns : list of str
        Columns of the design matrix, in order.
    clinical_columns : list of str
        Clinical vocabulary columns the model uses (a subset of ``design_columns``).
    extractor : transformer or None
        Fitted TME feature extractor (expression -> features); ``None`` when the model was
        trained on a feature table or on clinical covariates only.
    horizons_months : list of float
        Horizons of the survival probabilities (prognosis).
    cutpoints : tuple of float
        Risk-score tertile cut points of the training data (prognosis).
    endpoint : str
        The endpoint the served risk refers to when the model was trained on pooled endpoints
        with age per endpoint (``age@os`` ...): an input's ``age`` fills ``age@<endpoint>``,
        the other endpoints' age columns are missing (imputed like in training). Empty: one
        endpoint.
    subtyper : SubtypeCaller or None
        Fitted subtype caller (:class:`tmeprog.features.subtypes.SubtypeCaller`): clinical
        values the input lacks (``pam50``, ``er``, ``subtype`` ...) are filled from expression
        with its frozen reference, so a patient alone gets the calls it gets within the
        training cohort; recorded values are never overwritten.
    imputable : list of str
        TME features a whole training cohort lacked (its genes were absent there), so the model
        learned them with median imputation: an input lacking their genes gets them imputed
        by the training median instead of an error.
    references : dict
        Reference scorers fitted on the same training data (``clinical``, ``age``; see
        :mod:`tmeprog.pipeline.reference`), scored beside the model by ``tmeprog validate``.
    feature_reference : FeatureReference or None
        Percentiles of the training samples' TME features (:mod:`tmeprog.serving.reference`),
        against which ``tmeprog profile`` places a patient; None for models trained before it.
    risk_curves : RiskGroupCurves or None
        Kaplan-Meier survival with its 95% band of the training patients per risk group.
    cohort_scaled : list of str
        Features the model learned z-scored within each training cohort (per-cohort
        standardisation): they are z-scored within the scored cohort too
        (:mod:`tmeprog.serving.cohort_scale`). Empty: features are used as computed.
    scale : CohortScale or None
        The scored cohort's statistics of ``cohort_scaled`` when they come from more samples
        than one call sees (batch scoring sets them from a first pass over the input); None:
        estimated from the samples passed to :meth:`predict` / :meth:`design`.
    """

    task: str
    model: object
    design_columns: list[str]
    clinical_columns: list[str]
    extractor: object | None = None
    horizons_months: list[float] = field(default_factory=list)
    cutpoints: tuple[float, float] = (np.nan, np.nan)
    info: dict = field(default_factory=dict)
    subtyper: object | None = None
    endpoint: str = ""
    imputable: list[str] = field(default_factory=list)
    references: dict = field(default_factory=dict)
    feature_reference: object | None = None
    risk_curves: object | None = None
    cohort_scaled: list[str] = field(default_factory=list)
    scale: CohortScale | None = None

    @property
    def feature_columns(self) -> list[str]:
        """Non-clinical design columns (TME or published features; TME x subtype products
        are computed from them, see :attr:`interaction_columns`)."""
        return [c for c in self.design_columns
                if c not in self.clinical_columns and not is_interaction(c)]

    @property
    def interaction_columns(self) -> list[str]:
        """TME x ER-negative product columns (``<feature>:er_negative``)."""
        return [c for c in self.design_columns if is_interaction(c)]

    def covariate_sources(self) -> dict[str, tuple[str, ...]]:
        """Clinical design column -> the vocabulary columns it can be built from."""
        def source(c):
            if c.startswith(AGE_PREFIX):
                return ("age",)
            return ("er",) if c == SUBTYPE_INDICATOR else RAW_SOURCES.get(c, (c,))

        return {c: source(c) for c in self.clinical_columns}

    def check_covariates(self, columns, where: str = "input") -> None:
        """Raise naming every covariate the model uses that ``columns`` cannot supply."""
        have = set(columns)
        # age per endpoint (age@os ...) is one input covariate, age
        sources = {("age" if c.startswith(AGE_PREFIX) else c): s
                   for c, s in self.covariate_sources().items()}
        absent = {c: s for c, s in sources.items() if not have & set(s)}
        if absent:
            listed = ", ".join(f"{c} (column {' or '.join(s)})" for c, s in absent.items())
            raise InputError(
                f"the model uses clinical covariates {', '.join(sources)}; {where} lacks "
                f"{listed}; supply them (vocabulary names or common spellings, one row per "
                "sample, empty cells allowed)"
            )

    def clinical_design(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The clinical columns of the design matrix, built from vocabulary columns."""
        raw = frame[[c for c in frame.columns if c in CLINICAL_DTYPES]]
        self.check_covariates(raw.columns)
        if self.task == "prognosis":
            base = clinical_baseline(raw.apply(pd.to_numeric, errors="coerce"))
            if SUBTYPE_INDICATOR in self.clinical_columns:
                er = base["er"] if "er" in base.columns else pd.Series(np.nan, index=base.index)
                base[SUBTYPE_INDICATOR] = 1.0 - er.astype(float)
            age = base["age"] if "age" in base.columns else pd.Series(np.nan, index=base.index)
            out = base.reindex(columns=self.clinical_columns).astype(float)
            for c in self.clinical_columns:
                if c.startswith(AGE_PREFIX):
                    own = c == f"{AGE_PREFIX}{getattr(self, 'endpoint', '')}"
                    out[c] = age.astype(float) if own else np.nan
            return out
        return raw.reindex(columns=self.clinical_columns)

    @staticmethod
    def split(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``(expression or feature columns, clinical vocabulary columns)`` of a model input."""
        is_clin = np.fromiter((c in CLINICAL_DTYPES for c in frame.columns), dtype=bool,
                              count=len(frame.columns))
        if not is_clin.any():
            return frame, frame.iloc[:, :0]
        return frame.loc[:, ~is_clin], frame.loc[:, is_clin]

    def design(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The design matrix of ``frame`` (samples x genes/features + clinical columns).

        Raises
        ------
        InputError
            When a TME feature the model uses cannot be computed (coverage below threshold) or
            a clinical covariate is absent.
        """
        return self.design_parts(*self.split(frame))

    def design_parts(self, values: pd.DataFrame, clinical: pd.DataFrame) -> pd.DataFrame:
        """The design matrix from expression (or feature) columns and clinical columns.

        ``values`` and ``clinical`` share their index; this is :meth:`design` without
        splitting a combined frame, so batch scoring passes its chunks without copying them.
        """
        values = _numeric(values)  # once: the extractor and the subtype caller both read it
        parts = []
        feats = self.feature_columns
        if feats:
            if self.extractor is not None:
                tme, caught = self._extract(values)
                imputable = set(getattr(self, "imputable", ()))  # older scorers: none
                bad = [f for f in feats if tme[f].isna().any() and f not in imputable]
                if bad:
                    why = "; ".join(caught)[:600]
                    raise InputError(
                        f"TME features {bad} cannot be computed for "
                        f"{int(tme[bad].isna().any(axis=1).sum())} samples (gene coverage "
                        f"below the threshold): {why}; or build a model on the input's genes "
                        "with `tmeprog train --gene-universe FILE`")
                parts.append(tme)
            else:
                absent = [c for c in feats if c not in values.columns]
                if absent:
                    raise InputError(
                        f"input lacks {len(absent)} feature columns the model was trained on "
                        f"(e.g. {absent[:5]}); pass a table with the training features"
                    )
                parts.append(values[feats].apply(pd.to_numeric, errors="coerce"))
            parts[0] = self.on_cohort_scale(parts[0])
        if self.clinical_columns:
            parts.append(self.clinical_design(self.with_subtype_calls(values, clinical)))
        X = pd.concat(parts, axis=1)
        inter = self.interaction_columns
        if inter:
            feats = [c[:-len(INTERACTION_SUFFIX)] for c in inter]
            X = pd.concat([X, interaction_terms(X[feats], X[SUBTYPE_INDICATOR])], axis=1)
        return X[self.design_columns]

    def tme_features(self, values: pd.DataFrame) -> pd.DataFrame:
        """The model's TME features of ``values`` as computed, before any cohort scaling
        (samples lacking a feature's genes get NaN there)."""
        if self.extractor is None:
            return values.reindex(columns=self.feature_columns).apply(pd.to_numeric,
                                                                       errors="coerce")
        return self._extract(values)[0]

    def _extract(self, values: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
        """The extractor's features of ``values`` and the warnings it raised (as text)."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            tme = self.extractor.transform(_numeric(values))[self.feature_columns]
        return tme, [str(w.message) for w in caught]

    def on_cohort_scale(self, features: pd.DataFrame) -> pd.DataFrame:
        """``features`` z-scored within the scored cohort when the model was trained so
        (see :attr:`cohort_scaled`); otherwise unchanged."""
        cols = [c for c in getattr(self, "cohort_scaled", ()) if c in features.columns]
        if not cols:
            return features
        scale = getattr(self, "scale", None) or CohortScale.fit(features[cols])
        return scale.apply(features)

    def with_cohort_scale(self, features: pd.DataFrame, where: str = "the input") -> Scorer:
        """A copy of this scorer holding the scored cohort's statistics of the features it
        scales, from ``features`` (:meth:`tme_features` of the cohort's samples); this
        scorer itself when it scales none."""
        cols = list(getattr(self, "cohort_scaled", ()))
        if not cols:
            return self
        return replace(self, scale=CohortScale.fit(features.reindex(columns=cols), where))

    def with_subtype_calls(self, values: pd.DataFrame, clinical: pd.DataFrame) -> pd.DataFrame:
        """``clinical`` completed with the frozen subtype caller's calls (when there is one)."""
        caller = getattr(self, "subtyper", None)  # scorers saved before it existed have none
        if caller is None or not values.columns.isin(caller.pam50_.genes_).any():
            return clinical
        return fill_subtype_calls(caller, _numeric(values), clinical)

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Scores of every row of ``frame`` (index kept)."""
        return self.predict_parts(*self.split(frame))

    def predict_parts(self, values: pd.DataFrame, clinical: pd.DataFrame) -> pd.DataFrame:
        """:meth:`predict` of a model input given as its two :meth:`split` parts."""
        if len(values) == 0:
            raise InputError("no samples to score")
        if not values.index.is_unique:
            raise InputError("duplicated sample ids in the input; sample ids must be unique")
        X = self.design_parts(values, clinical)
        out = pd.DataFrame(index=values.index)
        if self.task == "prognosis":
            risk = np.asarray(self.model.predict(X), dtype=float)
            out["risk_score"] = risk
            if self.horizons_months:
                surv = self.model.predict_survival(X, self.horizons_months)
                for h in self.horizons_months:
                    col = surv[h] if h in surv.columns else surv.iloc[
                        :, list(self.horizons_months).index(h)]
                    out[f"survival_prob_{horizon_label(h)}"] = np.asarray(col, dtype=float)
            lo, hi = self.cutpoints
            grp = np.where(risk <= lo, 0, np.where(risk <= hi, 1, 2))
            out["risk_group"] = pd.Categorical.from_codes(grp, categories=list(RISK_GROUPS))
            out["risk_group"] = out["risk_group"].astype(str)
        else:
            proba = self.model.predict_proba(X)
            proba = np.asarray(proba, dtype=float)
            out["pcr_probability"] = proba[:, 1] if proba.ndim == 2 else proba
        if not np.isfinite(out.select_dtypes("number").to_numpy()).all():
            warnings.warn("some scores are not finite; check the coverage warnings", stacklevel=2)
        return out


def _numeric(values: pd.DataFrame) -> pd.DataFrame:
    """``values`` with every column numeric (text input: unreadable cells become NaN)."""
    if all(pd.api.types.is_numeric_dtype(dt) for dt in pd.unique(values.dtypes)):
        return values
    return values.apply(pd.to_numeric, errors="coerce")


def tertile_cutpoints(risk: np.ndarray) -> tuple[float, float]:
    """The 1/3 and 2/3 quantiles of training risk scores."""
    q = np.quantile(np.asarray(risk, dtype=float), [1 / 3, 2 / 3])
    return float(q[0]), float(q[1])
