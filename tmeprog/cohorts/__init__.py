"""Cohorts: load public and user cohorts into one typed shape (see :class:`Cohort`)."""

from tmeprog.cohorts.model import Cohort, CohortMeta, EndpointInfo
from tmeprog.cohorts.registry import cohort_names, get_entry, load_cohort

__all__ = ["Cohort", "CohortMeta", "EndpointInfo", "cohort_names", "get_entry", "load_cohort"]
