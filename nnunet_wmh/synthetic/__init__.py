"""Deterministic synthetic brain phantoms and cohorts (tests, benchmarks, demo)."""

from nnunet_wmh.synthetic.anatomy import SYNTHETIC_REGION_TABLE
from nnunet_wmh.synthetic.cohort import TEST_SITES, TRAINING_SITES, SyntheticCohort, make_synthetic_cohort

__all__ = ["SYNTHETIC_REGION_TABLE", "TEST_SITES", "TRAINING_SITES", "SyntheticCohort", "make_synthetic_cohort"]
