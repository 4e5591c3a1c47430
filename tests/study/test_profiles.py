"""Profiles and trainer choices."""

import pytest
from nnunetv2.utilities.find_objects import recursive_find_trainer_class_by_name

from nnunet_wmh.errors import UsageError
from nnunet_wmh.study.configs import CONFIGS
from nnunet_wmh.study.profiles import PROFILES, check_profile, parse_trainers, trainer_for
from nnunet_wmh.trainers import trainers_path


def test_profiles_pick_configuration_and_a_trainer_per_family():
    assert check_profile("quick", None)[1] == "2d"
    assert check_profile("gpu", None)[1] == "3d_fullres"
    assert check_profile("gpu", "2d")[1] == "2d"
    quick = PROFILES["quick"]
    assert trainer_for(CONFIGS["flair"], quick, {}) == "nnUNetTrainer_wmhQuick"
    assert trainer_for(CONFIGS["interchangeable_dropout"], quick, {}) == "nnUNetTrainerModalityDropout_wmhQuick"
    assert trainer_for(CONFIGS["multitask_separate"], PROFILES["gpu"], {}) == (
        "nnUNetTrainerMultiTaskLesionWeighted_250epochs")  # fmt: skip


def test_stock_and_per_configuration_overrides():
    overrides = parse_trainers(["stock", "flair=MyTrainer"])
    assert trainer_for(CONFIGS["flair"], PROFILES["quick"], overrides) == "MyTrainer"
    assert trainer_for(CONFIGS["t1"], PROFILES["quick"], overrides) == "nnUNetTrainer"
    assert trainer_for(CONFIGS["interchangeable_dropout"], PROFILES["quick"], overrides) == (
        "nnUNetTrainerModalityDropout")  # fmt: skip


@pytest.mark.parametrize("value", ["fast", "separate_models=X", "flair=", "nope=X"])
def test_bad_trainer_choices_are_refused(value):
    with pytest.raises(UsageError, match="use stock or CONFIG=TRAINER"):
        parse_trainers([value])


def test_unknown_profile_and_configuration():
    with pytest.raises(UsageError, match="unknown `profile` 'fast'"):
        check_profile("fast", None)
    with pytest.raises(UsageError, match="unknown `configuration` '3d_lowres'"):
        check_profile("quick", "3d_lowres")


def test_every_profile_trainer_is_found_by_nnunet(monkeypatch):
    monkeypatch.setenv("nnUNet_extTrainer", str(trainers_path()))
    for profile in PROFILES.values():
        for trainer in profile.trainers.values():
            assert recursive_find_trainer_class_by_name(trainer).__name__ == trainer
