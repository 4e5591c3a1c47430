"""Voxel grids in world coordinates, and the one tolerance with which two grids count as the same.

nnU-Net needs every channel of a case, and its label map, on one grid; ``evaluate`` and ``report`` need
each prediction on its reference's grid. Grids are compared from the headers only.
"""

from __future__ import annotations

from dataclasses import dataclass

import nibabel as nib
import numpy as np

#: Largest allowed difference of origin (mm), direction cosines and, between a prediction and the maps on
#: its grid, voxel spacing (mm). nnU-Net writes predictions through SimpleITK, which moves them by far less.
GEOMETRY_TOLERANCE_MM = 1e-4
#: Relative tolerance of voxel spacing between the images of one case, as in nnU-Net's own check
#: (``np.allclose``'s default rtol).
SPACING_RTOL = 1e-5


@dataclass(frozen=True)
class Geometry:
    """The voxel grid of an image in world coordinates.

    Attributes
    ----------
    shape
        Voxel counts per axis, ``(X, Y, Z)``.
    spacing
        Voxel size per axis in mm, from the header's zooms.
    origin
        World position of voxel (0, 0, 0) in mm (nibabel's RAS+), shape (3,).
    direction
        Direction cosines, the affine's 3×3 part divided by the spacing, shape (3, 3).
    """

    shape: tuple[int, ...]
    spacing: tuple[float, ...]
    origin: np.ndarray
    direction: np.ndarray

    @classmethod
    def of(cls, image: nib.Nifti1Image) -> Geometry:
        """Read the geometry from a NIfTI header (no voxel data is loaded); a 4-D image with one volume
        has the grid of its 3-D volume."""
        affine = np.asarray(image.affine, dtype=np.float64)
        spacing = tuple(float(z) for z in image.header.get_zooms()[:3])
        linear = affine[:3, :3]
        column_norms = np.linalg.norm(linear, axis=0)
        column_norms[column_norms == 0] = 1.0
        shape = tuple(int(s) for s in image.shape)
        if len(shape) == 4 and shape[3] == 1:
            shape = shape[:3]
        return cls(shape=shape, spacing=spacing, origin=affine[:3, 3].copy(), direction=linear / column_norms)

    def is_orthonormal(self, tolerance: float = 1e-3) -> bool:
        """Whether the direction cosines have no shear (SimpleITK, and so nnU-Net, needs that)."""
        gram = self.direction.T @ self.direction
        return bool(np.allclose(gram, np.eye(3), atol=tolerance))


def _fmt(values) -> str:
    return "(" + ", ".join(f"{float(v):.6g}" for v in values) + ")"


def geometry_differences(
    geometry: Geometry,
    reference: Geometry,
    *,
    reference_name: str,
    spacing_rtol: float = SPACING_RTOL,
    spacing_atol: float = 0.0,
    origin_atol: float = GEOMETRY_TOLERANCE_MM,
) -> list[str]:
    """Describe how ``geometry`` differs from ``reference``; an empty list means the same grid.

    Origins may differ by ``origin_atol`` (mm), direction cosines by :data:`GEOMETRY_TOLERANCE_MM`.

    Parameters
    ----------
    geometry, reference
        The grids to compare.
    reference_name
        How messages call the reference, e.g. ``"FLAIR"``.
    spacing_rtol, spacing_atol
        Relative and absolute (mm) tolerance of the voxel spacing (nnU-Net's own check uses
        ``np.allclose``'s relative tolerance; predictions are compared with an absolute
        :data:`GEOMETRY_TOLERANCE_MM`).
    origin_atol
        Largest allowed distance between the origins along any axis, in mm.
    """
    if geometry.shape != reference.shape:
        return [f"shape {geometry.shape} != {reference_name} shape {reference.shape}"]
    problems = []
    if not np.allclose(geometry.spacing, reference.spacing, rtol=spacing_rtol, atol=spacing_atol):
        problems.append(f"spacing {_fmt(geometry.spacing)} mm != {reference_name} spacing {_fmt(reference.spacing)} mm")
    origin_gap = float(np.max(np.abs(geometry.origin - reference.origin)))
    if origin_gap > origin_atol:
        problems.append(
            f"origin {_fmt(geometry.origin)} mm differs from {reference_name} origin "
            f"{_fmt(reference.origin)} mm by {origin_gap:.4g} mm (tolerance {origin_atol:g} mm)"
        )
    direction_gap = float(np.max(np.abs(geometry.direction - reference.direction)))
    if direction_gap > GEOMETRY_TOLERANCE_MM:
        problems.append(
            f"direction cosines differ from {reference_name} by {direction_gap:.4g} "
            f"(tolerance {GEOMETRY_TOLERANCE_MM:g})"
        )
    return problems


def prediction_grid_differences(geometry: Geometry, reference: Geometry, *, reference_name: str) -> list[str]:
    """:func:`geometry_differences` as ``evaluate`` and ``report`` apply it: spacing within
    :data:`GEOMETRY_TOLERANCE_MM` mm."""
    return geometry_differences(
        geometry, reference, reference_name=reference_name, spacing_rtol=0.0, spacing_atol=GEOMETRY_TOLERANCE_MM
    )
