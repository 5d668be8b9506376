"""Reports: a self-contained HTML summary of a tracked run."""
