"""The MLflow pyfunc around a fitted :class:`~tmeprog.serving.scorer.Scorer`.

The model is logged from code (MLflow's models-from-code: :mod:`tmeprog.serving.model_code`
names this class), the fitted scorer beside it as the artifact ``scorer``; loading the model
reads that artifact back in :meth:`TmeprogPyfunc.load_context`.
"""

from __future__ import annotations

import cloudpickle
import mlflow
import pandas as pd

#: Artifact key of the fitted scorer in a logged model.
SCORER_ARTIFACT = "scorer"


class TmeprogPyfunc(mlflow.pyfunc.PythonModel):
    """MLflow wrapper around a fitted scorer (no data inside but frozen references).

    Parameters
    ----------
    scorer : Scorer or None
        The fitted scorer; None when the model is loaded from code (then read from the
        ``scorer`` artifact).
    """

    def __init__(self, scorer=None):
        self.scorer = scorer

    def load_context(self, context) -> None:
        """Read the fitted scorer from the model's ``scorer`` artifact (models from code)."""
        if self.scorer is None and context is not None and context.artifacts:
            with open(context.artifacts[SCORER_ARTIFACT], "rb") as f:
                self.scorer = cloudpickle.load(f)

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        """Score each row of ``model_input``."""
        return self.scorer.predict(model_input).reset_index(drop=True)
