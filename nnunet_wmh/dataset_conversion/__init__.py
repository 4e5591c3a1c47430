"""Source cohorts → nnU-Net v2 raw datasets (``nnunet_wmh convert``)."""

from nnunet_wmh.dataset_conversion.convert import ConversionResult, convert_dataset
from nnunet_wmh.dataset_conversion.modes import MODES
from nnunet_wmh.dataset_conversion.sources import LAYOUTS, read_source

__all__ = ["LAYOUTS", "MODES", "ConversionResult", "convert_dataset", "read_source"]
