"""Deterministic synthetic brain phantoms and cohorts (tests, benchmarks, demo).

The public names are imported on first use, so that the command line can read :mod:`.options` (the choices of
``synth``) without loading numpy and the writers.
"""

from __future__ import annotations

import importlib
from typing import Any

_PUBLIC = {
    "SYNTHETIC_REGION_TABLE": "nnunet_wmh.synthetic.anatomy",
    "TEST_SITES": "nnunet_wmh.synthetic.cohort",
    "TRAINING_SITES": "nnunet_wmh.synthetic.cohort",
    "SyntheticCohort": "nnunet_wmh.synthetic.cohort",
    "make_synthetic_cohort": "nnunet_wmh.synthetic.cohort",
    "SynthOptions": "nnunet_wmh.synthetic.options",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
