"""Longitudinal change: lesions of consecutive sessions of one subject matched in a common space, classed as new,
enlarging, stable, shrinking, vanished, merged or split, and the change per region (``nnunet_wmh change``)."""
