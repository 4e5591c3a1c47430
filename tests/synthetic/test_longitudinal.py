"""Synthetic follow-ups: the same head moved a little, lesions that evolve by a seeded model, and the truth of the
change written next to the images."""

from __future__ import annotations

import datetime
import itertools
import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from scipy import ndimage

from nnunet_wmh.labels.region_table import read_region_table
from nnunet_wmh.synthetic import make_synthetic_cohort
from nnunet_wmh.synthetic.anatomy import aseg_labels, grid_world_points, tissue_classes
from nnunet_wmh.synthetic.change_truth import (
    lesion_volumes_mm3,
    region_volumes_mm3,
    write_change_truth,
    write_sessions_tsv,
)
from nnunet_wmh.synthetic.lesion_course import kinds_of, ratios_agree
from nnunet_wmh.synthetic.longitudinal import CAP_MIN_VOXELS, RIM_MIN_VOXELS, measurable_periventricular
from nnunet_wmh.synthetic.phantom import SubjectTransform, random_pathology
from nnunet_wmh.synthetic.pitfalls import CAP_COUNT
from nnunet_wmh.synthetic.visits import (
    SessionGrid,
    acquisition_times,
    motion_angle_degrees,
    moved,
    random_head_motion,
)
from nnunet_wmh.tsv import read_tsv
from tests.helpers.images import read_labels, tree_bytes

SESSIONS = ("ses-01", "ses-02", "ses-03")
CONNECTIVITY_26 = np.ones((3, 3, 3), dtype=bool)


@pytest.fixture(scope="module")
def cohort(tmp_path_factory) -> Path:
    """3 subjects × 3 sessions, small grids (the default seed has a merge pair and every other kind but split)."""
    root = tmp_path_factory.mktemp("followups") / "bids"
    make_synthetic_cohort(root, subjects=3, sessions=3, layout="bids", size="small", progress=False)
    return root


def _derivative(root: Path, subject: str, session: str, desc: str) -> Path:
    name = f"{subject}_{session}_space-FLAIR_desc-{desc}.nii.gz"
    return root / "derivatives/synth" / subject / session / "anat" / name


def _lesion_ids(root: Path, subject: str, session: str) -> tuple[np.ndarray, float]:
    """The lesion-id map of a session and its voxel volume (mm³, from the header)."""
    image = nib.load(_derivative(root, subject, session, "lesionid_dseg"))
    return np.asanyarray(image.dataobj), float(np.prod(image.header.get_zooms()[:3]))


def _change_rows(root: Path, subject: str) -> list[dict[str, str]]:
    return read_tsv(root / "derivatives/synth" / subject / f"{subject}_desc-change_truth.tsv")


def _subjects(root: Path) -> list[str]:
    return sorted(p.name for p in root.glob("sub-*") if p.is_dir())


def _records(root: Path) -> dict[tuple[str, str], dict]:
    return {(r["subject"], r["session"]): r for r in json.loads((root / "synth.json").read_text())["subjects"]}


def test_truth_volumes_are_the_lesion_id_voxel_counts_times_the_voxel_volume(cohort):
    for subject in _subjects(cohort):
        maps = {session: _lesion_ids(cohort, subject, session) for session in SESSIONS}
        rows = _change_rows(cohort, subject)
        assert rows
        for row in rows:
            for session, column in ((row["session_from"], "volume_from_mm3"), (row["session_to"], "volume_to_mm3")):
                ids, voxel_volume_mm3 = maps[session]
                expected = np.count_nonzero(ids == int(row["lesion_id"])) * voxel_volume_mm3
                assert float(row[column]) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_each_kind_is_what_the_measured_volumes_show(cohort):
    kinds = set()
    for subject in _subjects(cohort):
        for row in _change_rows(cohort, subject):
            before, after, kind = float(row["volume_from_mm3"]), float(row["volume_to_mm3"]), row["kind"]
            kinds.add(kind)
            assert {
                "enlarging": before > 0 and after >= 1.5 * before,
                "shrinking": after > 0 and after <= 0.6 * before,
                "stable": before > 0 and abs(after - before) <= 0.15 * before,
                "vanished": before > 0 and after == 0,
                "new": before == 0 and after > 0,
                "merged": before > 0 and after > 0,
                "split": before > 0 and after > 0,
            }[kind], row
            assert all(volume == 0 or volume >= 30 for volume in (before, after))  # a present lesion: ≥ 30 mm³
            assert (row["merged_with"] != "n/a") == (kind in ("merged", "split"))
    assert kinds == {"new", "enlarging", "stable", "shrinking", "vanished", "merged"}


