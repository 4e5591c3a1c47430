"""Small operations on boolean masks shared by the metrics, the report and its pictures."""

from __future__ import annotations

import cc3d
import numpy as np


def bounding_box(mask: np.ndarray, *, margin: tuple[int, ...] = (0, 0, 0)) -> tuple[slice, ...] | None:
    """Smallest box holding every True voxel, widened by ``margin`` voxels per axis (clipped to the
    image); None for an empty mask."""
    projection_xy = mask.any(axis=2)
    along = (projection_xy.any(axis=1), projection_xy.any(axis=0), mask.any(axis=(0, 1)))
    box = []
    for present, extra, size in zip(along, margin, mask.shape, strict=True):
        indices = np.flatnonzero(present)
        if indices.size == 0:
            return None
        box.append(slice(max(int(indices[0]) - extra, 0), min(int(indices[-1]) + 1 + extra, size)))
    return tuple(box)


def value_counts(values: np.ndarray, minlength: int = 0) -> np.ndarray:
    """Voxels per value of a non-negative integer array (``np.bincount`` of all voxels).

    uint8 arrays are counted two voxels at a time (as uint16 pairs, folded afterwards), which nearly halves
    the cost of the full-volume count every report case needs (``np.bincount`` converts its whole input to
    int64 first; counting in chunks was measured slower).
    """
    flat = np.asarray(values).ravel(order="K")
    if flat.dtype != np.uint8 or flat.size < 2:
        return np.bincount(flat, minlength=minlength)
    if not flat.flags.c_contiguous:
        flat = np.ascontiguousarray(flat)
    even = flat.size - flat.size % 2
    folded = np.bincount(flat[:even].view(np.uint16), minlength=1 << 16).reshape(256, 256)
    counts = folded.sum(axis=0) + folded.sum(axis=1)
    if even < flat.size:
        counts[flat[-1]] += 1
    highest = int(np.flatnonzero(counts)[-1]) + 1 if counts.any() else 0
    return counts[: max(highest, minlength)]


def connected_components(mask: np.ndarray, connectivity: int) -> tuple[np.ndarray, int]:
    """Label the connected components of a boolean mask (6, 18 or 26 connectivity).

    Returns
    -------
    labels, count
        Labels 1..count (0 background), same shape as ``mask``; the number of components.
    """
    # One voxel of background around the mask changes no component, and avoids cc3d's union-find size
    # estimate failing on arrays of a few voxels (e.g. shape (1, 1, 3) with two components).
    labels, count = cc3d.connected_components(np.pad(mask, 1), connectivity=connectivity, return_N=True)
    return labels[1:-1, 1:-1, 1:-1], int(count)


def in_plane_boundary(mask: np.ndarray) -> np.ndarray:
    """Boundary voxels of a mask: the mask minus its in-plane erosion.

    Equals ``mask - sitk.BinaryErode(mask, (1, 1, 0))``: erosion by a 3 × 3 square in each (X, Y) slice,
    none along Z, with voxels beyond the image edge treated as foreground.

    Parameters
    ----------
    mask
        Boolean array, shape (X, Y, Z) in nibabel's voxel order.

    Returns
    -------
    np.ndarray
        Boolean array, same shape.
    """
    mask = np.asarray(mask, dtype=bool)
    size_x, size_y = mask.shape[:2]
    padded = np.pad(mask, ((1, 1), (1, 1), (0, 0)), constant_values=True)
    eroded = mask.copy()
    for dx in range(3):
        for dy in range(3):
            eroded &= padded[dx : dx + size_x, dy : dy + size_y]
    return mask & ~eroded
