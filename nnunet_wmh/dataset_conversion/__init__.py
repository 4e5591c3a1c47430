"""Source cohorts → nnU-Net v2 raw datasets (``nnunet_wmh convert``).

* :mod:`~nnunet_wmh.dataset_conversion.options`: :class:`ConvertOptions` (what to make; frozen, checked);
* :mod:`~nnunet_wmh.dataset_conversion.modes`, :mod:`~nnunet_wmh.dataset_conversion.inputs`,
  :mod:`~nnunet_wmh.dataset_conversion.targets`: a mode is an input plan (channels) plus a label target;
* :mod:`~nnunet_wmh.dataset_conversion.gather`: the subjects of the source (and test source);
* :mod:`~nnunet_wmh.dataset_conversion.validation`, :mod:`~nnunet_wmh.dataset_conversion.leakage`,
  :mod:`~nnunet_wmh.dataset_conversion.plan`: every subject checked, the cases and folds planned;
* :mod:`~nnunet_wmh.dataset_conversion.writer`, :mod:`~nnunet_wmh.dataset_conversion.splits`,
  :mod:`~nnunet_wmh.dataset_conversion.coregistration`: images, labels, folds, T1 onto the FLAIR grid;
* :mod:`~nnunet_wmh.nnunet.dataset_ids`: the target folder and nnU-Net's dataset ids;
* :mod:`~nnunet_wmh.dataset_conversion.convert`: :func:`convert_dataset`, the whole flow.

The public names are imported on first use, so that ``import nnunet_wmh.dataset_conversion.modes`` (the
command line's option choices) does not load nnU-Net and the writers.
"""

from __future__ import annotations

from nnunet_wmh.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "nnunet_wmh.dataset_conversion.convert": ["ConversionResult", "convert_dataset"],
        "nnunet_wmh.dataset_conversion.options": ["ConvertOptions"],
        "nnunet_wmh.dataset_conversion.modes": ["MODES"],
    },
)
