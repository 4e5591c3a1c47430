"""The phantom's anatomy, defined analytically in a template space (mm, RAS+).

:class:`PhantomAnatomy` is the interface every anatomy of ``synth`` offers (this analytic one, and the MNI152
one of :mod:`~nnunet_wmh.synthetic.mni_anatomy`).

Tissue classes (scalp, skull, CSF, cortex, white matter, lateral ventricles, deep grey nuclei), their
(FLAIR, T1) intensities, the 16 white matter regions and FreeSurfer-style labels are functions of template
coordinates, so any native grid can be sampled exactly. :class:`Blob` and :func:`blob_union` are the
ellipsoids lesions and pitfalls are made of.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Tissue classes of the phantom.
BACKGROUND, SCALP, SKULL, CSF, GREY_MATTER, WHITE_MATTER, VENTRICLE, DEEP_GREY = range(8)

#: Mean intensity per tissue class (arbitrary units) as (FLAIR, T1).
TISSUE_INTENSITY = {
    BACKGROUND: (0.0, 0.0),
    SCALP: (0.35, 0.75),
    SKULL: (0.05, 0.08),
    CSF: (0.12, 0.15),
    GREY_MATTER: (0.52, 0.50),  # FLAIR's grey/white contrast is low, T1's high
    WHITE_MATTER: (0.45, 0.80),
    VENTRICLE: (0.08, 0.12),
    DEEP_GREY: (0.58, 0.60),
}
LESION_INTENSITY = (0.95, 0.50)  # hyperintense on FLAIR, hypointense on T1 (vs white matter)
OTHER_PATHOLOGY_INTENSITY = (0.20, 0.25)  # cavitated infarct / lacune: CSF-like
INTENSITY_SCALE = 1000.0
#: The other contrasts ``synth`` makes (``modalities``): (tissue values, lesion, other pathology, faint lesion).
#: T2: CSF, ventricles and lesions bright (so periventricular lesions border bright CSF), white matter dark.
#: PD: low contrast overall, grey matter above white matter, lesions moderately bright.
EXTRA_CONTRASTS: dict[str, tuple[dict[int, float], float, float, float]] = {
    "t2": (
        {BACKGROUND: 0.0, SCALP: 0.45, SKULL: 0.05, CSF: 0.95, GREY_MATTER: 0.60, WHITE_MATTER: 0.40,
         VENTRICLE: 0.98, DEEP_GREY: 0.50},
        0.82, 0.95, 0.62,
    ),
    "pd": (
        {BACKGROUND: 0.0, SCALP: 0.60, SKULL: 0.05, CSF: 0.72, GREY_MATTER: 0.80, WHITE_MATTER: 0.64,
         VENTRICLE: 0.76, DEEP_GREY: 0.75},
        0.92, 0.74, 0.78,
    ),
}  # fmt: skip

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


def brain_radius(points: np.ndarray) -> np.ndarray:
    radius = ellipsoid_radius(points, BRAIN_CENTER, BRAIN_SEMI_AXES)
    x, y, z = points.T
    folding = 0.018 * np.sin(x / 4.0) * np.sin(y / 5.0) * np.sin(z / 4.5)
    return radius * (1.0 + folding)


def white_matter_limit(points: np.ndarray) -> np.ndarray:
    x, y, z = points.T
    return WHITE_MATTER_RADIUS + 0.035 * np.sin(x / 6.0 + 1.0) * np.sin(y / 7.0) * np.cos(z / 6.0)


def ventricle_radius(points: np.ndarray, margin_mm: float = 0.0) -> np.ndarray:
    return np.minimum(*(ellipsoid_radius(points, c, VENTRICLE_SEMI_AXES + margin_mm) for c in VENTRICLE_CENTERS))


def tissue_classes(points: np.ndarray) -> np.ndarray:
    """Tissue class (see module constants) at template points (N, 3) mm; uint8 (N,)."""
    head = ellipsoid_radius(points, BRAIN_CENTER, HEAD_SEMI_AXES)
    brain = brain_radius(points)
    tissue = np.full(len(points), BACKGROUND, dtype=np.uint8)
    tissue[head < 1.0] = SCALP
    tissue[head < 0.93] = SKULL
    tissue[brain < 1.07] = CSF
    tissue[brain < 1.0] = GREY_MATTER
    tissue[brain < white_matter_limit(points)] = WHITE_MATTER
    deep_grey = np.minimum(*(ellipsoid_radius(points, c, DEEP_GREY_SEMI_AXES) for c in DEEP_GREY_CENTERS))
    tissue[deep_grey < 1.0] = DEEP_GREY
    tissue[ventricle_radius(points) < 1.0] = VENTRICLE
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
    deep = ventricle_radius(points, PERIVENTRICULAR_MARGIN_MM) >= 1.0
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


def random_rotation(rng: np.random.Generator, max_degrees: float) -> np.ndarray:
    """A rotation matrix from three random angles within ±max_degrees (about x, then y, then z)."""
    ax, ay, az = np.deg2rad(rng.uniform(-max_degrees, max_degrees, size=3))
    rx = np.array([[1, 0, 0], [0, np.cos(ax), -np.sin(ax)], [0, np.sin(ax), np.cos(ax)]])
    ry = np.array([[np.cos(ay), 0, np.sin(ay)], [0, 1, 0], [-np.sin(ay), 0, np.cos(ay)]])
    rz = np.array([[np.cos(az), -np.sin(az), 0], [np.sin(az), np.cos(az), 0], [0, 0, 1]])
    return rz @ ry @ rx


def random_white_matter_points(rng: np.random.Generator, count: int, max_radius: float) -> np.ndarray:
    found: list[np.ndarray] = []
    while sum(len(f) for f in found) < count:
        candidates = BRAIN_CENTER + rng.uniform(-1, 1, size=(4 * count + 16, 3)) * BRAIN_SEMI_AXES
        keep = (tissue_classes(candidates) == WHITE_MATTER) & (brain_radius(candidates) < max_radius)
        found.append(candidates[keep])
    return np.concatenate(found)[:count]


def blob_union(blobs: tuple[Blob, ...], points: np.ndarray) -> np.ndarray:
    inside = np.zeros(len(points), dtype=bool)
    for blob in blobs:
        near = np.all(np.abs(points - blob.center) < blob.bounding_radius(), axis=1)
        if near.any():
            inside[near] |= blob.contains(points[near])
    return inside


def grid_world_points(shape: tuple[int, int, int], affine: np.ndarray) -> np.ndarray:
    """World coordinates (mm) of every voxel centre, C order, shape (X*Y*Z, 3)."""
    ijk = np.indices(shape, dtype=np.float64).reshape(3, -1)
    return (affine[:3, :3] @ ijk).T + affine[:3, 3]


#: Normalised brain radius below which the phantom's deep lesions (and, 0.7, other pathology) are centred.
DEEP_LESION_CORE, OTHER_PATHOLOGY_CORE = 0.8, 0.7


class PhantomAnatomy:
    """The analytic phantom, through the interface every anatomy of ``synth`` offers.

    Attributes
    ----------
    name
        The ``anatomy`` option that selects it.
    region_table
        ``{region id: name}`` of its white matter regions.
    centre
        Template point (mm) that a native grid's centre looks at (a subject's transform adds it).
    pitfalls
        Whether its subjects get the FLAIR pitfalls of :mod:`~nnunet_wmh.synthetic.pitfalls`.
    """

    name = "phantom"
    region_table = SYNTHETIC_REGION_TABLE
    centre = np.zeros(3)
    pitfalls = True

    def tissue_classes(self, points: np.ndarray) -> np.ndarray:
        """Tissue class at template points (N, 3) mm; uint8 (N,)."""
        return tissue_classes(points)

    def region_map(self, points: np.ndarray, tissue: np.ndarray) -> np.ndarray:
        """White matter region id at template points; 0 outside white matter. uint8 (N,)."""
        return region_map(points, tissue)

    def rim(self, points: np.ndarray, rim_mm: float) -> np.ndarray:
        """Where a periventricular rim ``rim_mm`` thick lies (bool (N,), before restriction to white matter)."""
        return (ventricle_radius(points, rim_mm) < 1.0) & (points[:, 2] > VENTRICLE_CENTERS[0][2] - 4.0)

    def cap_centres(self) -> tuple[np.ndarray, ...]:
        """Centres (mm) of the four periventricular caps: left front, left back, right front, right back."""
        return tuple(
            ventricle + np.array([0.0, tip * (VENTRICLE_SEMI_AXES[1] + 1.0), 1.0])
            for ventricle in VENTRICLE_CENTERS
            for tip in (+1.0, -1.0)
        )

    def white_matter_points(self, rng: np.random.Generator, count: int, core: float) -> np.ndarray:
        """``count`` random white matter points (count, 3) mm within normalised brain radius ``core``."""
        return random_white_matter_points(rng, count, core)

    def template_grid(self, spacing_mm: float, margin_mm: float = 4.0) -> tuple[tuple[int, int, int], np.ndarray]:
        """Shape and voxel → template (mm) affine of an isotropic grid covering the head, ``margin_mm`` around."""
        extent = 2 * (HEAD_SEMI_AXES + margin_mm)
        shape = tuple(int(np.ceil(e / spacing_mm)) for e in extent)
        affine = np.diag([spacing_mm, spacing_mm, spacing_mm, 1.0])
        affine[:3, 3] = BRAIN_CENTER - spacing_mm * (np.asarray(shape, dtype=np.float64) - 1) / 2
        return shape, affine  # type: ignore[return-value]


#: The analytic phantom (the default anatomy).
PHANTOM = PhantomAnatomy()
