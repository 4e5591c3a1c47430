"""Input plans: which image goes into which channel, for each case a subject yields."""

import pytest

from nnunet_wmh.cohorts.subject import Subject
from nnunet_wmh.dataset_conversion.inputs import ChannelSet, MissingModalityError, make_input_plan
from nnunet_wmh.errors import UsageError


def _subject(tmp_path, *modalities):
    return Subject("0", None, "", tmp_path, "0", "0", **{m: tmp_path / f"{m}.nii.gz" for m in modalities})


def test_interchangeable_inputs_duplicate_each_modality_into_both_channels(tmp_path):
    plan = make_input_plan("interchangeable")
    assert plan.channel_sets(_subject(tmp_path, "flair", "t1")) == [
        ChannelSet("paired", ("flair", "t1")),
        ChannelSet("flair_only", ("flair", "flair")),
        ChannelSet("t1_only", ("t1", "t1")),
    ]
    assert plan.channel_sets(_subject(tmp_path, "t1")) == [ChannelSet("t1_only", ("t1", "t1"))]


def test_zero_fill_and_one_channel_variants(tmp_path):
    zero = make_input_plan("interchangeable", fill_missing="zero")
    assert zero.channel_sets(_subject(tmp_path, "flair")) == [ChannelSet("flair_only", ("flair", "zero"))]
    single = make_input_plan("interchangeable", channels=1)
    assert single.channel_names() == {"0": "FLAIR_or_T1"}
    assert [c.channels for c in single.channel_sets(_subject(tmp_path, "flair", "t1"))] == [("flair",), ("t1",)]


def test_fixed_inputs_name_the_missing_modality(tmp_path):
    with pytest.raises(MissingModalityError, match=r"no T1 image \(inputs flair_t1 need FLAIR and T1\)") as raised:
        make_input_plan("flair_t1").channel_sets(_subject(tmp_path, "flair"))
    assert raised.value.modality == "t1"
    assert make_input_plan("t1").describe() == {"inputs": "t1", "channels": 1}


def test_train_variants_apply_to_training_subjects_and_variants_to_test_subjects(tmp_path):
    plan = make_input_plan("interchangeable", train_variants=["paired"])
    train = _subject(tmp_path, "flair", "t1")
    test = Subject("1", None, "", tmp_path, "1", "1", flair=train.flair, t1=train.t1, split="test")
    assert plan.channel_sets(train) == [ChannelSet("paired", ("flair", "t1"))]
    assert [c.variant for c in plan.channel_sets(test)] == ["paired", "flair_only", "t1_only"]
    assert plan.describe()["train_variants"] == ["paired"]
    assert "train_variants" not in make_input_plan("interchangeable").describe()
    with pytest.raises(UsageError, match="`train_variants` applies to interchangeable inputs only"):
        make_input_plan("flair_t1", train_variants=["paired"])
    with pytest.raises(UsageError, match=r"unknown `train_variants` 'both'"):
        make_input_plan("interchangeable", train_variants=["both"])
