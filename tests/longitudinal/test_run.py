"""``change`` on a segment output made from a synthetic cohort's truth: files and tables, participants with one
session, sessions without acquisition times, one participant's bad files, and pairs that are not one head."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from nnunet_wmh.errors import OutputExistsError, UsageError
from nnunet_wmh.longitudinal.matching import CHANGE_LABELS
from nnunet_wmh.longitudinal.run import detect_change
from nnunet_wmh.tsv import read_tsv, write_tsv


def _voxels(path: Path) -> np.ndarray:
    return np.asanyarray(nib.load(path).dataobj)


def test_every_pair_is_measured_on_each_visits_own_grid(segmented, tmp_path):
    _, segment = segmented
    result = detect_change(segment, tmp_path / "change", progress=False)
    assert result.pairs == 3 and result.single_session == [] and result.skipped == {}
    out = tmp_path / "change"
    anat = out / "sub-001/ses-02/anat"
    later_map = anat / "sub-001_ses-02_space-FLAIR_desc-changeFromSes01_dseg.nii.gz"
    mask = nib.load(segment / "sub-001/ses-02/anat/sub-001_ses-02_space-FLAIR_desc-wmh_mask.nii.gz")
    changes = nib.load(later_map)
    np.testing.assert_array_equal(changes.affine, mask.affine)
    assert ((_voxels(later_map) > 0) == (_voxels(mask.get_filename()) > 0)).all()  # every lesion voxel classed
    assert set(np.unique(_voxels(later_map))) <= {0, *CHANGE_LABELS.values()}
    assert (anat / "sub-001_ses-02_from-ses02_to-ses01_mode-image_xfm.tfm").is_file()
    assert (out / "qc/sub-001_ses-01_to_ses-02_change.png").is_file()
    description = json.loads((out / "dataset_description.json").read_text())
    assert description["DatasetType"] == "derivative" and description["SourceDatasets"][0]["URL"].startswith("file:")
    voxel_ml = float(np.prod(mask.header.get_zooms()[:3])) / 1000
    rows = {(r["participant_id"], r["region_id"]): r for r in read_tsv(out / "change.tsv")}
    total = rows[("sub-001", "all")]
    assert float(total["volume_to_ml"]) == pytest.approx(np.count_nonzero(_voxels(mask.get_filename())) * voxel_ml)
    regions = [r for (p, region), r in rows.items() if p == "sub-001" and region != "all"]
    assert sum(float(r["volume_to_ml"]) for r in regions) == pytest.approx(float(total["volume_to_ml"]))
    lesions = [r for r in read_tsv(out / "lesion_changes.tsv") if r["participant_id"] == "sub-001"]
    assert sum(int(total[f"n_{kind}"]) for kind in CHANGE_LABELS) == len(lesions)


def test_a_participant_with_one_session_is_reported_not_an_error(segmented, tmp_path):
    _, segment = segmented
    rows = [r for r in read_tsv(segment / "subjects.tsv") if r["case"] != "sub-003_ses-02"]
    write_tsv(segment / "subjects.tsv", rows, list(rows[0]))
    result = detect_change(segment, tmp_path / "change", progress=False)
    assert result.single_session == ["sub-003"] and result.pairs == 2
    assert json.loads((tmp_path / "change/change.json").read_text())["single_session"] == ["sub-003"]


def test_without_acquisition_times_there_is_no_per_year_figure(segmented, tmp_path):
    cohort, segment = segmented
    for sessions in cohort.glob("sub-*/sub-*_sessions.tsv"):
        sessions.unlink()
    detect_change(segment, tmp_path / "change", progress=False)
    rows = read_tsv(tmp_path / "change/change.tsv")
    assert {r["interval_years"] for r in rows} == {"n/a"} and {r["change_ml_per_year"] for r in rows} == {"n/a"}


def test_with_acquisition_times_the_change_per_year_is_the_change_over_the_interval(segmented, tmp_path):
    cohort, segment = segmented
    for participant in ("sub-001", "sub-002", "sub-003"):
        times = [{"session_id": "ses-01", "acq_time": "2020-01-01T10:00:00"},
                 {"session_id": "ses-02", "acq_time": "2022-01-01T10:00:00"}]  # fmt: skip
        write_tsv(cohort / participant / f"{participant}_sessions.tsv", times, ["session_id", "acq_time"])
    detect_change(segment, tmp_path / "change", progress=False)
    total = next(r for r in read_tsv(tmp_path / "change/change.tsv") if r["region_id"] == "all")
    assert float(total["interval_years"]) == pytest.approx(731 / 365.25, abs=1e-4)
    assert float(total["change_ml_per_year"]) == pytest.approx(float(total["change_ml"]) / (731 / 365.25), rel=1e-4)


def test_one_participants_missing_mask_skips_only_that_participant(segmented, tmp_path):
    _, segment = segmented
    mask = segment / "sub-002/ses-02/anat/sub-002_ses-02_space-FLAIR_desc-wmh_mask.nii.gz"
    mask.unlink()
    result = detect_change(segment, tmp_path / "change", progress=False)
    assert list(result.skipped) == ["sub-002"] and "file not found" in result.skipped["sub-002"]
    assert read_tsv(tmp_path / "change/skipped.tsv")[0]["participant_id"] == "sub-002"
    assert {r["participant_id"] for r in read_tsv(tmp_path / "change/pairs.tsv")} == {"sub-001", "sub-003"}


def _turn(path: Path, degrees: float) -> None:
    image = nib.load(path)
    angle = np.radians(degrees)
    turn = np.array([[np.cos(angle), -np.sin(angle), 0, 0], [np.sin(angle), np.cos(angle), 0, 0], [0, 0, 1, 0],
                     [0, 0, 0, 1]])  # fmt: skip
    nib.save(nib.Nifti1Image(np.asanyarray(image.dataobj), turn @ image.affine, image.header), path)


def test_a_head_turned_beyond_the_rigid_range_is_flagged_not_trusted(segmented, tmp_path):
    cohort, segment = segmented
    _turn(cohort / "sub-001/ses-02/anat/sub-001_ses-02_FLAIR.nii.gz", 90)
    _turn(segment / "sub-001/ses-02/anat/sub-001_ses-02_space-FLAIR_desc-wmh_mask.nii.gz", 90)
    result = detect_change(segment, tmp_path / "change", progress=False)
    assert list(result.flagged) == ["sub-001 ses-01→ses-02"]
    qc = {r["participant_id"]: r["qc"] for r in read_tsv(tmp_path / "change/pairs.tsv")}
    assert qc["sub-001"] and not qc["sub-002"] and not qc["sub-003"]


def test_an_existing_output_and_a_folder_that_is_no_segment_output_are_refused(segmented, tmp_path):
    _, segment = segmented
    (tmp_path / "change").mkdir()
    (tmp_path / "change/keep.txt").write_text("mine")
    with pytest.raises(OutputExistsError):
        detect_change(segment, tmp_path / "change", progress=False)
    assert (tmp_path / "change/keep.txt").read_text() == "mine"
    with pytest.raises(UsageError, match="not a finished segment output"):
        detect_change(tmp_path, tmp_path / "other", progress=False)


def test_a_follow_up_of_another_participant_is_flagged(segmented, tmp_path):
    cohort, segment = segmented
    for root, kind in ((cohort, "FLAIR"), (segment, "space-FLAIR_desc-wmh_mask")):
        theirs = root / f"sub-002/ses-02/anat/sub-002_ses-02_{kind}.nii.gz"
        shutil.copy(theirs, root / f"sub-001/ses-02/anat/sub-001_ses-02_{kind}.nii.gz")
    result = detect_change(segment, tmp_path / "change", progress=False)
    assert list(result.flagged) == ["sub-001 ses-01→ses-02"]
