"""A brain-like phantom defined analytically in a template space (mm, RAS+), evaluated on any grid.

Anatomy (scalp, skull, CSF, cortex, white matter, lateral ventricles, deep grey nuclei) and the white
matter region map are fixed in template space. A subject is the template seen through a known
transform (an affine plus a mild smooth displacement), with lesions of its own: periventricular caps
and rims, deep punctate lesions and confluent patches (label 1), and a few "other pathology" blobs
(label 2). Because everything is a function of template coordinates, any native grid (anisotropic,
oblique) can be sampled exactly, and the ground-truth native region map is known.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

# Tissue classes of the phantom.
BACKGROUND, SCALP, SKULL, CSF, GREY_MATTER, WHITE_MATTER, VENTRICLE, DEEP_GREY = range(8)

#: Mean intensity per tissue class (arbitrary units) as (FLAIR, T1).
TISSUE_INTENSITY = {
    BACKGROUND: (0.0, 0.0),
    SCALP: (0.35, 0.75),
    SKULL: (0.05, 0.08),
    CSF: (0.12, 0.15),
    GREY_MATTER: (0.62, 0.50),
    WHITE_MATTER: (0.45, 0.80),
    VENTRICLE: (0.08, 0.12),
    DEEP_GREY: (0.58, 0.60),
}
LESION_INTENSITY = (0.95, 0.50)  # hyperintense on FLAIR, hypointense on T1 (vs white matter)
OTHER_PATHOLOGY_INTENSITY = (0.20, 0.25)  # cavitated infarct / lacune: CSF-like
INTENSITY_SCALE = 1000.0

BRAIN_CENTER = np.array([0.0, -5.0, 8.0])
BRAIN_SEMI_AXES = np.array([66.0, 82.0, 56.0])
HEAD_SEMI_AXES = np.array([76.0, 94.0, 68.0])
WHITE_MATTER_RADIUS = 0.84  # normalized brain radius below which tissue is white matter
VENTRICLE_CENTERS = (np.array([-11.0, -2.0, 14.0]), np.array([11.0, -2.0, 14.0]))
VENTRICLE_SEMI_AXES = np.array([6.0, 27.0, 8.0])
DEEP_GREY_CENTERS = (np.array([-20.0, -4.0, -2.0]), np.array([20.0, -4.0, -2.0]))
DEEP_GREY_SEMI_AXES = np.array([9.0, 14.0, 9.0])
PERIVENTRICULAR_MARGIN_MM = 10.0

LOBES = ("frontal", "parietal", "temporal", "occipital")
DEPTHS = ("periventricular", "deep")
HEMISPHERES = ("L", "R")


def _synthetic_region_table() -> dict[int, str]:
    table = {}
    region_id = 1
    for lobe in LOBES:
        for depth in DEPTHS:
            for hemisphere in HEMISPHERES:
                table[region_id] = f"{lobe}_{depth}_{hemisphere}"
                region_id += 1
    return table


#: The 16 white matter regions of the phantom: lobe × periventricular/deep × left/right.
SYNTHETIC_REGION_TABLE: dict[int, str] = _synthetic_region_table()


def ellipsoid_radius(points: np.ndarray, center: np.ndarray, semi_axes: np.ndarray) -> np.ndarray:
    """Normalized ellipsoid radius of each point: < 1 inside, 1 on the surface. ``points`` is (N, 3) mm."""
    return np.sqrt((((points - center) / semi_axes) ** 2).sum(axis=1))


def _brain_radius(points: np.ndarray) -> np.ndarray:
    radius = ellipsoid_radius(points, BRAIN_CENTER, BRAIN_SEMI_AXES)
    x, y, z = points.T
    folding = 0.018 * np.sin(x / 4.0) * np.sin(y / 5.0) * np.sin(z / 4.5)
    return radius * (1.0 + folding)


def _white_matter_limit(points: np.ndarray) -> np.ndarray:
    x, y, z = points.T
    return WHITE_MATTER_RADIUS + 0.035 * np.sin(x / 6.0 + 1.0) * np.sin(y / 7.0) * np.cos(z / 6.0)


def _ventricle_radius(points: np.ndarray, margin_mm: float = 0.0) -> np.ndarray:
    return np.minimum(*(ellipsoid_radius(points, c, VENTRICLE_SEMI_AXES + margin_mm) for c in VENTRICLE_CENTERS))


def tissue_classes(points: np.ndarray) -> np.ndarray:
    """Tissue class (see module constants) at template points (N, 3) mm; uint8 (N,)."""
    head = ellipsoid_radius(points, BRAIN_CENTER, HEAD_SEMI_AXES)
    brain = _brain_radius(points)
    tissue = np.full(len(points), BACKGROUND, dtype=np.uint8)
    tissue[head < 1.0] = SCALP
    tissue[head < 0.93] = SKULL
    tissue[brain < 1.07] = CSF
    tissue[brain < 1.0] = GREY_MATTER
    tissue[brain < _white_matter_limit(points)] = WHITE_MATTER
    deep_grey = np.minimum(*(ellipsoid_radius(points, c, DEEP_GREY_SEMI_AXES) for c in DEEP_GREY_CENTERS))
    tissue[deep_grey < 1.0] = DEEP_GREY
    tissue[_ventricle_radius(points) < 1.0] = VENTRICLE
    return tissue


#: FreeSurfer / SynthSeg labels of the phantom's tissues, (left, right) hemisphere.
ASEG_LABELS = {
    WHITE_MATTER: (2, 41),
    GREY_MATTER: (3, 42),
    VENTRICLE: (4, 43),
    DEEP_GREY: (10, 49),
    CSF: (24, 24),
}


def aseg_labels(tissue: np.ndarray, points: np.ndarray) -> np.ndarray:
    """FreeSurfer-style anatomy labels (:data:`ASEG_LABELS`) from tissue classes at template points (N, 3);
    the hemisphere is the sign of the template x coordinate (RAS: x < 0 is left). uint8 (N,)."""
    labels = np.zeros(len(tissue), dtype=np.uint8)
    right = points[:, 0] >= 0
    for tissue_class, (left_label, right_label) in ASEG_LABELS.items():
        selected = tissue == tissue_class
        labels[selected & ~right] = left_label
        labels[selected & right] = right_label
    return labels


def region_map(points: np.ndarray, tissue: np.ndarray) -> np.ndarray:
    """White matter region id (:data:`SYNTHETIC_REGION_TABLE`) at template points; 0 outside WM."""
    x, y, z = points.T
    lobe = np.full(len(points), 1, dtype=np.int64)  # parietal
    lobe[y > 12.0] = 0  # frontal
    lobe[(z < 2.0) & (y <= 12.0) & (y > -34.0)] = 2  # temporal
    lobe[y <= -34.0] = 3  # occipital
    deep = _ventricle_radius(points, PERIVENTRICULAR_MARGIN_MM) >= 1.0
    right = x > 0.0
    ids = 1 + lobe * 4 + deep.astype(np.int64) * 2 + right.astype(np.int64)
    return np.where(tissue == WHITE_MATTER, ids, 0).astype(np.uint8)


@dataclass(frozen=True)
class Blob:
    """An ellipsoidal lesion in template space (mm); rotation is a 3×3 matrix."""

    center: np.ndarray
    semi_axes: np.ndarray
    rotation: np.ndarray = field(default_factory=lambda: np.eye(3))

    def contains(self, points: np.ndarray) -> np.ndarray:
        local = (points - self.center) @ self.rotation
        return (((local / self.semi_axes) ** 2).sum(axis=1)) < 1.0

    def bounding_radius(self) -> float:
        return float(self.semi_axes.max())


@dataclass(frozen=True)
class SubjectPathology:
    """Per-subject lesions in template space.

    Attributes
    ----------
    load
        Lesion load factor (dimensionless, ~0.15 mild to 2 severe).
    wmh
        WMH blobs (label 1), restricted to white matter when sampled.
    rim_mm
        Thickness of the periventricular rim of confluent WMH (0 for none).
    other
        "Other pathology" blobs (label 2).
    """

    load: float
    wmh: tuple[Blob, ...]
    rim_mm: float
    other: tuple[Blob, ...]


def random_rotation(rng: np.random.Generator, max_degrees: float) -> np.ndarray:
    """A rotation matrix from three random angles within ±max_degrees (about x, then y, then z)."""
    ax, ay, az = np.deg2rad(rng.uniform(-max_degrees, max_degrees, size=3))
    rx = np.array([[1, 0, 0], [0, np.cos(ax), -np.sin(ax)], [0, np.sin(ax), np.cos(ax)]])
    ry = np.array([[np.cos(ay), 0, np.sin(ay)], [0, 1, 0], [-np.sin(ay), 0, np.cos(ay)]])
    rz = np.array([[np.cos(az), -np.sin(az), 0], [np.sin(az), np.cos(az), 0], [0, 0, 1]])
    return rz @ ry @ rx


def _random_white_matter_points(rng: np.random.Generator, count: int, max_radius: float) -> np.ndarray:
    found: list[np.ndarray] = []
    while sum(len(f) for f in found) < count:
        candidates = BRAIN_CENTER + rng.uniform(-1, 1, size=(4 * count + 16, 3)) * BRAIN_SEMI_AXES
        keep = (tissue_classes(candidates) == WHITE_MATTER) & (_brain_radius(candidates) < max_radius)
        found.append(candidates[keep])
    return np.concatenate(found)[:count]


def random_pathology(rng: np.random.Generator) -> SubjectPathology:
    """Draw lesions of varied size: periventricular caps, rims, deep punctate lesions and patches."""
    load = float(np.clip(rng.lognormal(mean=-0.4, sigma=0.6), 0.15, 2.0))
    blobs: list[Blob] = []
    for ventricle in VENTRICLE_CENTERS:
        for tip in (+1.0, -1.0):  # anterior and posterior caps
            center = ventricle + np.array([0.0, tip * (VENTRICLE_SEMI_AXES[1] + 1.0), 1.0])
            semi_axes = np.array([5.0, 5.0, 4.0]) * (0.8 + 0.9 * load) * rng.uniform(0.8, 1.2, size=3)
            blobs.append(Blob(center, semi_axes, random_rotation(rng, 15)))
    n_deep = int(rng.poisson(3 + 8 * load)) + 1
    for center in _random_white_matter_points(rng, n_deep, 0.8):
        radius = float(np.clip(rng.lognormal(mean=np.log(2.2), sigma=0.45), 1.0, 6.0))
        semi_axes = radius * rng.uniform(0.7, 1.3, size=3)
        blobs.append(Blob(center, semi_axes, random_rotation(rng, 90)))
    rim_mm = 0.0 if load < 0.5 else float(2.0 * load * rng.uniform(0.8, 1.2))
    n_other = int(rng.integers(1, 3))
    other = tuple(
        Blob(center, rng.uniform(3.0, 6.0) * rng.uniform(0.8, 1.2, size=3), random_rotation(rng, 90))
        for center in _random_white_matter_points(rng, n_other, 0.7)
    )
    return SubjectPathology(load=load, wmh=tuple(blobs), rim_mm=rim_mm, other=other)


def _union(blobs: tuple[Blob, ...], points: np.ndarray) -> np.ndarray:
    inside = np.zeros(len(points), dtype=bool)
    for blob in blobs:
        near = np.all(np.abs(points - blob.center) < blob.bounding_radius(), axis=1)
        if near.any():
            inside[near] |= blob.contains(points[near])
    return inside


@dataclass(frozen=True)
class SubjectTransform:
    """World (native scanner space, mm) → template space: ``template = A @ world + t + warp(world)``.

    Attributes
    ----------
    matrix
        A, 3×3 (rotation × anisotropic scaling).
    translation
        t, mm.
    warp_mm
        Amplitude of the smooth sinusoidal displacement in mm (0 for a pure affine).
    warp_phase
        Phases of the displacement, shape (3,).
    """

    matrix: np.ndarray
    translation: np.ndarray
    warp_mm: float = 0.0
    warp_phase: np.ndarray = field(default_factory=lambda: np.zeros(3))

    WARP_WAVELENGTH_MM = 90.0

    def __call__(self, world: np.ndarray) -> np.ndarray:
        template = world @ self.matrix.T + self.translation
        if self.warp_mm:
            k = 2 * np.pi / self.WARP_WAVELENGTH_MM
            rolled = np.roll(world, 1, axis=1)
            template = template + self.warp_mm * np.sin(k * rolled + self.warp_phase)
        return template

    def affine_4x4(self) -> np.ndarray:
        """The affine part as a 4×4 matrix (world → template)."""
        affine = np.eye(4)
        affine[:3, :3] = self.matrix
        affine[:3, 3] = self.translation
        return affine


def random_subject_transform(rng: np.random.Generator, *, warp_mm: float = 1.5) -> SubjectTransform:
    """Random head pose and size: ±6° rotation, 0.9–1.1 scaling per axis, ±6 mm shift, mild warp."""
    scaling = np.diag(rng.uniform(0.9, 1.1, size=3))
    return SubjectTransform(
        matrix=random_rotation(rng, 6.0) @ scaling,
        translation=rng.uniform(-6.0, 6.0, size=3),
        warp_mm=warp_mm,
        warp_phase=rng.uniform(0, 2 * np.pi, size=3),
    )


@dataclass(frozen=True)
class SampledSubject:
    """One subject sampled on a native grid; every array has shape (X, Y, Z).

    Attributes
    ----------
    flair, t1
        float32 intensities with noise, bias field and blur.
    lesion
        uint8: 0 background, 1 WMH, 2 other pathology (in-plane dilated, label 1 wins), as in the
        MICCAI WMH 2017 challenge.
    regions
        uint8 white matter region ids (:data:`SYNTHETIC_REGION_TABLE`), 0 outside white matter.
    anatomy
        uint8 FreeSurfer / SynthSeg-style labels (:data:`ASEG_LABELS`): lateral ventricles 4 / 43, white
        matter 2 / 41, cortex 3 / 42, deep grey 10 / 49, CSF 24; 0 outside the intracranial volume.
    """

    flair: np.ndarray
    t1: np.ndarray
    lesion: np.ndarray
    regions: np.ndarray
    anatomy: np.ndarray


def grid_world_points(shape: tuple[int, int, int], affine: np.ndarray) -> np.ndarray:
    """World coordinates (mm) of every voxel centre, C order, shape (X*Y*Z, 3)."""
    ijk = np.indices(shape, dtype=np.float64).reshape(3, -1)
    return (affine[:3, :3] @ ijk).T + affine[:3, 3]


def _bias_field(world: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    a, b, c, d = rng.uniform(-0.15, 0.15, size=4)
    scaled = world / 100.0
    return np.exp(a * scaled[:, 0] + b * scaled[:, 1] + c * scaled[:, 2] + d * scaled[:, 1] ** 2)


def sample_subject(
    shape: tuple[int, int, int],
    affine: np.ndarray,
    transform: SubjectTransform,
    pathology: SubjectPathology,
    rng: np.random.Generator,
    *,
    noise: float = 0.02,
    bias: bool = True,
) -> SampledSubject:
    """Sample the phantom of one subject on a native grid.

    Parameters
    ----------
    shape
        Grid size (X, Y, Z).
    affine
        Voxel → world (mm) 4×4 affine of the grid.
    transform
        The subject's world → template transform.
    pathology
        The subject's lesions.
    rng
        Random generator for noise and bias field.
    noise
        Standard deviation of the Gaussian noise relative to the white matter intensity scale.
    bias
        Multiply by a smooth random bias field (off for the template).
    """
    world = grid_world_points(shape, affine)
    template = transform(world)
    tissue = tissue_classes(template)
    white_matter = tissue == WHITE_MATTER
    regions = region_map(template, tissue)

    wmh = _union(pathology.wmh, template) & white_matter
    if pathology.rim_mm > 0:
        rim = _ventricle_radius(template, pathology.rim_mm) < 1.0
        wmh |= rim & white_matter & (template[:, 2] > VENTRICLE_CENTERS[0][2] - 4.0)
    other = _union(pathology.other, template) & (white_matter | (tissue == DEEP_GREY))

    flair = np.zeros(len(template), dtype=np.float64)
    t1 = np.zeros(len(template), dtype=np.float64)
    for tissue_class, (flair_value, t1_value) in TISSUE_INTENSITY.items():
        selected = tissue == tissue_class
        flair[selected] = flair_value
        t1[selected] = t1_value
    flair[wmh], t1[wmh] = LESION_INTENSITY
    cavity = other & ~wmh
    flair[cavity], t1[cavity] = OTHER_PATHOLOGY_INTENSITY

    bias_field = _bias_field(world, rng) if bias else np.ones(len(world))
    images = []
    for values in (flair, t1):
        volume = values.reshape(shape)
        spacing = np.linalg.norm(affine[:3, :3], axis=0)
        volume = ndimage.gaussian_filter(volume, sigma=0.6 / np.maximum(spacing / spacing.min(), 1.0))
        volume = volume * bias_field.reshape(shape) + rng.normal(0.0, noise, size=shape) * (volume > 0.01)
        images.append((np.clip(volume, 0, None) * INTENSITY_SCALE).astype(np.float32))

    lesion = np.zeros(shape, dtype=np.uint8)
    other_mask = other.reshape(shape)
    if other_mask.any():
        in_plane = np.zeros((3, 3, 3), dtype=bool)
        in_plane[:, :, 1] = True
        lesion[ndimage.binary_dilation(other_mask, structure=in_plane)] = 2
    lesion[wmh.reshape(shape)] = 1
    anatomy = aseg_labels(tissue, template).reshape(shape)
    return SampledSubject(flair=images[0], t1=images[1], lesion=lesion, regions=regions.reshape(shape), anatomy=anatomy)
