"""Region maps given apart from the source, by pattern or folder."""

import pytest

from nnunet_wmh.cohorts import read_source
from nnunet_wmh.cohorts.region_override import apply_regions_override
from nnunet_wmh.errors import UsageError
from tests.helpers.images import make_wmh2017_subject


def test_regions_override_by_pattern_and_by_folder(tmp_path):
    make_wmh2017_subject(tmp_path / "src", "Utrecht", "0")
    subjects = read_source(tmp_path / "src").train
    (tmp_path / "maps" / "Utrecht" / "0").mkdir(parents=True)
    (tmp_path / "maps" / "Utrecht" / "0" / "regions.nii.gz").write_bytes(b"x")
    (by_folder,) = apply_regions_override(subjects, str(tmp_path / "maps"))
    assert by_folder.regions == tmp_path / "maps" / "Utrecht" / "0" / "regions.nii.gz"
    (by_pattern,) = apply_regions_override(subjects, str(tmp_path / "atlas" / "{site}_{subject}.nii.gz"))
    assert by_pattern.regions == tmp_path / "atlas" / "Utrecht_0.nii.gz"  # kept, so validation names it
    with pytest.raises(UsageError, match=r"use \{subject\}"):
        apply_regions_override(subjects, str(tmp_path / "{age}.nii.gz"))
