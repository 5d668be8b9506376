"""A patient's TME profile: where each TME feature lies against the model's training cohorts,
subtype calls, predicted survival beside the observed survival of the patient's risk group,
and what drove the risk (SHAP).

Every number comes from the served model (:class:`~tmeprog.serving.scorer.Scorer`) and the
aggregates it froze at training (:mod:`tmeprog.serving.reference`); the training cohorts'
patient rows are not needed and not stored.
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tmeprog.errors import InputError
from tmeprog.explain import explain_scorer

LEVELS = ((25.0, "low"), (75.0, "typical"), (100.1, "high"))
SUBTYPE_COLUMNS = ("pam50", "er", "pr", "her2", "subtype")


@dataclass
class PatientProfile:
    """One patient's profile (see the module docstring)."""

    sample: str
    features: pd.DataFrame  # feature, compartment, value, percentile, level
    subtype: dict
    clinical: dict
    risk: float
    risk_group: str
    survival: pd.DataFrame  # month, survival (the model's S(t) for this patient)
    group_curve: pd.DataFrame  # month, survival, ci_low, ci_high (training risk group, KM)
    endpoint: str
    shap: pd.Series  # model feature -> SHAP value (model output scale)
    shap_base: float
    shap_output: str
    horizons: dict = field(default_factory=dict)  # "5y" -> S(h)
    warnings: list[str] = field(default_factory=list)


def check_samples(ids: pd.Index, wanted: list[str], where: str) -> list[str]:
    """``wanted`` as given, or one error naming the unknown ids with the nearest known ones."""
    if not wanted:
        raise InputError("give at least one --sample ID")
    known = pd.Index(ids.astype(str))
    unknown = [s for s in wanted if s not in known]
    if unknown:
        hints = []
        for s in unknown[:5]:
            near = difflib.get_close_matches(s, list(known), n=3, cutoff=0.6)
            near += [k for k in known if k.lower() == s.lower() and k not in near]
            hints.append(f"{s!r}" + (f" (did you mean {', '.join(map(repr, near))}?)"
                                     if near else ""))
        raise InputError(f"{len(unknown)} sample id(s) not in {where}: {'; '.join(hints)}; "
                         f"it holds {len(known)} samples, e.g. {', '.join(known[:3])}")
    if len(set(wanted)) < len(wanted):
        raise InputError("a --sample id is given twice")
    return list(wanted)


def _check_model(scorer) -> None:
    if scorer.task != "prognosis":
        raise InputError(f"profiles are for prognosis models; this is a {scorer.task} model")
    if scorer.extractor is None:
        raise InputError("this model uses no TME features (clinical covariates only): there is "
                         "no TME profile to draw")
    if getattr(scorer, "feature_reference", None) is None or \
            getattr(scorer, "risk_curves", None) is None:
        raise InputError("this model was trained without a training reference (it predates "
                         "profiles); train it again with `tmeprog train` to profile patients")


def _level(p: float) -> str:
    if not np.isfinite(p):
        return ""
    return next(name for bound, name in LEVELS if p < bound)


