"""Clinical 2-D FLAIR acquisitions: thick slices, fine pixels, skull-stripped int16 LPS, heavy lesion loads."""

import nibabel as nib
import numpy as np
import pytest

from nnunet_wmh.errors import UsageError
from nnunet_wmh.synthetic import make_synthetic_cohort
from nnunet_wmh.synthetic.clinical import CLINICAL_SITES, SLICE_SAMPLES


@pytest.fixture(scope="module")
def clinical(tmp_path_factory):
    root = tmp_path_factory.mktemp("clinical") / "cohort"
    make_synthetic_cohort(root, subjects=2, test_subjects=1, size="small", seed=4, acquisition="clinical2d_t1",
                          progress=False)  # fmt: skip
    return root


def test_the_full_protocols_are_thick_slice_clinical_grids():
    for site in CLINICAL_SITES:
        (x, _, z), (dx, dy, dz) = site.grid("full")
        assert 16 <= z <= 30 and 5.0 <= dz <= 8.0 and 0.45 <= dx <= 0.5 and dx == dy and x >= 448
    assert CLINICAL_SITES[0].grid("full") == ((512, 512, 16), (0.47, 0.47, 8.0))
    assert CLINICAL_SITES[0].grid("small") == ((128, 128, 16), (1.88, 1.88, 8.0))  # slices kept


def test_flair_is_int16_lps_skull_stripped_on_the_thick_slice_grid(clinical):
    folder = clinical / "training" / "Hospital_A" / "0"
    flair = nib.load(folder / "pre" / "FLAIR.nii.gz")
    assert flair.shape == (128, 128, 16) and flair.get_data_dtype() == np.int16
    assert nib.aff2axcodes(flair.affine) == ("L", "P", "S")
    np.testing.assert_allclose(flair.header.get_zooms(), (1.88, 1.88, 8.0), atol=1e-4)
    voxels = np.asanyarray(flair.dataobj)
    anatomy = np.asanyarray(nib.load(folder / "aseg.nii.gz").dataobj)
    assert voxels.max() > 500 and (voxels[anatomy == 0] == 0).mean() > 0.97  # nothing outside the skull
    lesion = np.asanyarray(nib.load(folder / "wmh.nii.gz").dataobj)
    assert lesion.dtype == np.uint8 and lesion.shape == flair.shape
    millilitres = int((lesion == 1).sum()) * 1.88 * 1.88 * 8.0 / 1000
    assert 10 <= millilitres <= 130, millilitres
    assert SLICE_SAMPLES > 1


def test_the_t1_has_its_own_3d_grid_and_the_same_brain(clinical):
    folder = clinical / "training" / "Hospital_A" / "0" / "pre"
    flair, t1 = nib.load(folder / "FLAIR.nii.gz"), nib.load(folder / "T1.nii.gz")
    assert t1.shape == (88, 104, 88) and t1.get_data_dtype() == np.int16
    np.testing.assert_allclose(t1.header.get_zooms(), (2.0, 2.0, 2.0))
    assert not np.allclose(t1.affine, flair.affine)  # as acquired: convert --coregister aligns them
    flair_only = clinical.parent / "flair_only"
    make_synthetic_cohort(flair_only, subjects=1, size="small", seed=4, acquisition="clinical2d", progress=False)
    assert sorted(p.name for p in (flair_only / "training" / "Hospital_A" / "0" / "pre").iterdir()) == ["FLAIR.nii.gz"]
    same = np.asanyarray(nib.load(flair_only / "training/Hospital_A/0/pre/FLAIR.nii.gz").dataobj)
    np.testing.assert_array_equal(same, np.asanyarray(flair.dataobj))  # the T1 does not change the FLAIR


def test_other_contrasts_are_refused_for_clinical_acquisitions(tmp_path):
    with pytest.raises(UsageError, match="`modalities` t2/pd"):
        make_synthetic_cohort(tmp_path / "c", subjects=1, acquisition="clinical2d", modalities="t2")
    with pytest.raises(UsageError, match="`acquisition`"):
        make_synthetic_cohort(tmp_path / "c", subjects=1, acquisition="mri")
