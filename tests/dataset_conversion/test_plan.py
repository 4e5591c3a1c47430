"""From subjects to a checked plan: what to check, the validation of all subjects, cases and folds."""

import pytest

from nnunet_wmh.cohorts import read_source
from nnunet_wmh.dataset_conversion.modes import parse_mode
from nnunet_wmh.dataset_conversion.plan import (
    make_target,
    plan_splits,
    region_index,
    subject_checks,
    subject_jobs,
    validate_subjects,
)
from nnunet_wmh.errors import InvalidInputsError


def test_test_subjects_without_labels_are_checked_without_them(small_cohort):
    subjects = [*read_source(small_cohort).train, *read_source(small_cohort).test]
    (small_cohort / "test/Utrecht/6/wmh.nii.gz").unlink()
    subjects = [*read_source(small_cohort).train, *read_source(small_cohort).test]
    problems = []
    checks = {c.subject.key: c for c in subject_checks(subjects, parse_mode("flair"), problems)}
    assert problems == []
    assert checks["Utrecht/0"].require_lesion and not checks["Utrecht/6"].read_lesion
    assert checks["Utrecht/0"].modalities == ("flair",)


def test_validation_lists_every_problem_and_plans_cases_numbered_training_first(small_cohort):
    contents = read_source(small_cohort)
    spec = parse_mode("multitask")
    reports, skipped = validate_subjects([*contents.train, *contents.test], spec, [], jobs=1, progress=False,
                                         skip_invalid=False)  # fmt: skip
    assert skipped == []
    regions, info = region_index(reports, contents.region_table, spec)
    assert regions.count == 16 and info["region_table"].endswith("regions.tsv")
    jobs = subject_jobs(reports, spec, make_target(spec, "ignore", regions), "wmh")
    assert [j.cases[0].case_id for j in jobs][:2] == ["wmh_0001", "wmh_0002"]
    assert [j.subject.split for j in jobs] == ["train"] * 6 + ["test"] * 5
    fold_of, splits = plan_splits([j for j in jobs if j.subject.split == "train"], folds=3, seed=1)
    assert sorted(fold_of.values()) == [0, 0, 1, 1, 2, 2] and len(splits) == 3
    (small_cohort / "training/Utrecht/0/wmh.nii.gz").write_bytes(b"broken")
    (small_cohort / "training/Singapore/1/regions.nii.gz").unlink()
    with pytest.raises(InvalidInputsError) as raised:
        validate_subjects(read_source(small_cohort).train, spec, [], jobs=1, progress=False, skip_invalid=False)
    assert [p.subject for p in raised.value.problems] == ["Singapore/1", "Utrecht/0"]
