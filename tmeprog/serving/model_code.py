"""Model code logged with every served model (MLflow models-from-code): the pyfunc class."""

from mlflow.models import set_model

from tmeprog.serving.wrapper import TmeprogPyfunc

set_model(TmeprogPyfunc())
