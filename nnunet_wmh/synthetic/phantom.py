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

from nnunet_wmh.modalities import other_modalities
from nnunet_wmh.synthetic.anatomy import (
    DEEP_GREY,
    DEEP_LESION_CORE,
    EXTRA_CONTRASTS,
    INTENSITY_SCALE,
    LESION_INTENSITY,
    OTHER_PATHOLOGY_CORE,
    OTHER_PATHOLOGY_INTENSITY,
    PHANTOM,
    TISSUE_INTENSITY,
    WHITE_MATTER,
    Blob,
    PhantomAnatomy,
    aseg_labels,
    blob_union,
    grid_world_points,
    random_rotation,
)
from nnunet_wmh.synthetic.pitfalls import FAINT_LESION, FlairPitfalls, draw_pitfalls, paint_pitfalls, pitfall_map


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
    pitfalls
        FLAIR pitfalls that T1 resolves (:mod:`~nnunet_wmh.synthetic.pitfalls`); none by default.
    lesion_ids
        Truth lesion id of each ``wmh`` blob (:mod:`~nnunet_wmh.synthetic.longitudinal`); empty (the default):
        no lesion-id map is made.
    rim_id
        Truth lesion id of the rim (with ``lesion_ids``).
    """

    load: float
    wmh: tuple[Blob, ...]
    rim_mm: float
    other: tuple[Blob, ...]
    pitfalls: FlairPitfalls = field(default_factory=FlairPitfalls)
    lesion_ids: tuple[int, ...] = ()
    rim_id: int = 0


def random_pathology(
    rng: np.random.Generator, load: float | None = None, anatomy: PhantomAnatomy = PHANTOM
) -> SubjectPathology:
    """Draw lesions of varied size (periventricular caps, rims, deep punctate lesions and patches), then
    the FLAIR pitfalls of :func:`~nnunet_wmh.synthetic.pitfalls.draw_pitfalls` (where ``anatomy`` has them).
    ``load``: the lesion load factor (default: drawn, ~0.15 mild to 2 severe); ``anatomy``: where lesions go
    (the analytic phantom, or :class:`~nnunet_wmh.synthetic.mni_anatomy.Mni152Anatomy`)."""
    if load is None:
        load = float(np.clip(rng.lognormal(mean=-0.4, sigma=0.6), 0.15, 2.0))
    blobs: list[Blob] = []
    for center in anatomy.cap_centres():  # anterior and posterior caps of each lateral ventricle
        semi_axes = np.array([5.0, 5.0, 4.0]) * (0.8 + 0.9 * load) * rng.uniform(0.8, 1.2, size=3)
        blobs.append(Blob(center, semi_axes, random_rotation(rng, 15)))
    n_deep = int(rng.poisson(3 + 8 * load)) + 1
    for center in anatomy.white_matter_points(rng, n_deep, DEEP_LESION_CORE):
        radius = float(np.clip(rng.lognormal(mean=np.log(2.2), sigma=0.45), 1.0, 6.0))
        semi_axes = radius * rng.uniform(0.7, 1.3, size=3)
        blobs.append(Blob(center, semi_axes, random_rotation(rng, 90)))
    rim_mm = 0.0 if load < 0.5 else float(2.0 * load * rng.uniform(0.8, 1.2))
    n_other = int(rng.integers(1, 3))
    other = tuple(
        Blob(center, rng.uniform(3.0, 6.0) * rng.uniform(0.8, 1.2, size=3), random_rotation(rng, 90))
        for center in anatomy.white_matter_points(rng, n_other, OTHER_PATHOLOGY_CORE)
    )
    pitfalls = draw_pitfalls(rng, len(blobs)) if anatomy.pitfalls else FlairPitfalls()
    return SubjectPathology(load=load, wmh=tuple(blobs), rim_mm=rim_mm, other=other, pitfalls=pitfalls)


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


def random_subject_transform(
    rng: np.random.Generator, *, warp_mm: float = 1.5, centre: np.ndarray | None = None
) -> SubjectTransform:
    """Random head pose and size: ±6° rotation, 0.9–1.1 scaling per axis, ±6 mm shift, mild warp; the world
    origin looks at ``centre`` (template mm; default the template's origin)."""
    scaling = np.diag(rng.uniform(0.9, 1.1, size=3))
    return SubjectTransform(
        matrix=random_rotation(rng, 6.0) @ scaling,
        translation=rng.uniform(-6.0, 6.0, size=3) + (0.0 if centre is None else centre),
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
    pitfalls
        uint8 codes of :data:`~nnunet_wmh.synthetic.pitfalls.PITFALL_NAMES` (0: none).
    others
        The other contrasts asked for (``{"t2": ..., "pd": ...}``), float32 like FLAIR and T1.
    lesion_id
        uint16 truth lesion id of each WMH voxel (:func:`lesion_id_labels`), 0 elsewhere; None unless the
        pathology has ``lesion_ids``.
    """

    flair: np.ndarray
    t1: np.ndarray
    lesion: np.ndarray
    regions: np.ndarray
    anatomy: np.ndarray
    pitfalls: np.ndarray
    others: dict[str, np.ndarray] = field(default_factory=dict)
    lesion_id: np.ndarray | None = None


def lesion_id_labels(
    template: np.ndarray, white_matter: np.ndarray, pathology: SubjectPathology, anatomy: PhantomAnatomy = PHANTOM
) -> np.ndarray:
    """Truth lesion id at template points (N, 3) mm: the rim's ``rim_id``, then each WMH blob's id over it (a
    later blob wins where two overlap), in white matter (``white_matter``, (N,) bool) only; uint16 (N,).

    Each blob is evaluated exactly as :func:`~nnunet_wmh.synthetic.anatomy.blob_union` evaluates it, so the
    points with an id are exactly the WMH (label 1) points of :func:`sample_subject`.
    """
    ids = np.zeros(len(template), dtype=np.uint16)
    if pathology.rim_mm > 0:
        ids[anatomy.rim(template, pathology.rim_mm) & white_matter] = pathology.rim_id
    for blob, lesion_id in zip(pathology.wmh, pathology.lesion_ids, strict=True):
        near = np.all(np.abs(template - blob.center) < blob.bounding_radius(), axis=1)
        if near.any():
            inside = np.flatnonzero(near)[blob.contains(template[near]) & white_matter[near]]
            ids[inside] = lesion_id
    return ids


def _lesion_masks(
    template: np.ndarray, tissue: np.ndarray, pathology: SubjectPathology, anatomy: PhantomAnatomy
) -> tuple[np.ndarray, ...]:
    """WMH (label 1), its FLAIR-faint part, and other pathology (label 2) at template points (N,) bool."""
    white_matter = tissue == WHITE_MATTER
    faint_indexes = set(pathology.pitfalls.faint)
    strong = blob_union(tuple(b for i, b in enumerate(pathology.wmh) if i not in faint_indexes), template)
    if pathology.rim_mm > 0:
        strong |= anatomy.rim(template, pathology.rim_mm)
    strong &= white_matter
    faint = blob_union(tuple(pathology.wmh[i] for i in sorted(faint_indexes)), template) & white_matter & ~strong
    other = blob_union(pathology.other, template) & (white_matter | (tissue == DEEP_GREY))
    return strong | faint, faint, other


def clean_intensities(
    template: np.ndarray, tissue: np.ndarray, pathology: SubjectPathology, anatomy: PhantomAnatomy = PHANTOM
) -> tuple[np.ndarray, ...]:
    """Noise-free (FLAIR, T1) per template point, the WMH and other-pathology masks and the pitfall codes."""
    wmh, faint, other = _lesion_masks(template, tissue, pathology, anatomy)
    flair = np.zeros(len(template), dtype=np.float64)
    t1 = np.zeros(len(template), dtype=np.float64)
    for tissue_class, (flair_value, t1_value) in TISSUE_INTENSITY.items():
        selected = tissue == tissue_class
        flair[selected] = flair_value
        t1[selected] = t1_value
    flair[wmh], t1[wmh] = LESION_INTENSITY
    cavity = other & ~wmh
    flair[cavity], t1[cavity] = OTHER_PATHOLOGY_INTENSITY
    codes = pitfall_map(pathology.pitfalls, template, tissue, faint)
    codes[(wmh & ~faint) | cavity] = 0  # true lesions win over pitfalls
    paint_pitfalls(codes, tissue, flair, t1)
    return flair, t1, wmh, other, codes


def extra_contrast(
    modality: str, tissue: np.ndarray, wmh: np.ndarray, other: np.ndarray, codes: np.ndarray
) -> np.ndarray:
    """Noise-free intensities of another contrast (``t2``, ``pd``) per template point: its own tissue values,
    lesions and other pathology; the FLAIR-only pitfalls (spots, artefacts) do not show, faint lesions do."""
    tissue_values, lesion_value, other_value, faint_value = EXTRA_CONTRASTS[modality]
    values = np.zeros(len(tissue), dtype=np.float64)
    for tissue_class, value in tissue_values.items():
        values[tissue == tissue_class] = value
    values[wmh] = lesion_value
    values[other & ~wmh] = other_value
    values[codes == FAINT_LESION] = faint_value
    return values


def _finish_image(values: np.ndarray, shape: tuple[int, int, int], affine: np.ndarray, bias_field: np.ndarray,
                  rng: np.random.Generator, noise: float) -> np.ndarray:  # fmt: skip
    """Blur, bias and noise on the grid; float32 in scanner-like units."""
    volume = values.reshape(shape)
    spacing = np.linalg.norm(affine[:3, :3], axis=0)
    volume = ndimage.gaussian_filter(volume, sigma=0.6 / np.maximum(spacing / spacing.min(), 1.0))
    volume = volume * bias_field.reshape(shape) + rng.normal(0.0, noise, size=shape) * (volume > 0.01)
    return (np.clip(volume, 0, None) * INTENSITY_SCALE).astype(np.float32)


def _bias_field(world: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    a, b, c, d = rng.uniform(-0.15, 0.15, size=4)
    scaled = world / 100.0
    return np.exp(a * scaled[:, 0] + b * scaled[:, 1] + c * scaled[:, 2] + d * scaled[:, 1] ** 2)


#: Standard deviation of the images' Gaussian noise, relative to the white matter intensity scale.
NOISE = 0.02


def sample_subject(
    shape: tuple[int, int, int],
    affine: np.ndarray,
    transform: SubjectTransform,
    pathology: SubjectPathology,
    rng: np.random.Generator,
    *,
    clean: bool = False,
    modalities: tuple[str, ...] = ("flair", "t1"),
    anatomy: PhantomAnatomy = PHANTOM,
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
    clean
        No noise and no bias field (the template); otherwise Gaussian noise of :data:`NOISE` (relative to the
        white matter intensity scale) and a smooth random bias field.
    modalities
        FLAIR and T1 are always made; ``t2`` and ``pd`` when listed. Their noise is drawn after FLAIR's and
        T1's, so FLAIR and T1 are the same with or without them.
    anatomy
        The anatomy seen through ``transform``: the analytic phantom, or
        :class:`~nnunet_wmh.synthetic.mni_anatomy.Mni152Anatomy`.
    """
    world = grid_world_points(shape, affine)
    template = transform(world)
    tissue = anatomy.tissue_classes(template)
    flair, t1, wmh, other, pitfalls = clean_intensities(template, tissue, pathology, anatomy)

    bias_field = _bias_field(world, rng) if not clean else np.ones(len(world))
    noise = 0.0 if clean else NOISE
    images = [_finish_image(values, shape, affine, bias_field, rng, noise) for values in (flair, t1)]
    others = {
        m: _finish_image(extra_contrast(m, tissue, wmh, other, pitfalls), shape, affine, bias_field, rng, noise)
        for m in other_modalities(modalities)
    }

    lesion = np.zeros(shape, dtype=np.uint8)
    other_mask = other.reshape(shape)
    if other_mask.any():
        in_plane = np.zeros((3, 3, 3), dtype=bool)
        in_plane[:, :, 1] = True
        lesion[ndimage.binary_dilation(other_mask, structure=in_plane)] = 2
    lesion[wmh.reshape(shape)] = 1
    lesion_id = None
    if pathology.lesion_ids:
        lesion_id = lesion_id_labels(template, tissue == WHITE_MATTER, pathology, anatomy).reshape(shape)
    return SampledSubject(
        flair=images[0], t1=images[1], lesion=lesion, regions=anatomy.region_map(template, tissue).reshape(shape),
        anatomy=aseg_labels(tissue, template).reshape(shape), pitfalls=pitfalls.reshape(shape), others=others,
        lesion_id=lesion_id,
    )  # fmt: skip
