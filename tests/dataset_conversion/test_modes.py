"""Modes: an input plan plus a label target."""

import pytest

from nnunet_wmh.dataset_conversion.modes import MODES, parse_mode
from nnunet_wmh.errors import UsageError


def test_each_mode_has_its_target_and_inputs():
    kinds = {mode: parse_mode(mode).target_kind for mode in MODES}
    assert kinds == {"flair": "lesion", "t1": "lesion", "flair_t1": "lesion", "interchangeable": "lesion",
                     "multitask": "joint", "regions": "regions"}  # fmt: skip
    assert parse_mode("multitask", encoding="separate").target_kind == "separate"
    assert parse_mode("regions", inputs="flair").inputs.channel_names() == {"0": "FLAIR"}
    assert parse_mode("multitask").inputs.channel_names() == {"0": "FLAIR", "1": "T1"}


def test_an_unknown_encoding_is_refused():
    with pytest.raises(UsageError, match="unknown `encoding` 'both'"):
        parse_mode("multitask", encoding="both")
