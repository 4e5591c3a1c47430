"""SegmentOptions: values checked before anything runs."""

from __future__ import annotations

import pytest

from nnunet_wmh.errors import UsageError
from nnunet_wmh.report.options import ReportOptions
from nnunet_wmh.segment.options import SegmentOptions


def test_defaults_are_valid_and_use_the_builtin_atlas():
    options = SegmentOptions()
    options.check()
    assert not options.has_atlas and options.mirroring and options.report == ReportOptions()


def test_what_report_json_records_keeps_its_fields_in_order_with_the_device():
    recorded = SegmentOptions(folds=("0",)).recorded("cpu")
    assert list(recorded)[:4] == ["folds", "checkpoint", "device", "mirroring"] and recorded["device"] == "cpu"
    assert "connectivity" not in recorded  # the report's own options are recorded as the report's


@pytest.mark.parametrize(
    ("options", "parameter"),
    [
        (SegmentOptions(atlas_image="t.nii.gz"), "atlas_labels"),
        (SegmentOptions(atlas_image="t.nii.gz", atlas_labels="l.nii.gz"), "region_table"),
        (SegmentOptions(connectivity=4), "connectivity"),
        (SegmentOptions(transform="warp"), "transform"),
        (SegmentOptions(folds=("zero",)), "folds"),
        (SegmentOptions(folds=()), "folds"),
    ],
)
def test_a_bad_value_names_its_field(options, parameter):
    with pytest.raises(UsageError) as raised:
        options.check()
    assert raised.value.parameter == parameter
