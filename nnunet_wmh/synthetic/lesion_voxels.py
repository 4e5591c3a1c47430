"""Truth lesions voxelized on a session's native grid, around the lesions only, before any image is made.

:mod:`~nnunet_wmh.synthetic.longitudinal` draws a lesion, voxelizes it here on every session's grid (in a box
around it: a few thousand voxels instead of the whole grid) and keeps it only if the voxels say what the model
says (volumes, connected components). The voxelization is the one :func:`~nnunet_wmh.synthetic.phantom.
sample_subject` makes: voxel centres through the session's world → template transform, the lesion's blobs
inside white matter (:func:`~nnunet_wmh.synthetic.phantom.lesion_id_labels`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import ndimage

from nnunet_wmh.synthetic.anatomy import PHANTOM, WHITE_MATTER, PhantomAnatomy
from nnunet_wmh.synthetic.phantom import SubjectPathology, lesion_id_labels
from nnunet_wmh.synthetic.visits import SessionGrid

#: 26-connectivity, as the WMH challenge's lesion metrics (and ``change``) count lesions.
CONNECTIVITY_26 = np.ones((3, 3, 3), dtype=bool)


def _union_box(grid: SessionGrid, spheres: Sequence[tuple[np.ndarray, float]]) -> tuple[slice, slice, slice]:
    boxes = [grid.voxel_box(centre, radius) for centre, radius in spheres]
    return tuple(slice(min(b[axis].start for b in boxes), max(b[axis].stop for b in boxes))
                 for axis in range(3))  # type: ignore[return-value]  # fmt: skip


def voxelize(
    grid: SessionGrid,
    pathology: SubjectPathology,
    spheres: Sequence[tuple[np.ndarray, float]],
    anatomy: PhantomAnatomy = PHANTOM,
) -> np.ndarray:
    """Truth lesion ids of ``pathology`` (with ``lesion_ids``) on ``grid``, in the box of voxels that may see the
    template ``spheres`` ((centre mm, radius mm) covering every lesion); uint16 (box shape), 0 elsewhere."""
    box = _union_box(grid, spheres)
    shape = tuple(s.stop - s.start for s in box)
    if min(shape) == 0:
        return np.zeros(shape, dtype=np.uint16)
    ijk = np.indices(shape, dtype=np.float64).reshape(3, -1) + np.array([[s.start] for s in box], dtype=np.float64)
    world = (grid.affine[:3, :3] @ ijk).T + grid.affine[:3, 3]
    template = grid.transform(world)
    white_matter = anatomy.tissue_classes(template) == WHITE_MATTER
    return lesion_id_labels(template, white_matter, pathology, anatomy).reshape(shape)


def component_count(lesion_ids: np.ndarray, wanted: Sequence[int]) -> int:
    """Number of 26-connected components of the voxels whose id is in ``wanted``."""
    return int(ndimage.label(np.isin(lesion_ids, wanted), structure=CONNECTIVITY_26)[1])


def component_volumes_mm3(lesion_ids: np.ndarray, wanted: Sequence[int], voxel_volume_mm3: float) -> list[float]:
    """Volumes (mm³) of the 26-connected components of the voxels whose id is in ``wanted``, largest first."""
    components, count = ndimage.label(np.isin(lesion_ids, wanted), structure=CONNECTIVITY_26)
    sizes = np.bincount(components.ravel(), minlength=count + 1)[1:]
    return sorted((float(n) * voxel_volume_mm3 for n in sizes), reverse=True)


def volume_mm3(lesion_ids: np.ndarray, lesion_id: int, voxel_volume_mm3: float) -> float:
    """Volume (mm³) of the voxels holding ``lesion_id``."""
    return float(np.count_nonzero(lesion_ids == lesion_id)) * voxel_volume_mm3
