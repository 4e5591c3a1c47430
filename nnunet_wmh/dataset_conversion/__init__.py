"""Source cohorts → nnU-Net v2 raw datasets (``nnunet_wmh convert``).

The public names are imported on first use, so that ``import nnunet_wmh.dataset_conversion.modes`` (the
command line's option choices) does not load pandas and the writers.
"""

from __future__ import annotations

import importlib
from typing import Any

_PUBLIC = {
    "ConversionResult": "nnunet_wmh.dataset_conversion.convert",
    "convert_dataset": "nnunet_wmh.dataset_conversion.convert",
    "MODES": "nnunet_wmh.dataset_conversion.modes",
    "LAYOUTS": "nnunet_wmh.cohorts",
    "read_source": "nnunet_wmh.cohorts",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
