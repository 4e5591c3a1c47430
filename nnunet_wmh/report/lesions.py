"""Connected lesions: labelling, the minimum-size filter, and per-lesion measurements.

A lesion is a connected component of the lesion mask at the chosen connectivity (6: faces, 18: faces and
edges, 26: faces, edges and corners). Components smaller than ``min_lesion_mm3`` are dropped before
anything is counted or measured. Lesion ids run 1..n by decreasing volume (ties: the lesion whose first
voxel comes first in (X, Y, Z) order), so they do not depend on how the array is stored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnunet_wmh.masks import bounding_box, connected_components
from nnunet_wmh.report.options import CONNECTIVITIES

#: Slack when comparing a lesion's volume (voxels × voxel volume) with ``min_lesion_mm3``.
VOLUME_TOLERANCE_MM3 = 1e-9


@dataclass(frozen=True)
class LesionVoxels:
    """Every lesion voxel, with the lesion it belongs to.

    Attributes
    ----------
    indices
        Voxel indices (X, Y, Z), shape (N, 3), int64, sorted by (X, Y, Z).
    labels
        Lesion id of each voxel, 1..count, shape (N,).
    count
        Number of lesions.
    dropped
        Components removed by the minimum-size filter.
    dropped_voxels
        Voxels in those components.
    """

    indices: np.ndarray
    labels: np.ndarray
    count: int
    dropped: int = 0
    dropped_voxels: int = 0

    @property
    def voxel_count(self) -> int:
        """Lesion voxels kept, N."""
        return int(self.labels.size)

    def sizes(self) -> np.ndarray:
        """Voxels per lesion, shape (count,), index 0 is lesion 1."""
        return np.bincount(self.labels, minlength=self.count + 1)[1:]

    def mask(self, shape: tuple[int, ...]) -> np.ndarray:
        """The kept lesions as a boolean mask of ``shape``."""
        mask = np.zeros(shape, dtype=bool)
        mask[tuple(self.indices.T)] = True
        return mask

    def centroids_voxel(self) -> np.ndarray:
        """Mean voxel index of each lesion, shape (count, 3)."""
        sizes = np.maximum(self.sizes(), 1)
        return np.stack(
            [
                np.bincount(self.labels, weights=self.indices[:, axis], minlength=self.count + 1)[1:] / sizes
                for axis in range(3)
            ],
            axis=1,
        )


def find_lesions(
    mask: np.ndarray, *, connectivity: int = 26, min_lesion_mm3: float = 0.0, voxel_volume_mm3: float = 1.0
) -> LesionVoxels:
    """Label the connected lesions of a mask and drop those below a minimum volume.

    Parameters
    ----------
    mask
        Boolean lesion mask, shape (X, Y, Z).
    connectivity
        6, 18 or 26.
    min_lesion_mm3
        Lesions with a volume (voxels × ``voxel_volume_mm3``) below this are dropped (0 keeps all).
    voxel_volume_mm3
        Volume of one voxel in mm³.

    Returns
    -------
    LesionVoxels
    """
    if connectivity not in CONNECTIVITIES:
        raise ValueError(f"connectivity must be one of {CONNECTIVITIES}, got {connectivity}")
    empty = LesionVoxels(np.zeros((0, 3), dtype=np.int64), np.zeros(0, dtype=np.int32), 0)
    box = bounding_box(mask)
    if box is None:
        return empty
    components, count = connected_components(mask[box], connectivity)
    local = np.nonzero(components)  # (X, Y, Z) order
    raw_labels = components[local]
    indices = np.stack(local, axis=1).astype(np.int64) + np.array([axis.start for axis in box])
    sizes = np.bincount(raw_labels, minlength=count + 1)
    keep = sizes * voxel_volume_mm3 >= min_lesion_mm3 - VOLUME_TOLERANCE_MM3
    keep[0] = False
    first_voxel = np.full(count + 1, indices.shape[0], dtype=np.int64)
    np.minimum.at(first_voxel, raw_labels, np.arange(raw_labels.size))
    kept = np.flatnonzero(keep)
    order = kept[np.lexsort((first_voxel[kept], -sizes[kept]))]
    new_label = np.zeros(count + 1, dtype=np.int32)
    new_label[order] = np.arange(1, order.size + 1, dtype=np.int32)
    labels = new_label[raw_labels]
    retained = labels > 0
    return LesionVoxels(
        indices=indices[retained],
        labels=labels[retained],
        count=int(order.size),
        dropped=int(count - order.size),
        dropped_voxels=int(sizes[1:][~keep[1:]].sum()),
    )


def world_coordinates(voxel_indices: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """Voxel indices (N, 3) → world coordinates in mm (nibabel's RAS+), shape (N, 3)."""
    affine = np.asarray(affine, dtype=np.float64)
    return np.asarray(voxel_indices, dtype=np.float64) @ affine[:3, :3].T + affine[:3, 3]
