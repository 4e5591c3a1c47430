"""Deterministic synthetic brain phantoms and cohorts (tests, benchmarks, demo).

The public names are imported on first use, so that the command line can read :mod:`.options` (the choices of
``synth``) without loading numpy and the writers.
"""

from __future__ import annotations

from nnunet_wmh.lazy import lazy_exports

_PUBLIC = {
    "SYNTHETIC_REGION_TABLE": "nnunet_wmh.synthetic.anatomy",
    "TEST_SITES": "nnunet_wmh.synthetic.cohort",
    "TRAINING_SITES": "nnunet_wmh.synthetic.cohort",
    "SyntheticCohort": "nnunet_wmh.synthetic.cohort",
    "make_synthetic_cohort": "nnunet_wmh.synthetic.cohort",
    "SynthOptions": "nnunet_wmh.synthetic.options",
}

__all__ = sorted(_PUBLIC)

__getattr__, __dir__ = lazy_exports(__name__, _PUBLIC)