def test_the_merge_pair_is_two_components_before_its_merge_and_one_from_it_on(cohort):
    merges = [(subject, row) for subject in _subjects(cohort) for row in _change_rows(cohort, subject)
              if row["kind"] == "merged"]  # fmt: skip
    assert len(merges) == 2  # one pair: a row for each of its lesions, naming the other
    (subject, first), (_, second) = merges
    assert (first["lesion_id"], first["merged_with"]) == (second["merged_with"], second["lesion_id"])
    pair = [int(first["lesion_id"]), int(second["lesion_id"])]
    merge_session = SESSIONS.index(first["session_to"])
    for index, session in enumerate(SESSIONS):
        ids, _ = _lesion_ids(cohort, subject, session)
        components = ndimage.label(np.isin(ids, pair), structure=CONNECTIVITY_26)[1]
        assert components == (1 if index >= merge_session else 2), session


def test_distinct_lesions_never_touch(cohort):
    for subject in _subjects(cohort):
        pairs = [{int(r["lesion_id"]), int(r["merged_with"])} for r in _change_rows(cohort, subject)
                 if r["kind"] in ("merged", "split")]  # fmt: skip
        for session in SESSIONS:
            ids, _ = _lesion_ids(cohort, subject, session)
            components, count = ndimage.label(ids > 0, structure=CONNECTIVITY_26)
            for component in range(1, count + 1):
                held = set(np.unique(ids[components == component]).tolist())
                assert len(held) == 1 or held in pairs, (subject, session, held)


def test_the_wmh_mask_is_where_a_lesion_id_is_and_other_pathology_stays_label_two(cohort):
    for subject in _subjects(cohort):
        for session in SESSIONS:
            lesion = read_labels(_derivative(cohort, subject, session, "wmh_mask"))
            image = nib.load(_derivative(cohort, subject, session, "lesionid_dseg"))
            ids = np.asanyarray(image.dataobj)
            assert image.get_data_dtype() == np.uint16
            np.testing.assert_array_equal(ids > 0, lesion == 1)
            assert (lesion == 2).any()
            flair = nib.load(cohort / subject / session / "anat" / f"{subject}_{session}_FLAIR.nii.gz")
            np.testing.assert_array_equal(image.affine, flair.affine)


def test_region_volumes_are_the_wmh_voxels_of_each_true_region(cohort):
    region_ids = sorted(read_region_table(cohort / "derivatives/synth/desc-regions_dseg.tsv"))
    for subject in _subjects(cohort):
        rows = read_tsv(cohort / "derivatives/synth" / subject / f"{subject}_desc-regionvolumes_truth.tsv")
        assert [(r["session"], int(r["region_id"])) for r in rows] == [(s, i) for s in SESSIONS for i in region_ids]
        for row in rows:
            lesion = read_labels(_derivative(cohort, subject, row["session"], "wmh_mask"))
            image = nib.load(_derivative(cohort, subject, row["session"], "regions_dseg"))
            voxel_volume_mm3 = float(np.prod(image.header.get_zooms()[:3]))
            in_region = (np.asanyarray(image.dataobj) == int(row["region_id"])) & (lesion == 1)
            assert float(row["lesion_volume_mm3"]) == pytest.approx(in_region.sum() * voxel_volume_mm3, rel=1e-9)
        assert sum(float(r["lesion_volume_mm3"]) for r in rows) > 0


