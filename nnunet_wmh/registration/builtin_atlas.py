"""The built-in atlas: nilearn's ICBM 2009a MNI152 template with a white matter parcellation made from it.

``regions`` and ``segment`` use it when no atlas is given, so a real scan gets region-wise lesion burden
with nothing to download. The template image is nilearn's 1 mm ICBM 2009a nonlinear symmetric T1
(197 × 233 × 189, skull-stripped), found through nilearn's public file paths (``nilearn.datasets.
MNI152_FILE_PATH`` and its grey/white matter companions) in the installed wheel; nothing is copied into this
package. Its grey/white matter probability maps give the parcellation, built the first time it is needed
(about 7 s) by these rules, all in MNI millimetres (x < 0 is left):

* **white matter**: WM probability ≥ 0.5 inside the brain (the template's non-zero voxels, holes filled);
* **infratentorial** (one region): white matter with z < -10 and y < -35 (cerebellum), or |x| < 12,
  z < -10 and y < -10 (brainstem);
* **lobes** (coarse planes, not sulci): temporal = z < 0, |x| > 20, y < 15; occipital = y < -70;
  frontal = y ≥ -20 (not temporal); parietal = the rest (-70 ≤ y < -20, not temporal);
* **depth shells** (bullseye-like): r = d_v / (d_v + d_s), with d_v the distance to the lateral ventricles
  (CSF = brain voxels with GM + WM probability < 0.5, the one or two largest components in the box
  |x| < 35, -50 < y < 35, -5 < z < 40) and d_s the distance to the outside of the brain; shell k holds
  (k-1)/4 ≤ r < k/4, shell1 along the ventricles, shell4 under the cortex. The ventricles do not reach the
  occipital lobe, so its shell2 also takes shell1's depth.

Beside the parcellation, a *zones* map on the same grid (``builtin_atlas_zones.nii.gz``): 1 brain (the filled
template), 2 the lateral ventricles above. Registered with the same transform, it gives ``segment`` a
ventricle mask (periventricular / deep split) and a brain mask whose volume is the template's brain scaled by
the affine registration: an intracranial volume estimate in the manner of FreeSurfer's eTIV (Buckner et al.,
2004), not a segmentation of the subject's own head.

That gives 31 regions (``data/builtin_regions.tsv``): 4 lobes × 2 hemispheres × 4 shells (3 occipital) and
infratentorial. It is a geometric parcellation of one template, not a histological atlas: lobe borders
are planes, so read it as "where in the white matter", not as gyral anatomy.

The template is © 1993–2009 Louis Collins, McConnell Brain Imaging Centre, Montreal Neurological
Institute, McGill University (the notice is in the docs, commands/regions.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

import nibabel as nib
import numpy as np

from nnunet_wmh.errors import UsageError
from nnunet_wmh.io import save_nifti
from nnunet_wmh.labels.region_table import read_region_table
from nnunet_wmh.registration.atlas import Atlas, load_atlas
from nnunet_wmh.runs.outputs import atomic_output_files

logger = logging.getLogger(__name__)

REGION_TABLE = Path(__file__).parent / "data" / "builtin_regions.tsv"
LABELS_NAME = "builtin_atlas_labels.nii.gz"
ZONES_NAME = "builtin_atlas_zones.nii.gz"
#: Values of the zones map: the brain (filled template), the lateral ventricles inside it.
BRAIN_ZONE, VENTRICLE_ZONE = 1, 2
LOBES = ("frontal", "parietal", "temporal", "occipital")
HEMISPHERES = ("L", "R")
SHELLS = 4
INFRATENTORIAL = "infratentorial"
#: Probability (0..255 in nilearn's uint8 maps) at which a voxel counts as white matter.
WM_THRESHOLD = 128
VENTRICLE_BOX_MM = {"x": (-35.0, 35.0), "y": (-50.0, 35.0), "z": (-5.0, 40.0)}


@dataclass(frozen=True)
class Mni152Files:
    """nilearn's MNI152 files: T1 image and grey / white matter probability maps (uint8, 0..255)."""

    t1: Path
    gm: Path
    wm: Path


