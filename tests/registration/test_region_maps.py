"""``regions``: one image or a cohort, the user's atlas or the built-in one (the built-in one: test_builtin_atlas)."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from nnunet_wmh.errors import UsageError
from nnunet_wmh.registration.region_maps import make_region_maps, single_map_path


@pytest.fixture
def atlas(small_cohort_template):
    template = small_cohort_template / "template"
    return {"atlas_image": str(template / "template_T1w.nii.gz"),
            "atlas_labels": str(template / "template_regions.nii.gz"),
            "region_table": str(template / "regions.tsv")}  # fmt: skip


def test_one_image_gives_its_map_and_transform_in_the_out_folder(small_cohort_template, atlas, tmp_path):
    image = small_cohort_template / "training/Utrecht/0/pre/T1.nii.gz"
    made = make_region_maps(image, tmp_path / "out", progress=False, **atlas)
    assert made.cohort is None and made.atlas == atlas["atlas_image"]
    assert made.subject.region_map == tmp_path / "out" / "regions.nii.gz"
    assert made.subject.transform == tmp_path / "out" / "regions_transform.tfm"
    written = nib.load(made.subject.region_map)
    np.testing.assert_array_equal(written.affine, nib.load(image).affine)
    assert len(made.subject.region_ids) > 10


def test_a_cohort_gives_a_map_per_subject_and_the_names(small_cohort_template, atlas, tmp_path):
    made = make_region_maps(small_cohort_template, tmp_path / "out", jobs=2, progress=False, **atlas)
    assert made.subject is None and len(made.cohort.results) == 6 + 5
    assert (tmp_path / "out" / "Utrecht" / "0" / "regions.nii.gz").is_file()
    assert made.cohort.region_table == tmp_path / "out" / "regions.tsv"


def test_a_mask_is_for_one_image_and_a_file_out_is_the_old_spelling(small_cohort_template, atlas, tmp_path, caplog):
    with pytest.raises(UsageError, match="`wm_mask` applies to one subject image") as raised:
        make_region_maps(small_cohort_template, tmp_path / "out", wm_mask="m.nii.gz", **atlas)
    assert raised.value.parameter == "wm_mask" and not (tmp_path / "out").exists()
    assert single_map_path(tmp_path / "map.nii.gz") == tmp_path / "map.nii.gz"
    assert "a file `out` is deprecated" in caplog.text
