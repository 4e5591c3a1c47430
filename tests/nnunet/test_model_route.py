"""The route of a model: what its dataset.json says it takes and gives."""

from __future__ import annotations

import pytest

from nnunet_wmh.errors import UsageError
from nnunet_wmh.nnunet.model_route import model_route
from tests.helpers.predictions import separate_dataset_json

LESION_LABELS = {"background": 0, "wmh": 1, "ignore": 2}


def _block(**block) -> dict:
    return {"channel_names": {"0": "FLAIR", "1": "T1"}, "labels": LESION_LABELS, "nnunet_wmh": block}


def test_an_interchangeable_model_of_convert_takes_its_fill_rule_from_the_block():
    route = model_route(_block(inputs="interchangeable", channels=2, fill_missing="zero", encoding="lesion"))
    assert (route.inputs, route.channels, route.fill_missing, route.lesion_label) == ("interchangeable", 2, "zero", 1)
    assert route.described_by == "nnunet_wmh" and not route.has_regions


def test_a_multitask_model_has_regions():
    dataset_json = separate_dataset_json()
    dataset_json["nnunet_wmh"].update(inputs="flair_t1", channels=2)
    route = model_route({**dataset_json, "channel_names": {"0": "FLAIR", "1": "T1"}})
    assert route.has_regions and route.modalities == ("flair", "t1")


def test_a_regions_only_model_is_refused():
    with pytest.raises(UsageError, match="regions only"):
        model_route(_block(inputs="flair_t1", encoding="regions"))


def test_a_model_without_the_block_is_read_by_its_channel_names_in_their_order():
    route = model_route({"channel_names": {"0": "T1w", "1": "FLAIR"}, "labels": {"background": 0, "WMH": 1}})
    assert route.modalities == ("t1", "flair") and route.described_by == "channel names"
    assert route.lesion_label == 1


def test_the_lesion_label_of_a_foreign_model_is_the_one_named_like_a_lesion():
    labels = {"background": 0, "other": 1, "white_matter_lesion": 2}
    assert model_route({"channel_names": {"0": "FLAIR"}, "labels": labels}).lesion_label == 2


def test_an_unknown_channel_name_is_named_in_the_error():
    with pytest.raises(UsageError, match="'DWI' is none of FLAIR, T1, T2, PD, T2star, SWI"):
        model_route({"channel_names": {"0": "FLAIR", "1": "DWI"}, "labels": LESION_LABELS})


def test_one_channel_flair_or_t1_is_a_one_channel_interchangeable_model():
    route = model_route({"channel_names": {"0": "FLAIR_or_T1"}, "labels": LESION_LABELS})
    assert (route.inputs, route.channels) == ("interchangeable", 1)


def test_a_model_over_other_modalities_reads_them_from_its_block_or_its_channel_names():
    block = {"inputs": "interchangeable", "encoding": "lesion", "channels": 3, "fill_missing": "duplicate",
             "modalities": ["flair", "t1", "t2"], "fill_order": ["t2", "flair", "t1"]}  # fmt: skip
    labels = {"background": 0, "wmh": 1, "ignore": 2}
    three = {"channel_names": {"0": "FLAIR", "1": "T1", "2": "T2"}, "labels": labels, "nnunet_wmh": block}
    route = model_route(three)
    assert (route.modalities, route.fill_order, route.reads) == (("flair", "t1", "t2"), ("t2", "flair", "t1"),
                                                                 ("flair", "t1", "t2"))  # fmt: skip
    two = {"channel_names": {"0": "FLAIR", "1": "T2"}, "nnunet_wmh": {"inputs": "flair,t2", "encoding": "lesion"}}
    fixed = model_route({**three, **two})
    assert (fixed.inputs, fixed.modalities) == ("flair,t2", ("flair", "t2"))
    named = model_route({"channel_names": {"0": "T2w", "1": "FLAIR", "2": "PD"}, "labels": labels})
    assert (named.inputs, named.modalities, named.described_by) == ("t2,flair,pd", ("t2", "flair", "pd"),
                                                                     "channel names")  # fmt: skip
    legacy = model_route({"channel_names": {"0": "T1", "1": "FLAIR"}, "labels": labels})
    assert legacy.inputs == "t1_flair" and legacy.reads == ("flair", "t1")


def test_an_interchangeable_block_without_channels_takes_one_channel_per_channel_name():
    block = {"inputs": "interchangeable", "encoding": "lesion"}
    route = model_route({"channel_names": {"0": "FLAIR_or_T1"}, "labels": LESION_LABELS, "nnunet_wmh": block})
    assert (route.channels, route.fill_missing, route.modalities) == (1, "duplicate", ("flair", "t1"))


def test_a_region_based_label_map_is_read_as_lists_of_labels():
    dataset_json = separate_dataset_json()
    assert any(isinstance(value, (list, tuple)) for value in dataset_json["labels"].values())
    dataset_json["nnunet_wmh"].update(inputs="flair", channels=1)
    route = model_route({**dataset_json, "channel_names": {"0": "FLAIR"}}, "Dataset123_WMH/dataset.json")
    assert route.encoding == "separate" and route.modalities == ("flair",)


def test_the_error_names_the_file_it_was_given():
    with pytest.raises(UsageError, match=r"^`model` models/dataset.json: expected label background with value 0"):
        model_route({"channel_names": {"0": "FLAIR"}, "labels": {"wmh": 1}}, "models/dataset.json")
