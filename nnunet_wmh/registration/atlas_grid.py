"""Whether an atlas's labels lie on its template's grid, from the two headers (no voxels, no SimpleITK).

Labels of the template's shape but moved by millimetres would be carried to every subject moved by as much.
:func:`~nnunet_wmh.registration.atlas.load_atlas` calls :func:`check_atlas_grid` first, so every command that takes
an atlas (``regions``, ``segment``, ``study``) refuses them; reading headers only, it is cheap enough to call
before any other work.
"""

from __future__ import annotations

import os
from pathlib import Path

from nnunet_wmh.errors import ImageReadError, InputDataError
from nnunet_wmh.geometry import Geometry, geometry_differences
from nnunet_wmh.io import dimension_problem, load_nifti

#: How messages name the atlas in place of a subject.
ATLAS = "atlas"
#: Largest distance (mm) along any axis between the origins of the atlas labels and the atlas image. The labels
#: are placed by their own header, so what this allows is how far they may sit off the template: a hundredth of a
#: 1 mm template voxel, which nearest-neighbour resampling does not notice, and 50 times less than a half-voxel
#: (corner against centre) mistake on such a grid; float32 header rounding (about 1e-5 mm at 200 mm from the
#: world origin) stays far inside it. Direction cosines may differ by
#: :data:`~nnunet_wmh.geometry.GEOMETRY_TOLERANCE_MM` (1e-4: 0.01 mm at 100 mm from the origin).
ATLAS_ORIGIN_TOLERANCE_MM = 0.01
#: Relative tolerance of the atlas labels' voxel spacing against the atlas image's: 0.01 mm over 100 voxels of
#: 1 mm, as the origin's; float32 rounding of a spacing is about 1e-7 of it.
ATLAS_SPACING_RTOL = 1e-4


def check_atlas_grid(atlas_image: str | os.PathLike[str], atlas_labels: str | os.PathLike[str]) -> None:
    """Raise InputDataError unless the atlas labels lie on the atlas image's grid; headers only, no voxels read.

    Shape, voxel spacing (relative :data:`ATLAS_SPACING_RTOL`), origin (:data:`ATLAS_ORIGIN_TOLERANCE_MM` mm) and
    direction cosines (:data:`~nnunet_wmh.geometry.GEOMETRY_TOLERANCE_MM`) must match: labels of the template's
    shape but moved by millimetres would otherwise be registered as if they were on it. Cheap enough for every
    command that takes an atlas to call before any work.

    Parameters
    ----------
    atlas_image
        The atlas template image (``.nii.gz`` or ``.nii``).
    atlas_labels
        Its region labels, expected on the same grid.

    Raises
    ------
    InputDataError
        Subject ``atlas``: a file that cannot be read, is not 3-D, or labels on another grid (the message names
        the labels file, the image file, and each field that differs, found against expected, in mm).
    """
    image_path, labels_path = Path(atlas_image), Path(atlas_labels)
    geometries = []
    for path in (image_path, labels_path):
        try:
            image = load_nifti(path)
        except ImageReadError as exc:
            raise InputDataError(ATLAS, exc.path, exc.problem) from exc
        problem = dimension_problem(tuple(int(s) for s in image.shape))
        if problem:
            raise InputDataError(ATLAS, str(path), problem)
        geometries.append(Geometry.of(image))
    template, labels = geometries
    differences = geometry_differences(
        labels,
        template,
        reference_name=f"atlas image {image_path}",
        spacing_rtol=ATLAS_SPACING_RTOL,
        origin_atol=ATLAS_ORIGIN_TOLERANCE_MM,
    )
    if differences:
        problem = "; ".join(differences)
        raise InputDataError(ATLAS, str(labels_path), f"{problem}; the atlas labels must lie on the atlas image's grid")
