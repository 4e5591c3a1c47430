"""The subjects a conversion starts from: training first, a second cohort as test subjects."""

import json

import pytest

from nnunet_wmh.dataset_conversion.convert import convert_dataset
from nnunet_wmh.dataset_conversion.gather import gather_subjects
from nnunet_wmh.dataset_conversion.options import ConvertOptions
from nnunet_wmh.errors import SourceLayoutError, UsageError
from nnunet_wmh.tsv import read_tsv
from tests.helpers.images import make_wmh2017_subject


def test_a_second_cohort_becomes_test_subjects_with_a_test_prefix(small_cohort_template, bids_cohort_template):
    options = ConvertOptions("interchangeable", 1, test_source=bids_cohort_template, drop_modality="t1")
    gathered = gather_subjects(small_cohort_template, options)
    keys = [s.key for s in gathered.subjects]
    assert keys[:6] == ["Amsterdam/GE3T/2", "Amsterdam/GE3T/5", "Singapore/1", "Singapore/4", "Utrecht/0", "Utrecht/3"]
    assert keys[6] == "test/sub-001/ses-01" and len(keys) == 6 + 8
    test = [s for s in gathered.subjects if s.split == "test"]
    assert all(s.t1 is None and s.flair is not None for s in test)
    assert gathered.test_contents.layout == "bids"


def test_a_source_without_training_subjects_is_refused(tmp_path):
    make_wmh2017_subject(tmp_path / "test", "Utrecht", "0")
    with pytest.raises(SourceLayoutError, match="no training subjects found"):
        gather_subjects(tmp_path, ConvertOptions("flair", 1))


def test_excluded_subjects_are_left_out_and_recorded(small_cohort, tmp_path):
    (small_cohort / "training/Utrecht/0/pre/T1.nii.gz").unlink()  # flair_t1 cannot use this subject
    out = tmp_path / "raw"
    result = convert_dataset(small_cohort, mode="flair_t1", dataset_id=951, out=str(out), exclude=("Utrecht/0",))
    table = read_tsv(result.dataset_dir / "conversion.tsv")
    assert "0" not in {row["subject"] for row in table} and len({row["subject"] for row in table}) == 10
    block = json.loads((result.dataset_dir / "dataset.json").read_text())["nnunet_wmh"]
    assert block["options"]["exclude"] == ["Utrecht/0"]
    unexcluded = convert_dataset(small_cohort, mode="flair", dataset_id=952, out=str(out))
    assert "exclude" not in json.loads((unexcluded.dataset_dir / "dataset.json").read_text())["nnunet_wmh"]["options"]


def test_an_unknown_key_is_refused_with_the_keys_that_exist(small_cohort, tmp_path):
    with pytest.raises(UsageError, match=r"`exclude` Utrecht/99: no such subject \(keys look like "):
        convert_dataset(small_cohort, mode="flair", dataset_id=953, out=str(tmp_path / "raw"), exclude=("Utrecht/99",))
    assert not (tmp_path / "raw" / "Dataset953_WMH_flair").exists()
