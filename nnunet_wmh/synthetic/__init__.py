"""Deterministic synthetic brain phantoms and cohorts (tests, benchmarks, demo).

The public names are imported on first use, so that the command line can read :mod:`.options` (the choices of
``synth``) without loading numpy and the writers.
"""

from __future__ import annotations

from nnunet_wmh.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "nnunet_wmh.synthetic.anatomy": ["SYNTHETIC_REGION_TABLE"],
        "nnunet_wmh.synthetic.cohort": ["TEST_SITES", "TRAINING_SITES", "SyntheticCohort", "make_synthetic_cohort"],
        "nnunet_wmh.synthetic.options": ["SynthOptions"],
    },
)
