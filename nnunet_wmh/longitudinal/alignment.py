"""Each follow-up visit registered rigidly to the participant's baseline, with its quality check.

Space: the baseline's. Lesions are matched on the baseline grid (the follow-up's lesion components carried there
by nearest neighbour), and the baseline's region map is carried to every follow-up, but no volume is measured on
resampled voxels: each visit's lesions are counted on its own grid. A halfway space keeps either visit from being
favoured when images are resampled for measurement (SIENA, FreeSurfer's longitudinal stream); here only the
overlap test and the region labels travel, so the baseline space adds no volume bias and keeps the regions exactly
as the baseline's registration placed them.

The registration is ``coregister``'s (rigid Euler 3-D, Mattes mutual information, 4-2-1 pyramid), refined at full
resolution (:func:`refine_rigid`). Its QC, each threshold measured on the synthetic follow-ups of
``benchmarks/bench_change.py`` (heads drawn from one template, the hardest case: 10 heads × 3 visits on
3.8 × 3.8 × 6 mm voxels, no visit of one head flagged and all 90 scans of another participant posing as a
follow-up flagged; on 1 × 1 × 3 mm voxels 2 of 20 visits of one head flagged, by their noisier correlation, and
all 12 scans of another participant tried):

* the final metric negative and :data:`MIN_HEAD_OVERLAP` of the registered follow-up head inside the baseline
  head;
* the two heads' volumes within :data:`MAX_HEAD_VOLUME_CHANGE` of each other;
* the normalized cross-correlation of the two FLAIR images inside the baseline head at least
  :data:`MIN_SIMILARITY`: another subject's head, or a head position the rigid registration did not recover,
  falls below;
* head motion within :data:`MAX_ROTATION_DEG` and :data:`MAX_TRANSLATION_MM`: beyond them the visits were
  not positioned alike (another protocol, a swapped file), which a person should look at.

A pair that fails a check is still measured and flagged (``qc`` in ``pairs.tsv``), never silently trusted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from nnunet_wmh.errors import RegistrationError
from nnunet_wmh.registration.coregister import head_mask, head_overlap
from nnunet_wmh.registration.engine import RegistrationResult, RegistrationRunError, one_thread, register

#: Least share of the registered follow-up head inside the baseline head (``coregister`` asks 90 %; two visits of
#: one synthetic head on 3.8 × 3.8 × 6 mm voxels reach only 0.89, the head's border being a thick shell there).
MIN_HEAD_OVERLAP = 0.86
#: Least normalized cross-correlation of baseline and registered follow-up FLAIR inside the baseline head.
MIN_SIMILARITY = 0.78
#: Largest relative difference of the two visits' head volumes (Otsu foreground, mm³).
MAX_HEAD_VOLUME_CHANGE = 0.06
#: Largest rotation (degrees) and translation (mm) between visits before the pair is flagged.
MAX_ROTATION_DEG = 15.0
MAX_TRANSLATION_MM = 30.0
#: Share of the voxels (on a regular grid) the full-resolution refinement measures its correlation on.
REFINE_SAMPLING = 0.25


@dataclass(frozen=True)
class Alignment:
    """A follow-up registered to the baseline.

    Attributes
    ----------
    transform
        Baseline points → follow-up points (mm), SimpleITK's convention: ``sitk.Resample(followup, baseline,
        transform)`` puts the follow-up on the baseline grid.
    rotation_deg, translation_mm
        The head motion between the visits (angle of the rotation, length of the translation at the baseline
        grid's centre).
    metric
        Final Mattes mutual information (negative; nearer 0 is worse).
    head_overlap
        Share (0..1) of the moved follow-up head inside the baseline head.
    similarity
        Normalized cross-correlation of the two FLAIR images inside the baseline head (-1..1).
    head_volume_change
        The follow-up head's volume over the baseline's, minus 1.
    problem
        Why the pair is flagged (None when it passed every check).
    """

    transform: sitk.Transform
    rotation_deg: float
    translation_mm: float
    metric: float
    head_overlap: float
    similarity: float
    head_volume_change: float
    problem: str | None


def _motion(transform: sitk.Transform, baseline: sitk.Image) -> tuple[float, float]:
    """Rotation angle (degrees) and the displacement (mm) of the baseline grid's centre."""
    centre = np.asarray(baseline.TransformContinuousIndexToPhysicalPoint([(n - 1) / 2 for n in baseline.GetSize()]))
    moved = np.asarray(transform.TransformPoint(centre.tolist()))
    matrix = np.asarray(as_euler(transform).GetMatrix()).reshape(3, 3)
    angle = math.degrees(math.acos(float(np.clip((np.trace(matrix) - 1) / 2, -1.0, 1.0))))
    return angle, float(np.linalg.norm(moved - centre))


def _head_volume(head: np.ndarray, image: sitk.Image) -> float:
    """The volume (mm³) of ``head`` (:func:`~nnunet_wmh.registration.coregister.head_mask` of ``image``)."""
    return float(np.count_nonzero(head)) * float(np.prod(image.GetSpacing()))


def _similarity(baseline: sitk.Image, moved: sitk.Image, head: np.ndarray) -> float:
    a = sitk.GetArrayFromImage(baseline)[head].astype(np.float64)
    b = sitk.GetArrayFromImage(moved)[head].astype(np.float64)
    a, b = a - a.mean(), b - b.mean()
    scale = math.sqrt(float((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / scale) if scale > 0 else 0.0


def _problems(alignment: dict, metric: float) -> str | None:
    problems = []
    if metric >= 0 or alignment["head_overlap"] < MIN_HEAD_OVERLAP:
        problems.append(f"the registered head does not fit the baseline's ({alignment['head_overlap']:.0%} of it "
                        f"inside the baseline head, {MIN_HEAD_OVERLAP:.0%} needed; final Mattes mutual information "
                        f"{metric:.3f}): another subject, or a registration that failed")  # fmt: skip
    if abs(alignment["head_volume_change"]) > MAX_HEAD_VOLUME_CHANGE:
        problems.append(f"the head's volume differs by {alignment['head_volume_change']:+.0%} between the visits "
                        f"(more than {MAX_HEAD_VOLUME_CHANGE:.0%}): another subject?")  # fmt: skip
    if alignment["similarity"] < MIN_SIMILARITY:
        problems.append(f"the FLAIR images do not match after rigid registration (correlation "
                        f"{alignment['similarity']:.2f} < {MIN_SIMILARITY}): another subject, or a head position the "
                        "rigid registration did not recover")  # fmt: skip
    if alignment["rotation_deg"] > MAX_ROTATION_DEG or alignment["translation_mm"] > MAX_TRANSLATION_MM:
        moved = f"{alignment['rotation_deg']:.1f}° and {alignment['translation_mm']:.1f} mm"
        limits = f"{MAX_ROTATION_DEG:.0f}° or {MAX_TRANSLATION_MM:.0f} mm"
        problems.append(f"head moved {moved} between the visits (more than {limits})")
    return "; ".join(problems) or None


def as_euler(transform: sitk.Transform) -> sitk.Euler3DTransform:
    """One Euler 3-D transform equal to a rigid ``transform`` of any form (a composite of the centring and the
    Euler stage): its linear part read from the images of unit steps, made exactly orthonormal."""
    origin = np.asarray(transform.TransformPoint((0.0, 0.0, 0.0)))
    columns = [np.asarray(transform.TransformPoint(tuple(step))) - origin for step in np.eye(3)]
    left, _, right = np.linalg.svd(np.stack(columns, axis=1))
    euler = sitk.Euler3DTransform()
    euler.SetMatrix((left @ right).ravel().tolist())
    euler.SetTranslation(origin.tolist())
    return euler


def refine_rigid(baseline: sitk.Image, followup: sitk.Image, result: RegistrationResult) -> RegistrationResult:
    """The rigid registration refined at full resolution (mutual information on a regular quarter of the voxels):
    sub-voxel accuracy matters, since a region boundary misplaced by one voxel moves a whole layer of lesion voxels
    between regions. On 10 phantoms × 3 sessions (``benchmarks/bench_change.py``) it brought the mean error of
    per-region change from 0.036 to 0.021 mL on the full-size grids, and the mean distance to the true head motion
    on the small ones from 1.38 to 1.27 mm, for about 1.5 s per pair on a full-size grid.

    Raises
    ------
    RegistrationRunError
        When SimpleITK gives up.
    """
    method = sitk.ImageRegistrationMethod()
    method.SetMetricAsMattesMutualInformation(numberOfHistogramBins=32)
    method.SetMetricSamplingStrategy(method.REGULAR)
    method.SetMetricSamplingPercentage(REFINE_SAMPLING, 1)  # a fixed seed: the same images, the same transform
    method.SetInterpolator(sitk.sitkLinear)
    method.SetOptimizerAsRegularStepGradientDescent(learningRate=0.5, minStep=1e-6, numberOfIterations=100,
                                                    relaxationFactor=0.5)  # fmt: skip
    method.SetOptimizerScalesFromPhysicalShift()
    method.SetInitialTransform(as_euler(result.transform), inPlace=False)
    try:
        with one_thread():
            refined = method.Execute(sitk.Cast(baseline, sitk.sitkFloat32), sitk.Cast(followup, sitk.sitkFloat32))
    except RuntimeError as exc:
        raise RegistrationRunError(str(exc).strip().splitlines()[-1]) from exc
    return RegistrationResult(as_euler(refined), result.metric, result.iterations + method.GetOptimizerIteration(),
                              method.GetOptimizerStopConditionDescription())  # fmt: skip


def align_followup(baseline: sitk.Image, followup: sitk.Image, *, subject: str, followup_path: Path) -> Alignment:
    """Register ``followup`` to ``baseline`` rigidly, refine it at full resolution, and check the result (see the
    module docstring).

    Raises
    ------
    RegistrationError
        When SimpleITK gives up (the images do not overlap at all).
    """
    try:
        result = register(baseline, followup, kind="rigid")
        result = refine_rigid(baseline, followup, result)
    except RegistrationRunError as exc:
        problem = f"rigid registration to the baseline failed: {exc}"
        raise RegistrationError(subject, str(followup_path), problem) from None
    moved = sitk.Resample(followup, baseline, result.transform, sitk.sitkLinear, 0.0, sitk.sitkFloat32)
    head = head_mask(baseline)
    rotation, translation = _motion(result.transform, baseline)
    figures = {
        "rotation_deg": rotation,
        "translation_mm": translation,
        "head_overlap": head_overlap(baseline, followup, result.transform, head),
        "similarity": _similarity(baseline, moved, head),
        "head_volume_change": _head_volume(head_mask(followup), followup) / max(_head_volume(head, baseline), 1e-9) - 1,
    }
    return Alignment(result.transform, metric=result.metric, problem=_problems(figures, result.metric), **figures)
