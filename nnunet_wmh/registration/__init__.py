"""Image registration with SimpleITK: atlas regions into native space, T1 onto the FLAIR grid.

SimpleITK is imported by the modules that register, not here, so the command line starts quickly.
"""

from nnunet_wmh.errors import UsageError
from nnunet_wmh.runs.options import check_choice

#: Transform kinds of :func:`nnunet_wmh.registration.engine.register`.
TRANSFORM_KINDS: tuple[str, ...] = ("rigid", "affine", "affine+bspline")


def check_transform_kind(transform: str) -> None:
    """UsageError unless ``transform`` is one of :data:`TRANSFORM_KINDS`."""
    check_choice("transform", transform, TRANSFORM_KINDS)


#: The options that name a user's atlas, given all together or not at all.
ATLAS_OPTIONS = ("atlas_image", "atlas_labels", "region_table")


def check_atlas_options(atlas_image: object, atlas_labels: object, region_table: object) -> None:
    """Raise UsageError unless the atlas template, its labels and their names are given together, or none.

    The one rule of every command that takes an atlas (``regions``, ``segment``, ``study``).
    """
    given = dict(zip(ATLAS_OPTIONS, (atlas_image, atlas_labels, region_table), strict=True))
    missing = [name for name, value in given.items() if value is None or value == ""]
    if missing and len(missing) < len(ATLAS_OPTIONS):
        listed = ", ".join(f"`{name}`" for name in missing)
        raise UsageError(
            f"{listed} missing: give `atlas_image`, `atlas_labels` and `region_table` together (or none)", missing[0]
        )
