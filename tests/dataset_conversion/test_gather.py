"""The subjects a conversion starts from: training first, a second cohort as test subjects."""

import pytest

from nnunet_wmh.dataset_conversion.gather import gather_subjects
from nnunet_wmh.dataset_conversion.options import ConvertOptions
from nnunet_wmh.errors import SourceLayoutError
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
