"""Training pipelines: TOML configs in, validated models and tracked MLflow runs out."""
