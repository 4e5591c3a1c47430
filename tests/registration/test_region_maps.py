"""``regions``: one image or a cohort, the user's atlas or the built-in one (the built-in one: test_builtin_atlas)."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from nnunet_wmh.errors import InputDataError, OutputError, OutputExistsError, UsageError
from nnunet_wmh.registration import region_maps
from nnunet_wmh.registration.region_maps import make_region_maps, single_map_path
from tests.helpers.images import save


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


def _must_not_run(*args, **kwargs):
    raise AssertionError("called, though the inputs were refused")


def test_labels_off_the_atlas_image_grid_are_refused_before_any_registration(atlas_pair, tmp_path, monkeypatch):
    monkeypatch.setattr(region_maps, "register_atlas", _must_not_run)
    monkeypatch.setattr(region_maps, "register_atlas_to_cohort", _must_not_run)
    files = atlas_pair(shift_mm=(8.0, 0.0, 0.0))
    image = save(np.zeros((10, 10, 4), np.float32), tmp_path / "T1.nii.gz")
    atlas = {"atlas_image": files.image, "atlas_labels": files.labels, "region_table": files.table}
    with pytest.raises(InputDataError, match=r"labels\.nii\.gz: origin .* differs from atlas image .*template"):
        make_region_maps(image, tmp_path / "out", **atlas)
    assert not (tmp_path / "out").exists()


def test_an_output_that_cannot_be_written_is_refused_before_the_builtin_atlas_is_built(tmp_path, monkeypatch):
    monkeypatch.setattr(region_maps, "load_builtin_atlas", _must_not_run)
    image = save(np.zeros((10, 10, 4), np.float32), tmp_path / "T1.nii.gz")
    (tmp_path / "x.txt").write_text("a file")
    with pytest.raises(OutputError, match=r"x\.txt: is a file; expected a folder"):
        make_region_maps(image, tmp_path / "x.txt")
    (tmp_path / "cohort").mkdir()
    with pytest.raises(OutputError, match=r"x\.txt: is a file; expected a folder"):
        make_region_maps(tmp_path / "cohort", tmp_path / "x.txt")
    (tmp_path / "done").mkdir()
    (tmp_path / "done" / "regions.nii.gz").write_bytes(b"an earlier map")
    with pytest.raises(OutputExistsError, match=r"regions\.nii\.gz exists; pass `overwrite`"):
        make_region_maps(image, tmp_path / "done")
