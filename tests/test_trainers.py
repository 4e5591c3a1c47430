""""""

import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest
from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer

from nnunet_wmh.trainers import nnunet_wmh_modality_dropout, nnunet_wmh_multitask, nnunet_wmh_schedules, trainers_path

TRAINERS = sorted(
    (name, cls)
    for module in (nnunet_wmh_modality_dropout, nnunet_wmh_multitask, nnunet_wmh_schedules)
    for name, cls in vars(module).items()
    if inspect.isclass(cls) and issubclass(cls, nnUNetTrainer) and cls.__module__ == module.__name__
)


def test_every_trainer_is_listed():
    assert [name for name, _ in TRAINERS] == [
        "nnUNetTrainerModalityDropout",
        "nnUNetTrainerModalityDropoutZero",
        "nnUNetTrainerModalityDropoutZero_250epochs",
        "nnUNetTrainerModalityDropout_100epochs",
        "nnUNetTrainerModalityDropout_250epochs",
        "nnUNetTrainerModalityDropout_demo",
        "nnUNetTrainerModalityDropout_demoQuick",
        "nnUNetTrainerModalityDropout_p025",
        "nnUNetTrainerModalityDropout_p075",
        "nnUNetTrainerModalityDropout_wmhCpu",
        "nnUNetTrainerModalityDropout_wmhQuick",
        "nnUNetTrainerMultiTaskJoint",
        "nnUNetTrainerMultiTaskJoint_250epochs",
        "nnUNetTrainerMultiTaskJoint_wmhCpu",
        "nnUNetTrainerMultiTaskJoint_wmhQuick",
        "nnUNetTrainerMultiTaskLesionWeighted",
        "nnUNetTrainerMultiTaskLesionWeightedModalityDropout",
        "nnUNetTrainerMultiTaskLesionWeightedModalityDropout_250epochs",
        "nnUNetTrainerMultiTaskLesionWeighted_250epochs",
        "nnUNetTrainerMultiTaskLesionWeighted_wmhCpu",
        "nnUNetTrainerMultiTaskLesionWeighted_wmhQuick",
        "nnUNetTrainer_wmhCpu",
        "nnUNetTrainer_wmhQuick",
    ]


@pytest.mark.parametrize(("name", "trainer"), TRAINERS)
def test_init_signature_equals_the_installed_nnunet(name, trainer):
    assert inspect.signature(trainer.__init__) == inspect.signature(nnUNetTrainer.__init__)


def test_trainers_path_command_prints_the_folder_nnunet_searches():
    printed = subprocess.run([sys.executable, "-m", "nnunet_wmh.cli", "trainers-path"], capture_output=True,
                             text=True, check=True).stdout.strip()  # fmt: skip
    assert Path(printed) == trainers_path()
    assert sorted(p.name for p in trainers_path().glob("*.py")) == [
        "__init__.py",
        "nnunet_wmh_modality_dropout.py",
        "nnunet_wmh_multitask.py",
        "nnunet_wmh_schedules.py",
    ]


@pytest.mark.parametrize(
    ("name", "module"),
    [
        ("nnUNetTrainerModalityDropout_p075", "nnunet_wmh_modality_dropout"),
        ("nnUNetTrainerMultiTaskLesionWeighted", "nnunet_wmh_multitask"),
    ],
)
def test_stock_nnunet_finds_the_trainers_through_nnunet_ext_trainer(name, module):
    script = (
        "from nnunetv2.utilities.find_objects import recursive_find_trainer_class_by_name as find\n"
        f"cls = find({name!r}); print(cls.__name__, cls.__module__)\n"
    )
    environment = {**os.environ, "nnUNet_extTrainer": str(trainers_path())}
    out = subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True)
    # nnU-Net imported our file as a top-level module, as it does for every nnUNet_extTrainer folder
    assert out.stdout.strip().splitlines()[-1].split() == [name, module]