def test_sessions_tsv_dates_the_visits_about_a_year_apart(cohort):
    for subject in _subjects(cohort):
        rows = read_tsv(cohort / subject / f"{subject}_sessions.tsv")
        assert [r["session_id"] for r in rows] == list(SESSIONS)
        times = [datetime.datetime.fromisoformat(r["acq_time"]) for r in rows]
        for before, after in itertools.pairwise(times):
            assert 365 - 62 <= (after - before).days <= 365 + 62


def test_follow_ups_share_the_baseline_grid_and_record_a_small_rigid_motion(cohort):
    records = _records(cohort)
    for subject in _subjects(cohort):
        baseline = records[subject, "ses-01"]
        np.testing.assert_array_equal(baseline["head_motion_affine"], np.eye(4))
        affine = nib.load(cohort / baseline["files"]["flair"]).affine
        for session in SESSIONS[1:]:
            record = records[subject, session]
            np.testing.assert_array_equal(nib.load(cohort / record["files"]["flair"]).affine, affine)
            motion = np.array(record["head_motion_affine"])
            np.testing.assert_allclose(motion[:3, :3] @ motion[:3, :3].T, np.eye(3), atol=1e-7)
            assert np.linalg.det(motion[:3, :3]) > 0 and np.array_equal(motion[3], [0, 0, 0, 1])
            assert 0 < motion_angle_degrees(motion) <= 3.0 and 0 < np.linalg.norm(motion[:3, 3]) <= 3.0


def _head(record: dict) -> SubjectTransform:
    affine = np.array(record["world_to_template_affine"])
    return SubjectTransform(affine[:3, :3], affine[:3, 3], record["warp_mm"], np.array(record["warp_phase"]))


def test_a_follow_up_is_the_baseline_head_moved_by_the_recorded_motion(cohort):
    records = _records(cohort)
    for subject in _subjects(cohort):
        for session in SESSIONS[1:]:
            record = records[subject, session]
            image = nib.load(cohort / record["files"]["anatomy"])
            aseg = np.asanyarray(image.dataobj).ravel()
            world = grid_world_points(image.shape, image.affine)
            motion = np.array(record["head_motion_affine"])
            agreement = {}
            for name, transform in (("moved", moved(_head(record), motion)), ("unmoved", _head(record))):
                template = transform(world)
                agreement[name] = np.mean(aseg_labels(tissue_classes(template), template) == aseg)
            assert agreement["moved"] >= 0.9999 and agreement["unmoved"] < 0.99, (subject, session, agreement)


def test_resampling_a_follow_up_by_the_recorded_motion_matches_the_baseline_flair(cohort):
    records = _records(cohort)
    gains = []
    for subject in _subjects(cohort):
        baseline = records[subject, "ses-01"]
        image = nib.load(cohort / baseline["files"]["flair"])
        flair, affine = np.asanyarray(image.dataobj), image.affine
        brain = np.argwhere(read_labels(cohort / baseline["files"]["anatomy"]) > 0)
        world = brain @ affine[:3, :3].T + affine[:3, 3]
        for session in SESSIONS[1:]:
            follow_up = np.asanyarray(nib.load(cohort / records[subject, session]["files"]["flair"]).dataobj)
            correlation = {}
            for name, motion in (("moved", np.array(records[subject, session]["head_motion_affine"])),
                                 ("unmoved", np.eye(4))):  # fmt: skip
                voxels = (world @ motion[:3, :3].T + motion[:3, 3] - affine[:3, 3]) @ np.linalg.inv(affine[:3, :3]).T
                resampled = ndimage.map_coordinates(follow_up.astype(np.float64), voxels.T, order=1)
                correlation[name] = np.corrcoef(resampled, flair[tuple(brain.T)])[0, 1]
            assert correlation["moved"] > 0.85, (subject, session, correlation)
            gains.append(correlation["moved"] - correlation["unmoved"])
    assert min(gains) > 0


