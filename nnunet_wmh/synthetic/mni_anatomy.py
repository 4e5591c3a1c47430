"""Brain-shaped phantoms: the anatomy of nilearn's MNI152 template, so that a real atlas registers to them.

``synth --anatomy mni152`` draws each subject from the template the built-in atlas is made of
(:mod:`~nnunet_wmh.registration.builtin_atlas`), seen through the subject's own random affine and smooth
displacement, so the built-in registration path can be run, and measured, end to end on synthetic data. The
tissue map is built once on the template's 1 mm grid, by these rules:

* **brain** (the template's non-zero voxels, holes filled): white matter where the WM probability ≥ 0.5,
  cerebrospinal fluid where GM + WM < 0.5, grey matter elsewhere; the lateral ventricles of the built-in atlas;
  deep grey matter = grey matter at least :data:`DEEP_GREY_DEPTH_MM` below the brain surface in the central box
  :data:`DEEP_GREY_BOX_MM` (the basal ganglia and thalami);
* **outside the brain** (the template is skull-stripped, so these are drawn): skull up to :data:`SKULL_MM`,
  scalp up to :data:`SCALP_MM` from the brain. The template's brain reaches the inner skull (its sulcal CSF is
  inside it), so the true intracranial volume is the brain's: ``aseg`` > 0;
* **regions**: the built-in parcellation (31 white matter regions), which covers exactly that white matter;
* **lesions**: periventricular caps at the front and back ends of each lateral ventricle, a rim where the
  distance to the ventricles is below the subject's rim thickness, deep lesions and other pathology centred in
  white matter at least 8 mm (12 mm) below the brain surface. The FLAIR pitfalls of the analytic phantom are
  not drawn.

Sampling is nearest-neighbour on that 1 mm map; the blur of each native image gives partial volumes.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import nibabel as nib
import numpy as np
from scipy import ndimage

from nnunet_wmh.registration.builtin_atlas import brain_and_ventricles, builtin_region_table, parcellate, template_files
from nnunet_wmh.synthetic.anatomy import (
    BACKGROUND,
    CSF,
    DEEP_GREY,
    GREY_MATTER,
    SCALP,
    SKULL,
    VENTRICLE,
    WHITE_MATTER,
)

#: Distances (mm) from the brain's surface outwards where the skull and the scalp end.
SKULL_MM, SCALP_MM = 7.0, 12.0
#: Grey matter this deep (mm) in this box (MNI mm) is deep grey matter.
DEEP_GREY_DEPTH_MM = 15.0
DEEP_GREY_BOX_MM = {"x": (-32.0, 32.0), "y": (-35.0, 28.0), "z": (-12.0, 22.0)}
#: Where the native grid's centre looks (MNI mm): the middle of the cerebrum.
MNI_CENTRE = np.array([0.0, -18.0, 14.0])
#: Distance (mm) from the midline of the ventricle ends the periventricular caps are put at.
CAP_MIDLINE_MM = 5.0
#: Step (mm) of the stored distance to the ventricles (uint8, so up to 63.75 mm).
DISTANCE_STEP_MM = 0.25
#: Deep lesions are centred at least (1 - core) × this (mm) below the brain surface: 8 mm for the deep lesions'
#: core 0.8, 12 mm for other pathology's 0.7 (the analytic phantom's normalised radii).
CORE_DEPTH_SCALE_MM = 40.0


def _tissue_map(t1: np.ndarray, gm: np.ndarray, wm: np.ndarray, affine: np.ndarray) -> dict[str, np.ndarray]:
    """Tissue classes, depth below the brain surface (mm, uint8) and distance to the ventricles (steps, uint8)."""
    brain, ventricles, (x, y, z) = brain_and_ventricles(t1, gm, wm, affine)
    outside = ndimage.distance_transform_edt(~brain)
    depth = ndimage.distance_transform_edt(brain)
    tissue = np.full(t1.shape, BACKGROUND, dtype=np.uint8)
    tissue[outside <= SCALP_MM] = SCALP
    tissue[outside <= SKULL_MM] = SKULL
    tissue[brain] = CSF
    tissue[brain & (gm.astype(np.int16) + wm >= 128)] = GREY_MATTER
    box = np.ones(t1.shape, dtype=bool)
    for axis, (low, high) in zip((x, y, z), DEEP_GREY_BOX_MM.values(), strict=True):
        box &= (axis > low) & (axis < high)
    tissue[(tissue == GREY_MATTER) & box & (depth >= DEEP_GREY_DEPTH_MM)] = DEEP_GREY
    tissue[brain & (wm >= 128)] = WHITE_MATTER
    tissue[ventricles] = VENTRICLE
    to_ventricles = ndimage.distance_transform_edt(~ventricles) / DISTANCE_STEP_MM
    return {
        "tissue": tissue,
        "depth": np.minimum(depth, 255).astype(np.uint8),
        "ventricle_distance": np.minimum(np.round(to_ventricles), 255).astype(np.uint8),
        "ventricles": ventricles,
    }


def _cap_centres(ventricles: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """(4, 3) mm: 1 mm beyond the front and back ends of the left and right lateral ventricles, 1 mm up. An end
    is the ventricle voxel farthest from the midline among those within 3 mm of the front (back) end, counting
    only voxels at least :data:`CAP_MIDLINE_MM` from the midline (past the septum where the two meet)."""
    ijk = np.argwhere(ventricles)
    world = ijk @ affine[:3, :3].T + affine[:3, 3]
    centres = []
    for side in (world[:, 0] <= -CAP_MIDLINE_MM, world[:, 0] >= CAP_MIDLINE_MM):
        points = world[side]
        for tip in (+1.0, -1.0):
            end = points[tip * points[:, 1] >= (tip * points[:, 1]).max() - 3.0]
            centres.append(end[np.argmax(np.abs(end[:, 0]))] + np.array([0.0, tip, 1.0]))
    return np.array(centres)


def build_mni152_anatomy(destination: str | os.PathLike[str]) -> Path:
    """Build the tissue and region maps from nilearn's template files and save them to ``destination``
    (``.npz``, about 35 MB uncompressed; some 15 s); returns ``destination``."""
    files = template_files()
    images = [nib.load(path) for path in (files.t1, files.gm, files.wm)]
    t1, gm, wm = (np.asanyarray(image.dataobj) for image in images)
    affine = images[0].affine
    maps = _tissue_map(t1, gm, wm, affine)
    regions = np.where(maps["tissue"] == WHITE_MATTER, parcellate(t1, gm, wm, affine), 0).astype(np.uint8)
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    with open(destination, "wb") as stream:
        np.savez(stream, tissue=maps["tissue"], regions=regions, depth=maps["depth"],
                 ventricle_distance=maps["ventricle_distance"], caps=_cap_centres(maps["ventricles"], affine),
                 affine=affine)  # fmt: skip
    return destination


class Mni152Anatomy:
    """The MNI152 template's anatomy through the interface of
    :class:`~nnunet_wmh.synthetic.anatomy.PhantomAnatomy` (see the module docstring).

    Parameters
    ----------
    maps
        The file written by :func:`build_mni152_anatomy`.
    """

    name = "mni152"
    centre = MNI_CENTRE
    pitfalls = False

    def __init__(self, maps: str | os.PathLike[str]) -> None:
        with np.load(maps) as stored:
            self._volumes = {key: stored[key] for key in ("tissue", "regions", "depth", "ventricle_distance")}
            self._caps = stored["caps"]
            self._affine = stored["affine"]
        self._inverse = np.linalg.inv(self._affine)
        self.region_table = builtin_region_table()

    def _lookup(self, volume: str, points: np.ndarray, outside: int) -> np.ndarray:
        """Nearest voxel's value of ``volume`` at points (N, 3) mm; ``outside`` beyond the template grid."""
        data = self._volumes[volume]
        ijk = np.rint(points @ self._inverse[:3, :3].T + self._inverse[:3, 3]).astype(np.int64)
        inside = np.all((ijk >= 0) & (ijk < data.shape), axis=1)
        values = np.full(len(points), outside, dtype=data.dtype)
        values[inside] = data[tuple(ijk[inside].T)]
        return values

    def tissue_classes(self, points: np.ndarray) -> np.ndarray:
        """Tissue class at template points (N, 3) mm; uint8 (N,)."""
        return self._lookup("tissue", points, BACKGROUND)

    def region_map(self, points: np.ndarray, tissue: np.ndarray) -> np.ndarray:
        """Built-in region id at template points; 0 outside white matter. uint8 (N,)."""
        return np.where(tissue == WHITE_MATTER, self._lookup("regions", points, 0), 0).astype(np.uint8)

    def rim(self, points: np.ndarray, rim_mm: float) -> np.ndarray:
        """Where a periventricular rim ``rim_mm`` thick lies: within ``rim_mm`` of the lateral ventricles."""
        return self._lookup("ventricle_distance", points, 255) * DISTANCE_STEP_MM <= rim_mm

    def cap_centres(self) -> tuple[np.ndarray, ...]:
        """Centres (mm) of the four periventricular caps: left front, left back, right front, right back."""
        return tuple(self._caps)

    def white_matter_points(self, rng: np.random.Generator, count: int, core: float) -> np.ndarray:
        """``count`` random white matter points (count, 3) mm at least (1 - ``core``) × 40 mm below the surface."""
        deep = (self._volumes["tissue"] == WHITE_MATTER) & (self._volumes["depth"] >= (1 - core) * CORE_DEPTH_SCALE_MM)
        voxels = np.argwhere(deep)[rng.integers(0, int(deep.sum()), size=count)]
        ijk = voxels + rng.uniform(-0.5, 0.5, size=voxels.shape)
        return ijk @ self._affine[:3, :3].T + self._affine[:3, 3]

    def template_grid(self, spacing_mm: float, margin_mm: float = 0.0) -> tuple[tuple[int, int, int], np.ndarray]:
        """Shape and voxel → MNI (mm) affine of an isotropic grid over the template's field of view (which has
        room around the head already: ``margin_mm`` is not used)."""
        shape = self._volumes["tissue"].shape
        voxel = np.abs(np.diag(self._affine)[:3])
        new_shape = tuple(int(np.ceil(n * v / spacing_mm)) for n, v in zip(shape, voxel, strict=True))
        affine = self._affine.copy()
        affine[:3, :3] = self._affine[:3, :3] / voxel * spacing_mm
        return new_shape, affine  # type: ignore[return-value]


@functools.lru_cache(maxsize=2)
def load_mni152_anatomy(maps: str) -> Mni152Anatomy:
    """The anatomy stored in ``maps``, read once per process."""
    return Mni152Anatomy(maps)