def template_files() -> Mni152Files:
    """The MNI152 template files of the installed nilearn, by nilearn's public paths.

    Raises
    ------
    UsageError
        If nilearn is not installed or its wheel lacks the template.
    """
    try:  # heavy: nilearn.datasets (about 1.5 s), only where the built-in atlas is used
        from nilearn.datasets import GM_MNI152_FILE_PATH, MNI152_FILE_PATH, WM_MNI152_FILE_PATH
    except ImportError as exc:
        raise UsageError(
            f"the built-in atlas needs nilearn (pip install nilearn), or give `atlas_image` ({exc})", "atlas"
        ) from exc
    files = Mni152Files(Path(MNI152_FILE_PATH), Path(GM_MNI152_FILE_PATH), Path(WM_MNI152_FILE_PATH))
    missing = [str(p) for p in (files.t1, files.gm, files.wm) if not p.is_file()]
    if missing:
        raise UsageError(f"nilearn's MNI152 template is missing ({', '.join(missing)}); reinstall nilearn", "atlas")
    return files


def builtin_region_table() -> dict[int, str]:
    """``{region id: name}`` of the built-in parcellation, as shipped in ``data/builtin_regions.tsv``."""
    return read_region_table(REGION_TABLE)


def _millimetres(shape: tuple[int, ...], affine: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """World x, y, z (mm) of every voxel, each of ``shape``."""
    grid = np.indices(shape, dtype=np.float32).reshape(3, -1)
    world = affine[:3, :3].astype(np.float32) @ grid + affine[:3, 3:4].astype(np.float32)
    return tuple(axis.reshape(shape) for axis in world)  # type: ignore[return-value]


def lateral_ventricles(brain: np.ndarray, csf: np.ndarray, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """The lateral ventricles: the one or two largest CSF components in the central box (bool, like ``csf``)."""
    from scipy import ndimage  # heavy: only while building the parcellation

    box = np.ones_like(csf)
    for axis, (low, high) in zip((x, y, z), VENTRICLE_BOX_MM.values(), strict=True):
        box &= (axis > low) & (axis < high)
    components, count = ndimage.label(csf & brain & box)
    if count == 0:
        raise ValueError("no CSF found in the ventricle box of the template")
    sizes = np.bincount(components.ravel())[1:]
    order = np.argsort(sizes)[::-1]
    keep = [order[0] + 1] + ([order[1] + 1] if count > 1 and sizes[order[1]] > 0.3 * sizes[order[0]] else [])
    return np.isin(components, keep)


def depth_shells(brain: np.ndarray, ventricles: np.ndarray, *, shells: int = SHELLS) -> np.ndarray:
    """Shell number 1..``shells`` of every voxel: normalized depth from the ventricles to the brain surface."""
    from scipy import ndimage  # heavy: only while building the parcellation

    to_ventricles = ndimage.distance_transform_edt(~ventricles)
    to_outside = ndimage.distance_transform_edt(brain)
    with np.errstate(invalid="ignore", divide="ignore"):
        depth = np.nan_to_num(to_ventricles / (to_ventricles + to_outside), nan=1.0)
    return np.minimum((depth * shells).astype(np.int8), shells - 1) + 1


def lobe_masks(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> dict[str, np.ndarray]:
    """The coarse lobes of the module docstring (bool arrays, disjoint)."""
    temporal = (z < 0) & (np.abs(x) > 20) & (y < 15)
    occipital = y < -70
    return {
        "frontal": (y >= -20) & ~temporal,
        "parietal": (y < -20) & ~occipital & ~temporal,
        "temporal": temporal & ~occipital,
        "occipital": occipital,
    }


def brain_and_ventricles(t1: np.ndarray, gm: np.ndarray, wm: np.ndarray, affine: np.ndarray):
    """``(brain, ventricles, (x, y, z) mm)`` of the template (bool arrays of the template's shape)."""
    from scipy import ndimage  # heavy: only while building the parcellation

    x, y, z = _millimetres(t1.shape, affine)
    brain = ndimage.binary_fill_holes(t1 > 0)
    csf = gm.astype(np.int16) + wm < WM_THRESHOLD
    return brain, lateral_ventricles(brain, csf, x, y, z), (x, y, z)


def parcellate(t1: np.ndarray, gm: np.ndarray, wm: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """The built-in parcellation on the template grid (see the module docstring).

    Parameters
    ----------
    t1, gm, wm
        Template T1 (zero outside the brain) and GM / WM probability maps in 0..255, shape (X, Y, Z).
    affine
        Voxel → MNI mm.

    Returns
    -------
    numpy.ndarray
        (X, Y, Z) uint8 region ids of ``data/builtin_regions.tsv``, 0 outside the white matter.
    """
    ids = {name: region_id for region_id, name in builtin_region_table().items()}
    brain, ventricles, (x, y, z) = brain_and_ventricles(t1, gm, wm, affine)
    shells = depth_shells(brain, ventricles)
    white = (wm >= WM_THRESHOLD) & brain
    infratentorial = ((z < -10) & (y < -35)) | ((np.abs(x) < 12) & (z < -10) & (y < -10))
    labels = np.zeros(t1.shape, dtype=np.uint8)
    supratentorial = white & ~infratentorial
    for lobe, in_lobe in lobe_masks(x, y, z).items():
        for hemisphere, side in zip(HEMISPHERES, (x < 0, x >= 0), strict=True):
            for shell in range(1, SHELLS + 1):
                named = max(shell, 2) if lobe == "occipital" else shell
                labels[supratentorial & in_lobe & side & (shells == shell)] = ids[f"{lobe}_{hemisphere}_shell{named}"]
    labels[white & infratentorial] = ids[INFRATENTORIAL]
    return labels


def template_zones(t1: np.ndarray, gm: np.ndarray, wm: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """The zones map on the template grid, (X, Y, Z) uint8: :data:`BRAIN_ZONE`, :data:`VENTRICLE_ZONE`, 0."""
    brain, ventricles, _ = brain_and_ventricles(t1, gm, wm, affine)
    zones = np.where(brain, BRAIN_ZONE, 0).astype(np.uint8)
    zones[ventricles] = VENTRICLE_ZONE
    return zones


def write_builtin_labels(destination: Path, zones_destination: Path | None = None) -> Path:
    """Build the parcellation (and the zones map, when ``zones_destination`` is given) from nilearn's files and
    write them (atomically); returns ``destination``."""
    files = template_files()
    images = [nib.load(path) for path in (files.t1, files.gm, files.wm)]
    t1, gm, wm = (np.asanyarray(image.dataobj) for image in images)
    labels = parcellate(t1, gm, wm, images[0].affine)
    with atomic_output_files([destination], overwrite=True) as (staged,):
        save_nifti(labels, staged, reference=images[0], description="nnunet_wmh built-in WM parcellation")
    if zones_destination is not None:
        zones = template_zones(t1, gm, wm, images[0].affine)
        with atomic_output_files([zones_destination], overwrite=True) as (staged,):
            save_nifti(zones, staged, reference=images[0], description="nnunet_wmh built-in zones")
    logger.info("built the white matter parcellation of the MNI152 template into %s", destination)
    return destination


def builtin_zones_file(folder: str | Path) -> Path:
    """The zones map of the built-in atlas (built into ``folder`` with the labels unless already there)."""
    zones = Path(folder) / ZONES_NAME
    if not zones.is_file():
        zones.parent.mkdir(parents=True, exist_ok=True)
        write_builtin_labels(Path(folder) / LABELS_NAME, zones)
    return zones


def builtin_atlas_files(folder: str | Path) -> tuple[Path, Path, Path]:
    """``(template T1, labels, region table)`` of the built-in atlas; the labels are built into ``folder``
    unless it already holds them (from an earlier call)."""
    labels = Path(folder) / LABELS_NAME
    if not labels.is_file():
        labels.parent.mkdir(parents=True, exist_ok=True)
        write_builtin_labels(labels, Path(folder) / ZONES_NAME)
    return template_files().t1, labels, REGION_TABLE


def load_builtin_atlas(folder: str | Path) -> Atlas:
    """The built-in atlas as an :class:`~nnunet_wmh.registration.atlas.Atlas` (labels and zones built into
    ``folder``)."""
    image, labels, table = builtin_atlas_files(folder)
    return replace(load_atlas(image, labels, table), zones=builtin_zones_file(folder))
