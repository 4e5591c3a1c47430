"""SegmentOptions: values checked before anything runs."""

from __future__ import annotations

import pytest

from nnunet_wmh.errors import UsageError
from nnunet_wmh.segment.options import SegmentOptions


def test_defaults_are_valid_and_use_the_builtin_atlas():
    options = SegmentOptions()
    options.check()
    assert not options.has_atlas and options.mirroring and options.device == "auto"


@pytest.mark.parametrize(
    ("options", "parameter"),
    [
        (SegmentOptions(atlas_image="t.nii.gz"), "atlas_image"),
        (SegmentOptions(device="tpu"), "device"),
        (SegmentOptions(transform="warp"), "transform"),
        (SegmentOptions(folds=("zero",)), "folds"),
        (SegmentOptions(folds=()), "folds"),
    ],
)
def test_a_bad_value_names_its_field(options, parameter):
    with pytest.raises(UsageError) as raised:
        options.check()
    assert raised.value.parameter == parameter
