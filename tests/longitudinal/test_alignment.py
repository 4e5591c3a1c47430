"""A follow-up registered rigidly to the baseline: a known head motion is recovered, and a head turned beyond the
rigid range is flagged."""

from __future__ import annotations

import math
from pathlib import Path

import nibabel as nib
import numpy as np
import SimpleITK as sitk

from nnunet_wmh.longitudinal.alignment import MAX_ROTATION_DEG, align_followup


def _moved(path: Path, out: Path, degrees: float, shift_mm: tuple[float, float, float]) -> Path:
    """The same voxels with the head turned about the z axis through the grid centre and shifted (world mm)."""
    image = nib.load(path)
    angle = math.radians(degrees)
    turn = np.eye(4)
    turn[:2, :2] = [[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]]
    centre = image.affine @ np.append((np.array(image.shape[:3]) - 1) / 2, 1)
    to_centre, back = np.eye(4), np.eye(4)
    to_centre[:3, 3], back[:3, 3] = -centre[:3], centre[:3] + np.array(shift_mm)
    nib.save(nib.Nifti1Image(np.asanyarray(image.dataobj), back @ turn @ to_centre @ image.affine, image.header), out)
    return out


def _read(path: Path) -> sitk.Image:
    return sitk.ReadImage(str(path), sitk.sitkFloat32)


def test_a_known_head_motion_is_recovered_and_passes(cohort_template, tmp_path):
    flair = cohort_template / "sub-001/ses-01/anat/sub-001_ses-01_FLAIR.nii.gz"
    moved = _moved(flair, tmp_path / "moved.nii.gz", 4.0, (2.0, -1.0, 1.5))
    alignment = align_followup(_read(flair), _read(moved), subject="sub-001", followup_path=moved)
    assert abs(alignment.rotation_deg - 4.0) < 1.0  # the small phantom: 2 mm voxels
    assert abs(alignment.translation_mm - math.dist((0, 0, 0), (2.0, -1.0, 1.5))) < 1.0
    assert alignment.problem is None and alignment.similarity > 0.95 and alignment.head_overlap > 0.95


def test_a_head_turned_beyond_the_rigid_range_is_flagged(cohort_template, tmp_path):
    flair = cohort_template / "sub-002/ses-01/anat/sub-002_ses-01_FLAIR.nii.gz"
    turned = _moved(flair, tmp_path / "turned.nii.gz", 3 * MAX_ROTATION_DEG, (0.0, 0.0, 0.0))
    alignment = align_followup(_read(flair), _read(turned), subject="sub-002", followup_path=turned)
    assert alignment.problem is not None
