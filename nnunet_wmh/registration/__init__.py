"""Image registration with SimpleITK: atlas regions into native space, T1 onto the FLAIR grid.

SimpleITK is imported by the modules that register, not here, so the command line starts quickly.
"""

#: Transform kinds of :func:`nnunet_wmh.registration.engine.register`.
TRANSFORM_KINDS: tuple[str, ...] = ("rigid", "affine", "affine+bspline")
