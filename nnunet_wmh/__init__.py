"""nnU-Net v2 plugin for white matter hyperintensity segmentation and localization in native space."""

__version__ = "0.1.0"