def test_the_periventricular_lesion_keeps_its_components(cohort):
    for subject in _subjects(cohort):
        counts = [ndimage.label(_lesion_ids(cohort, subject, s)[0] == 1, structure=CONNECTIVITY_26)[1]
                  for s in SESSIONS]  # fmt: skip
        assert counts[0] >= 1 and len(set(counts)) == 1, (subject, counts)


def test_same_seed_gives_the_same_follow_ups_with_any_number_of_jobs(tmp_path):
    options = {"subjects": 2, "sessions": 2, "layout": "bids", "size": "small", "seed": 4, "progress": False}
    make_synthetic_cohort(tmp_path / "serial", **options)
    make_synthetic_cohort(tmp_path / "parallel", jobs=2, **options)
    serial = tree_bytes(tmp_path / "serial")
    assert serial == tree_bytes(tmp_path / "parallel")
    assert "derivatives/synth/sub-002/sub-002_desc-change_truth.tsv" in serial


def test_a_single_session_has_no_change_truth(tmp_path):
    make_synthetic_cohort(tmp_path / "c", subjects=1, layout="bids", size="small", progress=False)
    names = {p.name for p in (tmp_path / "c").rglob("*")}
    assert not any("lesionid" in name or "truth" in name or "sessions.tsv" in name for name in names)
    assert "head_motion_affine" not in json.loads((tmp_path / "c/synth.json").read_text())["subjects"][0]


def test_kinds_follow_the_volume_factors_of_the_model():
    assert kinds_of([1.0, 1.0, 2.0, 0.8, 0.0]) == ("stable", "enlarging", "shrinking", "vanished")
    assert kinds_of([0.0, 0.0, 1.0]) == (None, "new")


def test_measured_volumes_must_show_the_kind_with_margins():
    assert ratios_agree(["enlarging", "stable", "shrinking"], [100.0, 150.0, 172.5, 103.5])
    assert not ratios_agree(["enlarging"], [100.0, 149.0])  # grew, but less than 1.5 ×
    assert not ratios_agree(["stable"], [100.0, 116.0])  # more than ± 15 %
    assert not ratios_agree(["shrinking"], [100.0, 61.0])  # shrank, but not to 0.6 × or less


def test_head_motion_is_rigid_and_at_most_3_degrees_and_3_mm():
    rng = np.random.default_rng(0)
    motions = [random_head_motion(rng) for _ in range(200)]
    for motion in motions:
        np.testing.assert_allclose(motion[:3, :3] @ motion[:3, :3].T, np.eye(3), atol=1e-12)
        assert motion_angle_degrees(motion) <= 3.0 and np.linalg.norm(motion[:3, 3]) <= 3.0
    assert max(motion_angle_degrees(m) for m in motions) > 2.5  # the range is used, not just its start


def test_the_moved_transform_sees_the_head_where_the_motion_took_it():
    head = SubjectTransform(np.diag([1.1, 0.9, 1.0]), np.array([2.0, -3.0, 1.0]), 1.5, np.array([0.1, 0.2, 0.3]))
    motion = random_head_motion(np.random.default_rng(1))
    baseline_world = np.array([[10.0, -20.0, 30.0], [0.0, 0.0, 0.0]])
    follow_up_world = baseline_world @ motion[:3, :3].T + motion[:3, 3]
    np.testing.assert_allclose(moved(head, motion)(follow_up_world), head(baseline_world), atol=1e-12)


def test_acquisition_times_are_a_year_apart_give_or_take_two_months():
    times = acquisition_times(np.random.default_rng(2), 4)
    gaps = [(after - before).days for before, after in itertools.pairwise(times)]
    assert all(365 - 62 <= gap <= 365 + 62 for gap in gaps) and times[0].year in range(2015, 2020)
    assert all(8 <= t.hour < 18 for t in times)


