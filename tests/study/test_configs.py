"""Which configurations a study runs, and what each needs."""

import pytest

from nnunet_wmh.errors import UsageError
from nnunet_wmh.study.configs import CONFIGS, select_configs


def _names(configs):
    return [c.name for c in configs]


def test_default_is_every_configuration_the_inputs_allow():
    lesion = ["flair", "t1", "flair_t1", "interchangeable", "interchangeable_dropout"]
    assert _names(select_configs(None, has_regions=False, has_atlas=False)) == lesion
    assert _names(select_configs(None, has_regions=True, has_atlas=False)) == [*lesion, "multitask_joint",
                                                                              "multitask_separate"]  # fmt: skip
    assert _names(select_configs([], has_regions=True, has_atlas=True))[-1] == "separate_models"


def test_chosen_configurations_keep_the_study_order():
    assert _names(select_configs(["interchangeable_dropout", "flair"], has_regions=False, has_atlas=False)) == [
        "flair", "interchangeable_dropout"]  # fmt: skip


@pytest.mark.parametrize(
    ("names", "has_regions", "has_atlas", "message"),
    [
        (["flair", "bogus"], False, False, r"unknown `configs` \['bogus'\]"),
        (["multitask_joint"], False, False, "need region maps"),
        (["flair", "separate_models"], True, False, "separate_models needs an atlas"),
        (["separate_models"], True, True, "needs a lesion configuration"),
    ],
)
def test_configurations_the_inputs_cannot_serve_are_refused_saying_why(names, has_regions, has_atlas, message):
    with pytest.raises(UsageError, match=message) as raised:
        select_configs(names, has_regions=has_regions, has_atlas=has_atlas)
    assert raised.value.parameter == "configs"


def test_each_configuration_has_its_dataset_index_variants_and_trainer_family():
    assert [c.index for c in CONFIGS.values()] == list(range(8))
    assert CONFIGS["interchangeable_dropout"].convert == {"mode": "interchangeable", "train_variants": ("paired",)}
    assert CONFIGS["interchangeable"].variants == ("paired", "flair_only", "t1_only")
    assert CONFIGS["flair"].variants == ("flair_only",)
    assert CONFIGS["multitask_separate"].decode and CONFIGS["multitask_separate"].family == "multitask"
    assert not CONFIGS["separate_models"].trained
