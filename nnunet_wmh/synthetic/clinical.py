"""Clinical 2-D FLAIR acquisitions: thick axial slices, fine in-plane voxels, skull-stripped, int16, LPS.

Many clinical FLAIRs are 2-D multi-slice acquisitions, unlike the challenge's 3 mm grids: 16–30 slices of
5–8 mm with 0.45–0.5 mm pixels, stored as int16, often skull-stripped; nnU-Net plans a 2-D network for them
and HD95 is dominated by the slice spacing. ``synth --acquisition clinical2d`` makes such subjects:

* the FLAIR (and labels) on a thick-slice grid of one of :data:`CLINICAL_SITES`; each slice averages
  :data:`SLICE_SAMPLES` sub-slices across its thickness (partial volume), labels come from the slice centre;
* everything outside the intracranial volume set to 0 (skull-stripped), intensities rounded to int16;
* heavier lesion loads than the challenge phantoms (tens of mL, :data:`CLINICAL_LOAD`);
* ``clinical2d_t1`` adds a 3-D T1 on its own 1 mm grid (:data:`T1_GRID`), not aligned with the FLAIR (as
  acquired: ``convert --coregister`` brings it onto the FLAIR grid).

``size="small"`` divides the in-plane voxel count by 4 and keeps the slices (the thick-slice geometry is the
point); the T1 grid becomes 2 mm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnunet_wmh.synthetic.anatomy import PHANTOM, PhantomAnatomy
from nnunet_wmh.synthetic.phantom import SampledSubject, SubjectPathology, sample_subject

#: Sub-slices averaged across each thick slice.
SLICE_SAMPLES = 3
#: Lesion load factors of clinical subjects (the phantom's scale: ~0.15 mild to 2 severe; here moderate to
#: severe, tens of mL of WMH).
CLINICAL_LOAD = (1.2, 3.0)
#: In-plane voxel counts are divided by this for ``size="small"`` (slices kept).
SMALL_IN_PLANE_FACTOR = 4


@dataclass(frozen=True)
class ClinicalSite:
    """A clinical 2-D FLAIR protocol: folder name, grid (x, y, slices) and voxel size (mm)."""

    folder: str
    shape: tuple[int, int, int]
    spacing: tuple[float, float, float]

    def grid(self, size: str) -> tuple[tuple[int, int, int], tuple[float, float, float]]:
        """Grid and spacing for ``size``: ``small`` keeps the field of view and the slices."""
        if size == "full":
            return self.shape, self.spacing
        x, y, z = self.shape
        shape = (x // SMALL_IN_PLANE_FACTOR, y // SMALL_IN_PLANE_FACTOR, z)
        spacing = (self.spacing[0] * x / shape[0], self.spacing[1] * y / shape[1], self.spacing[2])
        return shape, spacing


#: Three protocols of the kind seen in clinical archives (16–30 slices of 5–8 mm, 0.45–0.5 mm pixels).
CLINICAL_SITES = (
    ClinicalSite("Hospital_A", (512, 512, 16), (0.47, 0.47, 8.0)),
    ClinicalSite("Hospital_B", (448, 448, 24), (0.5, 0.5, 5.5)),
    ClinicalSite("Hospital_C", (480, 480, 30), (0.45, 0.45, 5.0)),
)
#: The 3-D T1 of ``clinical2d_t1``: shape and isotropic voxel (mm), full and small.
T1_GRID = {"full": ((176, 208, 176), 1.0), "small": ((88, 104, 88), 2.0)}


def clinical_load(rng: np.random.Generator) -> float:
    """A lesion load factor drawn uniformly within :data:`CLINICAL_LOAD`."""
    return float(rng.uniform(*CLINICAL_LOAD))


def thick_slice_subject(
    shape: tuple[int, int, int],
    affine: np.ndarray,
    transform,
    pathology: SubjectPathology,
    rng: np.random.Generator,
    anatomy: PhantomAnatomy = PHANTOM,
) -> SampledSubject:
    """Sample a subject on a thick-slice grid: images averaged over :data:`SLICE_SAMPLES` sub-slices per slice,
    labels of the centre sub-slice; skull-stripped; FLAIR and T1 int16.

    Parameters
    ----------
    shape
        Grid (X, Y, Z), Z the slice axis.
    affine
        Voxel → world (mm) affine of the grid.
    transform, pathology, rng, anatomy
        As :func:`~nnunet_wmh.synthetic.phantom.sample_subject`.
    """
    k = SLICE_SAMPLES
    fine_shape = (shape[0], shape[1], shape[2] * k)
    fine = affine.copy()
    fine[:3, 2] = affine[:3, 2] / k  # sub-slice step; centres at -1/3, 0, +1/3 of a slice around the original
    fine[:3, 3] = affine[:3, 3] - affine[:3, 2] * (k - 1) / (2 * k)
    sampled = sample_subject(fine_shape, fine, transform, pathology, rng, anatomy=anatomy)
    inside = sampled.anatomy > 0  # the intracranial volume: what skull-stripping keeps

    def average(image: np.ndarray) -> np.ndarray:
        stripped = np.where(inside, image, 0.0)
        return np.round(stripped.reshape(shape[0], shape[1], shape[2], k).mean(axis=3)).astype(np.int16)

    def centre(labels: np.ndarray) -> np.ndarray:
        return labels[:, :, k // 2 :: k]

    return SampledSubject(
        flair=average(sampled.flair), t1=average(sampled.t1), lesion=centre(sampled.lesion),
        regions=centre(sampled.regions), anatomy=centre(sampled.anatomy), pitfalls=centre(sampled.pitfalls),
        lesion_id=None if sampled.lesion_id is None else centre(sampled.lesion_id),
    )  # fmt: skip
