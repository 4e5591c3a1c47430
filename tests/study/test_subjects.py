"""How many training subjects a configuration needs, counted per configuration and per participant."""

from nnunet_wmh.dataset_conversion.options import ConvertOptions
from nnunet_wmh.study.subjects import ConfigSubjects, config_subjects, subject_shortfalls, training_subjects_needed


def test_one_training_subject_falls_short_of_two_and_says_why():
    assert subject_shortfalls(ConfigSubjects(train=1, test=3), folds=[0]) == [
        "1 training subject(s) have its inputs; it needs at least 2 (one to train on and one to validate on: with "
        "one, convert writes no splits_final.json and nnU-Net's own 5-fold split of the cases fails below 5 cases)"
    ]
    assert subject_shortfalls(ConfigSubjects(train=2, test=3), folds=[0]) == []


def test_fold_f_needs_f_plus_one_participants_because_convert_deals_only_that_many_folds():
    assert training_subjects_needed([0])[0] == 2 and training_subjects_needed([1])[0] == 2
    assert training_subjects_needed([0, 3])[0] == 4
    assert subject_shortfalls(ConfigSubjects(train=4, test=1), folds=[0, 3]) == []
    (problem,) = subject_shortfalls(ConfigSubjects(train=3, test=1), folds=[0, 3])
    assert problem.startswith("3 training subject(s) have its inputs; it needs at least 4 (fold 3 exists only with 4")
    assert "random 80:20 split of the cases" in problem


def test_sessions_of_one_participant_count_once():
    (problem,) = subject_shortfalls(ConfigSubjects(train=2, test=1, train_participants=1), folds=[0])
    assert problem.startswith("2 training subject(s) of 1 participant(s) have its inputs; it needs at least 2")


def test_subjects_left_out_and_a_missing_test_split_are_both_reported():
    subjects = ConfigSubjects(train=1, test=0, excluded=(("Utrecht/0", "no T1 image"),))
    problems = subject_shortfalls(subjects, folds=[0])
    assert problems[0].startswith("1 training subject(s) have its inputs (1 left out (no T1 image)); it needs at")
    assert problems[1] == "no test subject has its inputs (1 left out (no T1 image))"


def test_participants_are_counted_from_a_manifest_with_sessions(small_cohort_template, tmp_path):
    flair = sorted(small_cohort_template.glob("training/*/*/pre/FLAIR.nii.gz"))  # Utrecht/0, Singapore/1, ...
    rows = ["subject\tsession\tflair\tlesion\tsplit"]
    for session, image in zip(("a", "b"), flair[:2], strict=True):  # one participant, two sessions
        rows.append(f"p1\t{session}\t{image}\t{image.parent.parent / 'wmh.nii.gz'}\ttrain")
    rows.append(f"p2\t\t{flair[2]}\t{flair[2].parent.parent / 'wmh.nii.gz'}\ttest")
    manifest = tmp_path / "cohort.tsv"
    manifest.write_text("\n".join(rows) + "\n")
    subjects = config_subjects(manifest, ConvertOptions(mode="flair", dataset_id=800))
    assert (subjects.train, subjects.participants, subjects.test) == (2, 1, 1)
