"""``synth --modalities``: T2 and PD phantoms with their own contrasts, the same anatomy and lesions."""

import nibabel as nib
import numpy as np
import pytest

from nnunet_wmh.errors import UsageError
from nnunet_wmh.synthetic.cohort import make_synthetic_cohort


def _voxels(path):
    return np.asanyarray(nib.load(path).dataobj)


@pytest.fixture(scope="module")
def with_t2_pd(tmp_path_factory):
    root = tmp_path_factory.mktemp("synth")
    plain = make_synthetic_cohort(root / "plain", subjects=2, size="small", seed=3, progress=False).root
    both = make_synthetic_cohort(root / "both", subjects=2, size="small", seed=3, modalities="t2,pd", progress=False)
    bids = make_synthetic_cohort(root / "bids", subjects=1, layout="bids", size="small", modalities="t2",
                                 progress=False)  # fmt: skip
    return plain, both.root, bids.root


def test_flair_and_t1_are_the_same_with_or_without_other_contrasts(with_t2_pd):
    plain, both, _ = with_t2_pd
    for name in ("pre/FLAIR.nii.gz", "pre/T1.nii.gz", "wmh.nii.gz"):
        np.testing.assert_array_equal(
            _voxels(plain / "training/Utrecht/0" / name), _voxels(both / "training/Utrecht/0" / name)
        )
    assert not (plain / "training/Utrecht/0/pre/T2.nii.gz").exists()


def test_t2_shows_lesions_and_csf_bright_and_pd_is_low_contrast(with_t2_pd):
    _, both, _ = with_t2_pd
    subject = both / "training/Utrecht/0"
    t2, pd, flair = (_voxels(subject / f"pre/{m}.nii.gz") for m in ("T2", "PD", "FLAIR"))
    aseg, lesion = _voxels(subject / "aseg.nii.gz"), _voxels(subject / "wmh.nii.gz")
    header = nib.load(subject / "pre/T2.nii.gz").header
    np.testing.assert_array_equal(
        nib.load(subject / "pre/FLAIR.nii.gz").affine, nib.load(subject / "pre/T2.nii.gz").affine
    )
    assert header.get_data_dtype() == np.float32
    white = (aseg == 2) & (lesion == 0)
    ventricles = np.isin(aseg, (4, 43))
    assert np.median(t2[lesion == 1]) > 1.5 * np.median(t2[white])  # lesions bright
    assert np.median(t2[ventricles]) > 2 * np.median(t2[white])  # CSF bright (on FLAIR it is dark)
    assert np.median(flair[ventricles]) < 0.5 * np.median(flair[white])
    assert np.median(pd[lesion == 1]) > np.median(pd[white])
    assert np.median(pd[ventricles]) < 1.3 * np.median(pd[white])  # low contrast


def test_bids_names_the_contrasts_by_suffix_and_unknown_ones_are_refused(with_t2_pd, tmp_path):
    _, _, bids = with_t2_pd
    assert (bids / "sub-001/anat/sub-001_T2w.nii.gz").is_file()
    with pytest.raises(UsageError, match="`modalities` swi: synth makes flair, t1, t2, pd"):
        make_synthetic_cohort(tmp_path / "x", subjects=1, size="small", modalities="flair,swi", progress=False)
