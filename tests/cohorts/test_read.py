"""Reading a cohort: which layout a source is, and the options each layout takes."""

import pytest

from nnunet_wmh.cohorts.read import LAYOUTS, detect_layout, read_source
from nnunet_wmh.errors import SourceLayoutError, UsageError


def test_detects_each_layout(small_cohort_template, bids_cohort_template, tmp_path):
    manifest = tmp_path / "cohort.csv"
    manifest.write_text("subject,flair\n")
    assert detect_layout(small_cohort_template) == "wmh2017"
    assert detect_layout(small_cohort_template / "training") == "wmh2017"
    assert detect_layout(bids_cohort_template) == "bids"
    assert detect_layout(manifest) == "manifest"


def test_unknown_layout_says_what_was_looked_for(tmp_path):
    (tmp_path / "random").mkdir()
    with pytest.raises(SourceLayoutError, match="give its `layout`"):
        detect_layout(tmp_path / "random")


def test_layout_specific_options_are_refused_elsewhere(small_cohort_template, bids_cohort_template):
    with pytest.raises(UsageError, match="`derivatives` applies to BIDS"):
        read_source(small_cohort_template, derivatives=bids_cohort_template / "derivatives")
    with pytest.raises(UsageError, match="`images` applies to the WMH 2017 layout"):
        read_source(bids_cohort_template, images="orig")


def test_an_unknown_layout_name_is_a_usage_error(small_cohort_template):
    with pytest.raises(UsageError, match=r"unknown `layout` 'xnat'; choose from wmh2017, bids, manifest"):
        read_source(small_cohort_template, layout="xnat")
    assert LAYOUTS == ("wmh2017", "bids", "manifest")
