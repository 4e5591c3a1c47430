"""Periventricular or deep: three rules, all measured from the lateral ventricles only.

``distance`` (DeCarli; default 10 mm)
    A lesion voxel is periventricular if its centre lies within ``distance_mm`` of the centre of a
    ventricle voxel (Euclidean, in mm, on the native anisotropic grid). A lesion is periventricular if at
    least half of its volume is.
``contact`` (LST-AI)
    A lesion is periventricular if it touches the ventricles: one of its voxels is a ventricle voxel or
    shares a face, edge or corner with one. All its voxels count as periventricular.
``continuity`` (continuity with the ventricular cap)
    A lesion voxel is periventricular if it lies within ``distance_mm`` of the ventricles *and* is joined
    to the ventricle wall through lesion voxels that all lie within ``distance_mm``: the periventricular
    cap of a lesion that grows out of the ventricles, not a separate deep lesion that happens to lie near
    them, nor the far part of a confluent lesion. A lesion is periventricular if it touches the
    ventricles.

Ventricle maps are a binary mask (values 0/1) or a FreeSurfer / SynthSeg label map, of which the lateral
ventricles (labels 4 and 43) are used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from nnunet_wmh.masks import bounding_box, connected_components
from nnunet_wmh.report.lesions import LesionVoxels
from nnunet_wmh.report.options import DEFAULT_PV_DISTANCE_MM, PV_RULES

PvRule = Literal["distance", "contact", "continuity"]
#: FreeSurfer / SynthSeg labels of the left and right lateral ventricles.
LATERAL_VENTRICLE_LABELS = (4, 43)
PERIVENTRICULAR, DEEP = "periventricular", "deep"


class VentricleMapError(ValueError):
    """A ventricle map without lateral ventricles (the caller adds subject and file)."""


def ventricle_mask(values: np.ndarray) -> np.ndarray:
    """Lateral ventricles from a binary mask (0/1) or a FreeSurfer / SynthSeg label map (labels 4, 43).

    Raises
    ------
    VentricleMapError
        If the result is empty.
    """
    values = np.asarray(values)
    if values.dtype.kind == "f":
        values = np.rint(values).astype(np.int64)
    highest = int(values.max()) if values.size else 0
    if highest <= 1 and (values.size == 0 or int(values.min()) >= 0):
        mask = values == 1
        what = "binary ventricle mask is empty"
    else:
        mask = np.isin(values, LATERAL_VENTRICLE_LABELS)
        left, right = LATERAL_VENTRICLE_LABELS
        what = f"label map holds no lateral ventricles (labels {left} and {right})"
    if not mask.any():
        raise VentricleMapError(what)
    return mask


@dataclass(frozen=True)
class PvClassification:
    """Periventricular / deep decision per lesion voxel and per lesion.

    Attributes
    ----------
    voxel_periventricular
        Shape (N,), aligned with :attr:`LesionVoxels.labels`.
    lesion_periventricular
        Shape (count,), lesion id k at index k - 1.
    """

    voxel_periventricular: np.ndarray
    lesion_periventricular: np.ndarray

    def locations(self) -> list[str]:
        """``"periventricular"`` or ``"deep"`` per lesion."""
        return [PERIVENTRICULAR if pv else DEEP for pv in self.lesion_periventricular]


def _box_around(indices: np.ndarray, margin: np.ndarray, shape: tuple[int, ...]) -> tuple[slice, ...]:
    low = np.maximum(indices.min(axis=0) - margin, 0)
    high = np.minimum(indices.max(axis=0) + margin + 1, shape)
    return tuple(slice(int(a), int(b)) for a, b in zip(low, high, strict=True))


def _touching(lesions: LesionVoxels, ventricles: np.ndarray) -> np.ndarray:
    from scipy import ndimage  # heavy: scipy, imported when needed

    box = _box_around(lesions.indices, np.ones(3, dtype=np.int64), ventricles.shape)
    grown = ndimage.binary_dilation(ventricles[box], structure=np.ones((3, 3, 3), dtype=bool))
    local = lesions.indices - np.array([s.start for s in box])
    voxel_touches = grown[tuple(local.T)]
    touches = np.zeros(lesions.count + 1, dtype=bool)
    touches[lesions.labels[voxel_touches]] = True
    return touches[1:]


def _within_distance(
    lesions: LesionVoxels, ventricles: np.ndarray, spacing: tuple[float, ...], distance_mm: float
) -> tuple[np.ndarray, tuple[slice, ...] | None, np.ndarray | None]:
    """Which lesion voxels lie within ``distance_mm`` of the ventricles, and the distance map used.

    The distance transform runs on the overlap of the lesions' and the ventricles' boxes, each widened by
    the distance: any voxel within the distance of a ventricle voxel lies in it, with that ventricle voxel.
    """
    from scipy import ndimage  # heavy: scipy, imported when needed

    margin = np.array([math.ceil(distance_mm / s) + 1 for s in spacing], dtype=np.int64)
    lesion_box = _box_around(lesions.indices, margin, ventricles.shape)
    ventricle_box = bounding_box(ventricles, margin=tuple(int(m) for m in margin))
    near = np.zeros(lesions.voxel_count, dtype=bool)
    if ventricle_box is None:
        return near, None, None
    box = tuple(
        slice(max(a.start, b.start), min(a.stop, b.stop)) for a, b in zip(lesion_box, ventricle_box, strict=True)
    )
    if any(s.stop <= s.start for s in box) or not ventricles[box].any():
        return near, None, None
    distances = ndimage.distance_transform_edt(~ventricles[box], sampling=spacing)
    local = lesions.indices - np.array([s.start for s in box])
    inside = np.all((local >= 0) & (local < np.array([s.stop - s.start for s in box])), axis=1)
    near[inside] = distances[tuple(local[inside].T)] <= distance_mm + 1e-9
    return near, box, distances


def classify_periventricular(
    lesions: LesionVoxels,
    ventricles: np.ndarray,
    *,
    spacing: tuple[float, ...],
    rule: PvRule = "distance",
    distance_mm: float = DEFAULT_PV_DISTANCE_MM,
    connectivity: int = 26,
) -> PvClassification:
    """Periventricular / deep for every lesion voxel and every lesion.

    Parameters
    ----------
    lesions
        The lesions (after the minimum-size filter).
    ventricles
        Boolean lateral-ventricle mask on the lesions' grid, shape (X, Y, Z).
    spacing
        Voxel size in mm per axis (the grid's direction cosines must be orthonormal, as nnU-Net needs).
    rule
        ``distance``, ``contact`` or ``continuity`` (module docstring).
    distance_mm
        Distance of the ``distance`` and ``continuity`` rules.
    connectivity
        Connectivity of lesion voxels for the ``continuity`` rule (the report's lesion connectivity).
    """
    if rule not in PV_RULES:
        raise ValueError(f"rule must be one of {PV_RULES}, got {rule!r}")
    if lesions.count == 0:
        return PvClassification(np.zeros(0, dtype=bool), np.zeros(0, dtype=bool))
    if rule == "contact":
        touches = _touching(lesions, ventricles)
        return PvClassification(touches[lesions.labels - 1], touches)
    near, box, distances = _within_distance(lesions, ventricles, spacing, distance_mm)
    if rule == "distance":
        pv_voxels = np.bincount(lesions.labels, weights=near, minlength=lesions.count + 1)[1:]
        return PvClassification(near, pv_voxels >= 0.5 * lesions.sizes())
    touches = _touching(lesions, ventricles)
    voxel_pv = np.zeros(lesions.voxel_count, dtype=bool)
    if box is not None and near.any():
        origin = np.array([s.start for s in box])
        cap = np.zeros(distances.shape, dtype=bool)
        cap[tuple((lesions.indices[near] - origin).T)] = True
        cap_components, _ = connected_components(cap, connectivity)
        from scipy import ndimage  # heavy: scipy, imported when needed

        wall = ndimage.binary_dilation(ventricles[box], structure=np.ones((3, 3, 3), dtype=bool))
        joined = np.unique(cap_components[cap & wall])
        joined = joined[joined > 0]
        local = lesions.indices[near] - origin
        voxel_pv[near] = np.isin(cap_components[tuple(local.T)], joined)
    return PvClassification(voxel_pv, touches)
