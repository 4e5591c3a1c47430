from collections import Counter

from nnunet_wmh.dataset_conversion.splits import assign_folds, splits_final


def test_each_site_is_spread_evenly_over_folds():
    groups = {f"{site}/{i}": site for site in ("Utrecht", "Singapore", "GE3T") for i in range(20)}
    fold_of = assign_folds(groups, folds=5, seed=12345)
    for site in ("Utrecht", "Singapore", "GE3T"):
        assert Counter(f for g, f in fold_of.items() if groups[g] == site) == {f: 4 for f in range(5)}


def test_fold_sizes_differ_by_at_most_one_across_uneven_sites():
    groups = {**{f"a{i}": "A" for i in range(3)}, **{f"b{i}": "B" for i in range(4)}}
    sizes = Counter(assign_folds(groups, folds=5).values())
    assert sorted(sizes.values()) == [1, 1, 1, 2, 2]


def test_assignment_is_deterministic_for_a_seed_and_changes_with_it():
    groups = {f"s{i}": "A" for i in range(20)}
    assert assign_folds(groups, seed=1) == assign_folds(groups, seed=1)
    assert assign_folds(groups, seed=1) != assign_folds(groups, seed=2)


def test_cases_of_one_group_share_a_fold_and_every_case_is_validated_once():
    fold_of = {"s1": 0, "s2": 1}
    cases = [("c1_paired", "s1"), ("c1_flair", "s1"), ("c2_paired", "s2"), ("c2_t1", "s2")]
    splits = splits_final(cases, fold_of, 2)
    assert splits == [
        {"train": ["c2_paired", "c2_t1"], "val": ["c1_flair", "c1_paired"]},
        {"train": ["c1_flair", "c1_paired"], "val": ["c2_paired", "c2_t1"]},
    ]
