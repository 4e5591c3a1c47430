"""Lesion matching and classes of change, on tiny hand-made component maps whose answer is worked out by hand.

Volumes are given in mL as the caller measures them natively; on a 1 × 1 × 3 mm grid one voxel is 3 mm³ =
0.003 mL, written out where a volume follows from voxels.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy import ndimage

from nnunet_wmh.errors import UsageError
from nnunet_wmh.longitudinal.matching import (
    CHANGE_CLASSES,
    CHANGE_LABELS,
    ChangeRules,
    LesionChange,
    change_map,
    count_classes,
    match_lesions,
)

SHAPE = (10, 10, 4)


def grid() -> np.ndarray:
    return np.zeros(SHAPE, dtype=np.int32)


def one_to_one(baseline_ml: float, followup_ml: float, rules: ChangeRules | None = None) -> LesionChange:
    """One lesion at the same place in both sessions, with the given native volumes."""
    baseline, followup = grid(), grid()
    baseline[2:4, 2:4, 1] = 1
    followup[2:4, 2:4, 1] = 1
    (change,) = match_lesions(
        baseline, followup, baseline_ml={1: baseline_ml}, followup_ml={1: followup_ml}, rules=rules or ChangeRules()
    )
    return change


def test_the_classes_have_labels_one_to_eight_in_order():
    assert CHANGE_CLASSES == ("stable", "enlarging", "shrinking", "new", "vanished", "merged", "split", "uncertain")
    assert list(CHANGE_LABELS.items()) == [
        ("stable", 1),
        ("enlarging", 2),
        ("shrinking", 3),
        ("new", 4),
        ("vanished", 5),
        ("merged", 6),
        ("split", 7),
        ("uncertain", 8),
    ]


def test_two_baseline_lesions_joined_in_the_followup_are_one_merged_change():
    baseline, followup = grid(), grid()
    baseline[1, 1:3, 1] = 3
    baseline[1, 5:7, 1] = 4
    followup[1, 1:7, 1] = 2  # the gap between them filled
    changes = match_lesions(baseline, followup, baseline_ml={3: 2 * 0.003, 4: 2 * 0.003}, followup_ml={2: 6 * 0.003})
    assert changes == [
        LesionChange(
            change_id=1,
            kind="merged",
            baseline_ids=(3, 4),
            followup_ids=(2,),
            baseline_ml=pytest.approx(4 * 0.003),
            followup_ml=pytest.approx(6 * 0.003),
            change_ml=pytest.approx(2 * 0.003),
            change_percent=pytest.approx(50.0),
        )
    ]


def test_one_baseline_lesion_in_two_followup_pieces_is_one_split_change():
    baseline, followup = grid(), grid()
    baseline[1, 1:7, 1] = 1
    followup[1, 1:3, 1] = 2
    followup[1, 5:7, 1] = 1
    (change,) = match_lesions(baseline, followup, baseline_ml={1: 0.018}, followup_ml={1: 0.006, 2: 0.006})
    assert (change.kind, change.baseline_ids, change.followup_ids) == ("split", (1,), (1, 2))
    assert change.followup_ml == pytest.approx(0.012)
    assert change.change_ml == pytest.approx(-0.006)
    assert change.change_percent == pytest.approx(-100 * 6 / 18)


def test_diagonally_touching_voxels_are_one_lesion_with_26_connectivity():
    mask = np.zeros(SHAPE, dtype=bool)
    mask[2, 2, 1] = mask[3, 3, 2] = True  # touching at a corner only
    assert ndimage.label(mask)[1] == 2  # scipy's default (6-connectivity) would see two lesions
    baseline, count = ndimage.label(mask, structure=np.ones((3, 3, 3)))
    assert count == 1
    followup = baseline.copy()
    followup[3, 3, 2] = 0  # the follow-up keeps one of the two voxels
    (change,) = match_lesions(baseline, followup, baseline_ml={1: 0.006}, followup_ml={1: 0.003})
    # one lesion halved (-50 %, but only -0.003 mL): below the 0.01 mL floor, so stable, not split or vanished
    assert (change.kind, change.baseline_ids, change.followup_ids) == ("stable", (1,), (1,))


def test_lesion_on_a_region_border_goes_to_the_region_holding_most_of_its_voxels():
    regions = grid()
    regions[:5] = 1
    regions[5:] = 2
    baseline, followup = grid(), grid()
    baseline[4:6, 2, 1] = 1  # one voxel in region 1, one in region 2
    followup[4:7, 2, 1] = 1  # the follow-up adds a voxel in region 2: 1 vs 2 voxels of the union
    (change,) = match_lesions(baseline, followup, baseline_ml={1: 0.006}, followup_ml={1: 0.009}, regions=regions)
    assert change.region_id == 2


def test_region_tie_goes_to_the_smaller_region_id():
    regions = grid()
    regions[:5] = 7
    regions[5:] = 3
    baseline, followup = grid(), grid()
    baseline[3:7, 2, 1] = 1  # two voxels in region 7, two in region 3
    followup[4:6, 2, 1] = 1  # inside the baseline footprint: the union is still 2 + 2
    (change,) = match_lesions(baseline, followup, baseline_ml={1: 0.012}, followup_ml={1: 0.006}, regions=regions)
    assert change.region_id == 3


def test_a_voxel_of_both_sessions_counts_once_for_the_region():
    regions = grid()
    regions[:5] = 7
    regions[5:] = 3
    baseline, followup = grid(), grid()
    baseline[2:7, 2, 1] = 1  # x = 2, 3, 4 in region 7; x = 5, 6 in region 3
    followup[5:7, 2, 1] = 1  # inside the baseline footprint: the union is 3 voxels in region 7, 2 in region 3
    (change,) = match_lesions(baseline, followup, baseline_ml={1: 0.015}, followup_ml={1: 0.006}, regions=regions)
    assert change.region_id == 7


def test_region_ignores_voxels_outside_every_region_and_is_zero_when_none_is_inside():
    regions = grid()
    regions[0] = 5
    baseline, followup = grid(), grid()
    baseline[0:4, 2, 1] = 1  # one voxel in region 5, three in no region: region 5
    baseline[8, 8, 1] = 2  # entirely outside: 0
    changes = match_lesions(baseline, followup, baseline_ml={1: 0.012, 2: 0.003}, followup_ml={}, regions=regions)
    assert [c.region_id for c in changes] == [5, 0]


def test_without_regions_the_region_is_none():
    assert one_to_one(0.1, 0.1).region_id is None


@pytest.mark.parametrize(
    ("baseline_ml", "followup_ml", "kind"),
    [
        (1.0, 1.24, "stable"),  # +24 %: below the relative threshold
        (1.0, 1.26, "enlarging"),  # +26 %
        (1.0, 0.76, "stable"),  # -24 %
        (1.0, 0.74, "shrinking"),  # -26 %
        (0.02, 0.029, "stable"),  # +45 % but +0.009 mL: below the absolute floor
        (0.02, 0.031, "enlarging"),  # +55 % and +0.011 mL
        (0.02, 0.011, "stable"),  # -45 % but -0.009 mL
        (0.02, 0.009, "shrinking"),  # -55 % and -0.011 mL
        (0.04, 0.05, "enlarging"),  # exactly +0.01 mL and +25 %: both reached
        (0.04, 0.03, "shrinking"),  # exactly -0.01 mL and -25 %
        (0.02, 0.03, "enlarging"),  # exactly +0.01 mL (0.009999999999999998 in floating point) and +50 %
        (0.05, 0.0625, "enlarging"),  # +0.0125 mL and exactly +25 % (24.999999999999993 in floating point)
        (0.001, 0.1, "enlarging"),  # a tiny lesion that grew 100-fold
        (0.001, 0.009, "stable"),  # +800 % of one small lesion, +0.008 mL: still stable
    ],
)
def test_one_to_one_class_needs_both_the_absolute_and_the_relative_threshold(baseline_ml, followup_ml, kind):
    change = one_to_one(baseline_ml, followup_ml)
    assert change.kind == kind
    assert change.change_ml == pytest.approx(followup_ml - baseline_ml)
    assert change.change_percent == pytest.approx(100 * (followup_ml - baseline_ml) / baseline_ml)


def test_thresholds_are_options():
    assert one_to_one(1.0, 1.2, ChangeRules(min_change_percent=10.0)).kind == "enlarging"
    assert one_to_one(0.02, 0.029, ChangeRules(min_change_ml=0.005)).kind == "enlarging"


def test_with_zero_thresholds_any_change_counts_and_no_change_is_stable():
    rules = ChangeRules(min_change_ml=0.0, min_change_percent=0.0)
    assert one_to_one(0.1, 0.1, rules).kind == "stable"
    assert one_to_one(0.1, 0.1001, rules).kind == "enlarging"
    assert one_to_one(0.1, 0.0999, rules).kind == "shrinking"


def test_classes_use_the_native_volumes_given_not_voxels_on_the_common_grid():
    # the same four voxels on the common grid in both sessions, but twice the native volume at follow-up
    assert one_to_one(0.1, 0.2).kind == "enlarging"


def test_new_and_vanished_lesions_are_reported_in_their_own_session():
    baseline, followup = grid(), grid()
    baseline[1, 1, 1] = 1  # gone at follow-up
    followup[8, 8, 2] = 1  # not there at baseline
    changes = match_lesions(baseline, followup, baseline_ml={1: 0.003}, followup_ml={1: 0.006})
    assert changes == [
        LesionChange(1, "vanished", (1,), (), 0.003, 0.0, -0.003, -100.0),
        LesionChange(2, "new", (), (1,), 0.0, 0.006, 0.006, None),
    ]


def test_empty_maps_give_no_changes():
    assert match_lesions(grid(), grid(), baseline_ml={}, followup_ml={}) == []
    assert match_lesions(grid(), grid(), baseline_ml={}, followup_ml={}, regions=grid()) == []


def test_an_empty_baseline_makes_every_followup_lesion_new():
    followup = grid()
    followup[1, 1, 1] = 2
    followup[5, 5, 1] = 1
    changes = match_lesions(grid(), followup, baseline_ml={}, followup_ml={1: 0.1, 2: 0.2})
    assert [(c.change_id, c.kind, c.followup_ids, c.followup_ml) for c in changes] == [
        (1, "new", (1,), 0.1),
        (2, "new", (2,), 0.2),
    ]


def test_an_empty_followup_makes_every_baseline_lesion_vanished():
    baseline = grid()
    baseline[1, 1, 1] = 1
    baseline[5, 5, 1] = 2
    changes = match_lesions(baseline, grid(), baseline_ml={1: 0.1, 2: 0.2}, followup_ml={})
    assert [(c.change_id, c.kind, c.baseline_ids, c.change_ml) for c in changes] == [
        (1, "vanished", (1,), -0.1),
        (2, "vanished", (2,), -0.2),
    ]


def chain(n_baseline: int, n_followup: int) -> tuple[np.ndarray, np.ndarray]:
    """Lesions two voxels long along one row, alternating between the sessions and overlapping their
    neighbours by one voxel (the session with more lesions starts at column 0, the other at column 1): one
    connected group in which most pairs do not touch. The numbers may differ by at most one."""
    baseline, followup = grid(), grid()
    start_baseline = 0 if n_baseline >= n_followup else 1
    for index in range(n_baseline):
        baseline[1, 2 * index + start_baseline : 2 * index + start_baseline + 2, 1] = index + 1
    for index in range(n_followup):
        followup[1, 2 * index + 1 - start_baseline : 2 * index + 3 - start_baseline, 1] = index + 1
    return baseline, followup


def crossing(n_baseline: int, n_followup: int) -> tuple[np.ndarray, np.ndarray]:
    """Baseline lesions along rows x = 0, 2, 4, ... and follow-up lesions along columns y = 0, 2, 4, ...: every
    baseline lesion crosses every follow-up lesion in one voxel."""
    baseline, followup = grid(), grid()
    for index in range(n_baseline):
        baseline[2 * index, : 2 * n_followup, 1] = index + 1
    for index in range(n_followup):
        followup[: 2 * n_baseline, 2 * index, 1] = index + 1
    return baseline, followup


@pytest.mark.parametrize(
    ("build", "n_baseline", "n_followup", "kind"),
    [
        (chain, 2, 2, "merged"),
        (chain, 3, 2, "merged"),
        (chain, 3, 3, "merged"),
        (chain, 2, 3, "split"),
        (crossing, 2, 2, "merged"),
        (crossing, 4, 2, "merged"),
        (crossing, 3, 3, "merged"),
        (crossing, 2, 3, "split"),
        (crossing, 2, 4, "split"),
    ],
)
def test_many_to_many_is_merged_unless_the_followup_has_more_lesions(build, n_baseline, n_followup, kind):
    baseline, followup = build(n_baseline, n_followup)
    baseline_ml = {i: 0.006 for i in range(1, n_baseline + 1)}
    followup_ml = {i: 0.006 for i in range(1, n_followup + 1)}
    (change,) = match_lesions(baseline, followup, baseline_ml=baseline_ml, followup_ml=followup_ml)
    assert change.kind == kind
    assert change.baseline_ids == tuple(range(1, n_baseline + 1))
    assert change.followup_ids == tuple(range(1, n_followup + 1))
    assert change.change_ml == pytest.approx(0.006 * (n_followup - n_baseline))


def test_lesions_sharing_fewer_voxels_than_the_minimum_are_not_matched():
    baseline, followup = grid(), grid()
    baseline[1, 1:3, 1] = 1
    followup[1, 2:4, 1] = 1  # one shared voxel
    volumes = {"baseline_ml": {1: 0.006}, "followup_ml": {1: 0.006}}
    assert [c.kind for c in match_lesions(baseline, followup, **volumes)] == ["stable"]
    unmatched = match_lesions(baseline, followup, **volumes, rules=ChangeRules(min_overlap_voxels=2))
    assert [(c.kind, c.baseline_ids, c.followup_ids) for c in unmatched] == [("vanished", (1,), ()), ("new", (), (1,))]


def test_change_ids_follow_the_smallest_baseline_id_then_the_smallest_followup_id():
    baseline, followup = grid(), grid()
    baseline[8, 8, 1] = 1  # matched with follow-up 1
    baseline[1, 1, 1] = 2  # matched with follow-up 3
    baseline[5, 5, 1] = 3  # vanished
    followup[8, 8, 1] = 1
    followup[1, 1, 1] = 3
    followup[3, 7, 1] = 2  # new
    followup[7, 3, 1] = 4  # new
    changes = match_lesions(
        baseline, followup, baseline_ml={1: 0.1, 2: 0.1, 3: 0.1}, followup_ml={1: 0.1, 2: 0.1, 3: 0.1, 4: 0.1}
    )
    assert [(c.change_id, c.baseline_ids, c.followup_ids) for c in changes] == [
        (1, (1,), (1,)),
        (2, (2,), (3,)),
        (3, (3,), ()),
        (4, (), (2,)),
        (5, (), (4,)),
    ]


def new_and_vanished() -> tuple[np.ndarray, np.ndarray, dict, dict]:
    baseline, followup = grid(), grid()
    baseline[1, 1:3, 1] = 1  # vanished
    baseline[5, 5, 1] = 2  # stable
    followup[5, 5, 1] = 1
    followup[8, 7:9, 2] = 2  # new
    return baseline, followup, {1: 0.006, 2: 0.003}, {1: 0.003, 2: 0.006}


def test_a_new_lesion_where_the_baseline_probability_came_close_is_uncertain():
    baseline, followup, baseline_ml, followup_ml = new_and_vanished()
    baseline_probability = np.zeros(SHAPE)
    baseline_probability[8, 8, 2] = 0.42  # under the new lesion
    baseline_probability[0, 0, 0] = 0.49  # elsewhere: does not count
    changes = match_lesions(
        baseline,
        followup,
        baseline_ml=baseline_ml,
        followup_ml=followup_ml,
        baseline_probability=baseline_probability,
        followup_probability=np.zeros(SHAPE),
    )
    assert [(c.kind, c.uncertain_reason) for c in changes] == [
        ("vanished", None),
        ("stable", None),
        ("uncertain", "baseline probability up to 0.42 where the new lesion is"),
    ]
    assert changes[2].followup_ids == (2,) and changes[2].change_ml == 0.006


def test_a_vanished_lesion_where_the_followup_probability_came_close_is_uncertain():
    baseline, followup, baseline_ml, followup_ml = new_and_vanished()
    followup_probability = np.zeros(SHAPE)
    followup_probability[1, 2, 1] = 0.3  # exactly the default threshold, under the vanished lesion
    followup_probability[5, 5, 1] = 0.9  # the stable lesion: never uncertain
    changes = match_lesions(
        baseline,
        followup,
        baseline_ml=baseline_ml,
        followup_ml=followup_ml,
        baseline_probability=np.full(SHAPE, 0.29),  # below the threshold under the new lesion
        followup_probability=followup_probability,
    )
    assert [(c.kind, c.uncertain_reason) for c in changes] == [
        ("uncertain", "follow-up probability up to 0.30 where the vanished lesion was"),
        ("stable", None),
        ("new", None),
    ]


def test_without_probabilities_no_lesion_is_uncertain():
    baseline, followup, baseline_ml, followup_ml = new_and_vanished()
    changes = match_lesions(baseline, followup, baseline_ml=baseline_ml, followup_ml=followup_ml)
    assert [c.kind for c in changes] == ["vanished", "stable", "new"]
    assert all(c.uncertain_reason is None for c in changes)


def test_change_map_labels_each_sessions_lesions_with_their_class():
    baseline, followup = chain(2, 1)  # merged: baseline 1, 2 -> follow-up 1
    baseline[8, 8, 3] = 3  # vanished
    followup[5, 5, 0] = 2  # new
    changes = match_lesions(baseline, followup, baseline_ml={1: 0.1, 2: 0.1, 3: 0.1}, followup_ml={1: 0.1, 2: 0.1})
    baseline_map = change_map(baseline, changes, side="baseline")
    followup_map = change_map(followup, changes, side="followup")
    assert baseline_map.dtype == np.uint8 and baseline_map.shape == SHAPE
    expected_baseline = np.where(baseline == 3, CHANGE_LABELS["vanished"], np.where(baseline > 0, 6, 0))
    expected_followup = np.where(followup == 2, CHANGE_LABELS["new"], np.where(followup > 0, 6, 0))
    np.testing.assert_array_equal(baseline_map, expected_baseline)
    np.testing.assert_array_equal(followup_map, expected_followup)
    assert set(np.unique(followup_map).tolist()) == {0, 4, 6}


def test_change_map_works_on_a_sessions_native_component_map_of_another_shape():
    baseline, followup, baseline_ml, followup_ml = new_and_vanished()
    changes = match_lesions(baseline, followup, baseline_ml=baseline_ml, followup_ml=followup_ml)
    native = np.zeros((3, 3, 2), dtype=np.uint16)
    native[0, 0, 0] = 1  # the stable lesion
    native[2, :, 1] = 2  # the new lesion
    expected = np.zeros((3, 3, 2), dtype=np.uint8)
    expected[0, 0, 0] = CHANGE_LABELS["stable"]
    expected[2, :, 1] = CHANGE_LABELS["new"]
    np.testing.assert_array_equal(change_map(native, changes, side="followup"), expected)


def test_change_map_refuses_a_component_in_no_change_and_an_unknown_side():
    baseline, followup, baseline_ml, followup_ml = new_and_vanished()
    changes = match_lesions(baseline, followup, baseline_ml=baseline_ml, followup_ml=followup_ml)
    followup[0, 9, 3] = 7
    with pytest.raises(ValueError, match=r"component id\(s\) \[7\]"):
        change_map(followup, changes, side="followup")
    with pytest.raises(ValueError, match=r"\[1, 2\]"):
        change_map(baseline, [], side="baseline")
    with pytest.raises(UsageError, match="`side` must be one of baseline, followup") as error:
        change_map(baseline, changes, side="follow-up")
    assert error.value.parameter == "side"


def test_change_map_of_an_empty_map_is_empty():
    assert not change_map(grid(), [], side="baseline").any()


def test_count_classes_lists_every_class_with_zeros():
    baseline, followup, baseline_ml, followup_ml = new_and_vanished()
    changes = match_lesions(baseline, followup, baseline_ml=baseline_ml, followup_ml=followup_ml)
    counts = count_classes(changes)
    assert list(counts) == list(CHANGE_CLASSES)
    assert counts == {**dict.fromkeys(CHANGE_CLASSES, 0), "vanished": 1, "stable": 1, "new": 1}
    assert count_classes([]) == dict.fromkeys(CHANGE_CLASSES, 0)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("min_change_ml", -0.1, "`min_change_ml` must be >= 0, got -0.1"),
        ("min_change_percent", -1.0, "`min_change_percent` must be >= 0, got -1.0"),
        ("min_change_percent", float("nan"), "`min_change_percent` must be >= 0, got nan"),
        ("min_overlap_voxels", 0, "`min_overlap_voxels` must be a whole number >= 1, got 0"),
        ("min_overlap_voxels", 1.5, "`min_overlap_voxels` must be a whole number >= 1, got 1.5"),
        ("uncertain_probability", 0.0, "`uncertain_probability` must be between 0 and 0.5 (exclusive), got 0.0"),
        ("uncertain_probability", 0.5, "`uncertain_probability` must be between 0 and 0.5 (exclusive), got 0.5"),
    ],
)
def test_rules_out_of_range_are_refused_naming_the_field(field, value, message):
    rules = dataclasses.replace(ChangeRules(), **{field: value})
    with pytest.raises(UsageError) as error:
        rules.check()
    assert str(error.value) == message
    assert error.value.parameter == field
    with pytest.raises(UsageError, match=field):
        match_lesions(grid(), grid(), baseline_ml={}, followup_ml={}, rules=rules)


def test_the_default_rules_pass_their_check():
    ChangeRules().check()
    assert ChangeRules() == ChangeRules(0.01, 25.0, 1, 0.3)


def test_a_component_without_a_volume_is_a_caller_error():
    baseline, followup, _, followup_ml = new_and_vanished()
    with pytest.raises(ValueError, match=r"`baseline_ml` lacks the volume of component id\(s\) 2"):
        match_lesions(baseline, followup, baseline_ml={1: 0.006}, followup_ml=followup_ml)


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"followup": np.zeros((10, 10, 3), dtype=np.int32)}, r"`followup` \(10, 10, 3\)"),
        ({"regions": np.zeros((10, 10, 3), dtype=np.int32)}, r"`regions` \(10, 10, 3\)"),
        ({"baseline": np.zeros(SHAPE)}, "`baseline` must be an integer component map"),
        ({"baseline_probability": np.zeros(SHAPE)}, "give both"),
        (
            {"baseline_probability": np.zeros(SHAPE), "followup_probability": np.full(SHAPE, 1.5)},
            "`followup_probability` must hold probabilities in 0..1",
        ),
    ],
)
def test_maps_off_the_common_grid_or_of_the_wrong_kind_are_caller_errors(keywords, message):
    arguments = {"baseline": grid(), "followup": grid(), "baseline_ml": {}, "followup_ml": {}, **keywords}
    with pytest.raises(ValueError, match=message):
        match_lesions(**arguments)


def test_a_large_pair_with_two_hundred_lesions_is_matched_lesion_by_lesion():
    """512 × 512 × 16 grid, 200 baseline lesions of 3 × 3 × 2 voxels on a 20 × 10 lattice. By index k:
    k % 5 == 0 vanishes, 1 doubles its volume, 2 halves it, 3 and 4 keep it; pairs (k, k + 1) with k % 50 == 3
    merge (a bridge joins them); 10 new lesions appear between the lattice points. Follow-up ids run backwards."""
    shape = (512, 512, 16)
    baseline, followup = np.zeros(shape, dtype=np.int32), np.zeros(shape, dtype=np.int32)
    corners = [(25 * (k // 10) + 5, 50 * (k % 10) + 5) for k in range(200)]
    followup_of = {k: 1000 - k for k in range(200) if k % 5}  # k % 5 == 0 vanish
    for k, (x, y) in enumerate(corners):
        baseline[x : x + 3, y : y + 3, 4:6] = k + 1
        if k in followup_of:
            followup[x : x + 3, y : y + 3, 4:6] = followup_of[k]
    merging = [k for k in range(200) if k % 50 == 3]  # 3, 53, 103, 153 merge with 4, 54, 104, 154
    for k in merging:
        (x, y), (_, y_next) = corners[k], corners[k + 1]
        followup[x : x + 3, y : y_next + 3, 4:6] = followup_of[k]  # one lesion over both and the gap
        del followup_of[k + 1]
    new_ids = [2000 + n for n in range(10)]
    for n, new_id in enumerate(new_ids):
        followup[25 * n + 17, 30, 10] = new_id
    baseline_ml = {k + 1: 0.036 for k in range(200)}  # 3 * 3 * 2 voxels of 2 mm³
    factor = {1: 2.0, 2: 0.5, 3: 1.0, 4: 1.0}
    followup_ml = {fid: 0.036 * factor[k % 5] for k, fid in followup_of.items()} | dict.fromkeys(new_ids, 0.003)
    for k in merging:
        followup_ml[followup_of[k]] = 0.072 + 0.01  # both lesions and the bridge
    changes = match_lesions(baseline, followup, baseline_ml=baseline_ml, followup_ml=followup_ml)

    expected = []
    for k in range(200):
        if k - 1 in merging:
            continue
        if k in merging:
            expected.append(("merged", (k + 1, k + 2), (followup_of[k],)))
        elif k % 5 == 0:
            expected.append(("vanished", (k + 1,), ()))
        else:
            kind = {1: "enlarging", 2: "shrinking", 3: "stable", 4: "stable"}[k % 5]
            expected.append((kind, (k + 1,), (followup_of[k],)))
    expected += [("new", (), (new_id,)) for new_id in new_ids]
    assert [(c.kind, c.baseline_ids, c.followup_ids) for c in changes] == expected
    assert [c.change_id for c in changes] == list(range(1, len(expected) + 1))
    merged = next(c for c in changes if c.kind == "merged")
    assert merged.baseline_ml == pytest.approx(0.072) and merged.followup_ml == pytest.approx(0.082)
    assert count_classes(changes) == {
        "stable": 80 - 2 * 4,  # four stable pairs merged instead
        "enlarging": 40,
        "shrinking": 40,
        "new": 10,
        "vanished": 40,
        "merged": 4,
        "split": 0,
        "uncertain": 0,
    }