def test_change_table_rows_hold_the_volumes_of_each_lesion_id(tmp_path):
    # Two sessions on a grid of 1 × 1 × 3 mm voxels: lesion 2 grows from 1 to 2 voxels, lesion 3 is new (1 voxel).
    before = np.zeros((4, 4, 2), dtype=np.uint16)
    before[0, 0, 0] = 2
    after = before.copy()
    after[0, 1, 0] = 2
    after[3, 3, 1] = 3
    volumes = [lesion_volumes_mm3(ids, 1 * 1 * 3) for ids in (before, after)]
    assert volumes == [{2: 1 * 3.0}, {2: 2 * 3.0, 3: 1 * 3.0}]
    path = write_change_truth(tmp_path / "t.tsv", ["ses-01", "ses-02"], {2: ("enlarging",), 3: ("new",), 4: (None,)},
                              {}, volumes)  # fmt: skip
    assert path.read_text().splitlines() == [
        "lesion_id\tsession_from\tsession_to\tkind\tvolume_from_mm3\tvolume_to_mm3\tmerged_with",
        "2\tses-01\tses-02\tenlarging\t3\t6\tn/a",
        "3\tses-01\tses-02\tnew\t0\t3\tn/a",
    ]


def test_merged_rows_name_the_other_lesion(tmp_path):
    volumes = [{2: 6.0, 3: 9.0}, {2: 12.0, 3: 15.0}]
    path = write_change_truth(tmp_path / "t.tsv", ["ses-01", "ses-02"], {2: ("merged",), 3: ("merged",)},
                              {2: 3, 3: 2}, volumes)  # fmt: skip
    assert [line.split("\t")[-1] for line in path.read_text().splitlines()[1:]] == ["3", "2"]


def test_region_volumes_count_label_one_only_and_every_region(tmp_path):
    lesion = np.array([[[1, 1, 2, 0]]], dtype=np.uint8)
    regions = np.array([[[5, 6, 6, 6]]], dtype=np.uint8)
    assert region_volumes_mm3(lesion, regions, [5, 6, 7], 2.0) == {5: 1 * 2.0, 6: 1 * 2.0, 7: 0.0}


def test_sessions_tsv_is_iso_8601_to_the_second(tmp_path):
    path = write_sessions_tsv(tmp_path / "sub-1_sessions.tsv", ["ses-01"], [datetime.datetime(2017, 3, 4, 9, 5)])
    assert path.read_text().splitlines() == ["session_id\tacq_time", "ses-01\t2017-03-04T09:05:00"]


@pytest.mark.slow
def test_brain_shaped_follow_ups_have_consistent_truth(tmp_path):
    root = tmp_path / "mni"
    make_synthetic_cohort(root, subjects=2, sessions=3, layout="bids", size="small", anatomy="mni152", progress=False)
    for subject in _subjects(root):
        maps = {session: _lesion_ids(root, subject, session) for session in SESSIONS}
        for session, (ids, _) in maps.items():
            np.testing.assert_array_equal(ids > 0, read_labels(_derivative(root, subject, session, "wmh_mask")) == 1)
        for row in _change_rows(root, subject):
            before, after = float(row["volume_from_mm3"]), float(row["volume_to_mm3"])
            ids, voxel_volume_mm3 = maps[row["session_to"]]
            assert after == pytest.approx(np.count_nonzero(ids == int(row["lesion_id"])) * voxel_volume_mm3)
            if row["kind"] == "stable":
                assert abs(after - before) <= 0.15 * before
            if row["kind"] == "enlarging":
                assert after >= 1.5 * before


def test_the_periventricular_lesion_is_made_measurable_on_a_coarse_grid():
    grid = SessionGrid((40, 40, 20), np.diag([4.0, 4.0, 6.0, 1.0]), head=None)
    pathology = random_pathology(np.random.default_rng(3), load=0.2)
    measurable = measurable_periventricular(pathology, grid)
    for cap in measurable.wmh[:CAP_COUNT]:
        assert 4 / 3 * np.pi * np.prod(cap.semi_axes) >= CAP_MIN_VOXELS * 96.0 - 1e-6  # 4 x 4 x 6 mm voxels
    assert measurable.rim_mm >= RIM_MIN_VOXELS * 6.0
    assert all(a is b for a, b in zip(measurable.wmh[CAP_COUNT:], pathology.wmh[CAP_COUNT:], strict=True))
