import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from nnunetv2.training.loss.compound_losses import DC_and_BCE_loss
from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer

from nnunet_wmh.errors import IncompatibleDatasetError
from nnunet_wmh.trainers import nnunet_wmh_modality_dropout, nnunet_wmh_multitask, trainers_path
from nnunet_wmh.training.support import OutputWeightedLoss, lesion_output_index

TRAINERS = sorted(
    (name, cls)
    for module in (nnunet_wmh_modality_dropout, nnunet_wmh_multitask)
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
        "nnUNetTrainerMultiTaskLesionWeighted",
        "nnUNetTrainerMultiTaskLesionWeightedModalityDropout",
        "nnUNetTrainerMultiTaskLesionWeightedModalityDropout_250epochs",
        "nnUNetTrainerMultiTaskLesionWeighted_250epochs",
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


def test_dropout_trainer_refuses_a_one_channel_dataset_in_one_line():
    plans = {"dataset_name": "Dataset501_WMH_flair"}
    dataset_json = {"channel_names": {"0": "FLAIR"}}
    with pytest.raises(IncompatibleDatasetError) as info:
        nnunet_wmh_modality_dropout.nnUNetTrainerModalityDropout(
            plans, "3d_fullres", 0, dataset_json, torch.device("cpu")
        )
    assert str(info.value) == (
        "nnUNetTrainerModalityDropout needs a dataset with exactly 2 input channels (FLAIR, T1); "
        "Dataset501_WMH_flair has 1 (FLAIR): convert it with --mode interchangeable or flair_t1"
    )


def test_lesion_weighted_trainer_needs_the_separate_encoding():
    joint = {"labels": {"background": 0, "a": 1}, "nnunet_wmh": {"encoding": "joint"}}
    with pytest.raises(IncompatibleDatasetError, match="--encoding separate"):
        lesion_output_index("nnUNetTrainerMultiTaskLesionWeighted", {"dataset_name": "Dataset9_X"}, joint)
    separate = {"labels": {"background": 0, "a": [1, 3], "b": [2, 4], "wmh": [3, 4, 5], "ignore": 6},
                "nnunet_wmh": {"encoding": "separate"}}  # fmt: skip
    assert lesion_output_index("T", {}, separate) == 2


@pytest.mark.parametrize("ignore", [False, True])
def test_output_weighted_loss_adds_the_weighted_lesion_term(ignore):
    torch.manual_seed(0)
    base = DC_and_BCE_loss({}, {"batch_dice": False, "do_bg": True, "smooth": 1e-5, "ddp": False},
                           use_ignore_label=ignore)  # fmt: skip
    logits = torch.randn(2, 3, 4, 4, 4)
    target = (torch.rand(2, 3 + ignore, 4, 4, 4) > 0.5).float()
    lesion_target = target[:, [2, 3]] if ignore else target[:, [2]]
    expected = base(logits, target) + 2.0 * base(logits[:, 2:3], lesion_target)
    weighted = OutputWeightedLoss(base, output_index=2, weight=3.0, has_ignore_channel=ignore)
    assert torch.allclose(weighted(logits, target), expected)
    assert torch.equal(OutputWeightedLoss(base, 2, 1.0, ignore)(logits, target), base(logits, target))
