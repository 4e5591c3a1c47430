"""Deterministic synthetic brain phantoms and cohorts (tests, benchmarks, demo)."""

from nnunet_wmh.synthetic.cohort import TEST_SITES, TRAINING_SITES, SyntheticCohort, make_synthetic_cohort
from nnunet_wmh.synthetic.phantom import SYNTHETIC_REGION_TABLE

__all__ = ["SYNTHETIC_REGION_TABLE", "TEST_SITES", "TRAINING_SITES", "SyntheticCohort", "make_synthetic_cohort"]