def build_profiles(scorer, cohort, samples: list[str], max_genes_missing: float = 0.5
                   ) -> list[PatientProfile]:
    """Profiles of ``samples`` of ``cohort`` (a :class:`~tmeprog.cohorts.Cohort` with
    expression) under the served ``scorer``.

    Raises
    ------
    InputError
        A response or clinical-only model, a model without a training reference, a cohort
        without expression, unknown sample ids, or a sample lacking most model genes.
    """
    from tmeprog.tracking.pyfunc import model_input  # deferred: pyfunc loads mlflow, over a second

    _check_model(scorer)
    if cohort.expression is None:
        raise InputError(f"{cohort.name!r} holds no expression; a profile needs the "
                         "patient's expression")
    samples = check_samples(cohort.expression.index, samples, cohort.name)
    if getattr(scorer, "cohort_scaled", None):  # the cohort's scale, not the patients' own
        scorer = scorer.with_cohort_scale(scorer.tme_features(cohort.expression),
                                          f"cohort {cohort.name!r}")
    expr = cohort.expression.loc[samples]
    genes = list(getattr(scorer.extractor, "input_genes_", []) or [])
    if genes:
        have = expr.reindex(columns=genes).notna().mean(axis=1)
        short = have[have < 1.0 - max_genes_missing]
        if len(short):
            listed = ", ".join(f"{i!r} ({100 * (1 - v):.0f}%)" for i, v in short.iloc[:5].items())
            raise InputError(f"sample(s) {listed} lack that share of the model's {len(genes)} "
                             "genes; a profile would be mostly imputed")
    clin = cohort.clinical.reindex(expr.index)
    frame = model_input(expr, clin)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pred = scorer.predict(frame)
        feats = scorer.on_cohort_scale(scorer.extractor.transform(expr))
        values, clinical = scorer.split(frame)
        called = scorer.with_subtype_calls(values, clinical) \
            if getattr(scorer, "subtyper", None) is not None else clinical
        X = scorer.design(frame)
        # up to where the training risk groups still had patients at risk
        end = float(scorer.risk_curves.curves["month"].max())
        grid = np.arange(0.0, end + 1e-9, 3.0)
        surv = scorer.model.predict_survival(X, list(grid))
        expl = explain_scorer(scorer, frame)
    notes = sorted({str(w.message) for w in caught if issubclass(w.category, UserWarning)})
    ref = scorer.feature_reference
    curves = scorer.risk_curves
    out = []
    for i, s in enumerate(samples):
        f = feats.loc[s]
        pct = ref.percentile(f)
        table = pd.DataFrame({
            "feature": f.index, "compartment": [ref.compartments.get(k, "other")
                                                for k in f.index],
            "value": f.to_numpy(float), "percentile": pct.reindex(f.index).to_numpy(float)})
        table = table[table["feature"].isin(ref.quantiles.columns)]
        table["level"] = [_level(p) for p in table["percentile"]]
        missing = [c for c in scorer.clinical_columns
                   if c in X.columns and pd.isna(_source_value(scorer, c, clinical, s))]
        w = list(notes)
        if missing:
            w.append(f"covariates not recorded for this patient, imputed by the training "
                     f"median: {', '.join(missing)}")
        imputed = table["percentile"].isna()
        if imputed.any():
            w.append(f"{int(imputed.sum())} TME feature(s) could not be computed (too few of "
                     f"their genes): {', '.join(table['feature'][imputed][:5])}")
        sub = {c: called.loc[s, c] for c in SUBTYPE_COLUMNS if c in called.columns
               and pd.notna(called.loc[s, c])}
        why = scorer.info.get("subtype_calls")
        if "pam50" not in sub and isinstance(why, str) and why.startswith("not computed"):
            w.append(f"no PAM50 call: subtypes {why}")
        horizons = {c.removeprefix("survival_prob_"): float(pred.loc[s, c])
                    for c in pred.columns if c.startswith("survival_prob_")}
        group = str(pred.loc[s, "risk_group"])
        out.append(PatientProfile(
            sample=s, features=table.reset_index(drop=True), subtype=sub,
            clinical={c: _plain(clinical.loc[s, c]) for c in clinical.columns
                      if pd.notna(clinical.loc[s, c])},
            risk=float(pred.loc[s, "risk_score"]), risk_group=group,
            survival=pd.DataFrame({"month": grid, "survival":
                                   np.asarray(surv.iloc[i], dtype=float)}),
            group_curve=curves.group(group), endpoint=curves.endpoint,
            shap=expl.values.loc[s], shap_base=float(expl.base_value),
            shap_output=str(expl.output), horizons=horizons, warnings=w))
    return out


def _plain(v):
    """A recorded value as written: whole numbers without a decimal point."""
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return int(v)
    return v


def _source_value(scorer, design_col: str, clinical: pd.DataFrame, sample: str):
    """The patient's recorded value behind a clinical design column (NaN when absent)."""
    for src in scorer.covariate_sources().get(design_col, (design_col,)):
        if src in clinical.columns and pd.notna(clinical.loc[sample, src]):
            return clinical.loc[sample, src]
    return np.nan
