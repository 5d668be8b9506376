"""MLflow tracking: the project's store, run metadata, the served pyfunc and the registry."""
