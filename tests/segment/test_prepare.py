"""One subject's files before the model: BIDS folders, the atlas's zone masks."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np

from nnunet_wmh.cohorts.subject import Subject
from nnunet_wmh.segment.prepare import _zone_masks, bids_anat_folder
from nnunet_wmh.segment.routes import SubjectRoute


def test_bids_files_go_to_the_subject_and_session_folder(tmp_path):
    subject = Subject("07", "2", "site", tmp_path, "sub-07/ses-2", "07", flair=tmp_path / "f.nii.gz")
    folder, prefix = bids_anat_folder(tmp_path / "bids", SubjectRoute(subject, "sub-07_ses-2", ("flair",)))
    assert folder == tmp_path / "bids" / "sub-07" / "ses-2" / "anat"
    assert prefix == "sub-07_ses-2"


def test_a_subject_without_session_has_no_session_folder(tmp_path):
    subject = Subject("3", None, "Utrecht", tmp_path, "Utrecht/3", "3", flair=tmp_path / "f.nii.gz")
    folder, prefix = bids_anat_folder(Path("bids"), SubjectRoute(subject, "Utrecht_3", ("flair",)))
    assert (folder, prefix) == (Path("bids/sub-3/anat"), "sub-3")


def test_zone_masks_are_written_on_the_subject_grid_with_its_header(tmp_path):
    """The built-in atlas's zones (1 brain, 2 ventricles) on the subject's grid become the brain and ventricle
    masks the report reads (uint8 0/1, the FLAIR's affine and codes)."""
    affine = np.diag([0.47, 0.47, 8.0, 1.0])
    affine[:3, 3] = [-120.0, -120.0, -60.0]
    reference = nib.Nifti1Image(np.zeros((6, 5, 4), np.int16), affine)
    reference.set_qform(affine, code=1)
    zones = np.zeros((6, 5, 4), np.uint8)
    zones[1:5, 1:4, 1:3] = 1
    zones[2:4, 2, 1:3] = 2
    brain, ventricles = _zone_masks(zones, tmp_path, "sub-01", reference)
    assert brain.name == "sub-01_space-FLAIR_desc-brain_mask.nii.gz"
    assert ventricles.name == "sub-01_space-FLAIR_desc-ventricles_mask.nii.gz"
    written_brain, written_ventricles = nib.load(brain), nib.load(ventricles)
    assert np.count_nonzero(np.asanyarray(written_brain.dataobj)) == 4 * 3 * 2
    np.testing.assert_array_equal(np.asanyarray(written_ventricles.dataobj), (zones == 2).astype(np.uint8))
    np.testing.assert_allclose(written_brain.affine, affine, atol=1e-6)  # float32 in the header
    assert int(written_brain.header["qform_code"]) == 1
    assert _zone_masks(None, tmp_path, "sub-02", reference) == (None, None)
