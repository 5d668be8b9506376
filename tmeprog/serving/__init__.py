"""The served model: the fitted :class:`~tmeprog.serving.scorer.Scorer` that turns raw
expression (and clinical covariates) into risk, shared by the pyfunc, batch scoring and
``explain``."""

from tmeprog.serving.scorer import Scorer, horizon_label

__all__ = ["Scorer", "horizon_label"]
