"""Checks and losses shared by the trainers."""

import inspect

import pytest
import torch
from nnunetv2.training.loss.compound_losses import DC_and_BCE_loss
from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer

from nnunet_wmh.errors import IncompatibleDatasetError
from nnunet_wmh.trainers import nnunet_wmh_modality_dropout, nnunet_wmh_multitask
from nnunet_wmh.training.support import OutputWeightedLoss, lesion_output_index

TRAINERS = sorted(
    (name, cls)
    for module in (nnunet_wmh_modality_dropout, nnunet_wmh_multitask)
    for name, cls in vars(module).items()
    if inspect.isclass(cls) and issubclass(cls, nnUNetTrainer) and cls.__module__ == module.__name__
)


def test_dropout_trainer_refuses_a_one_channel_dataset_in_one_line():
    plans = {"dataset_name": "Dataset501_WMH_flair"}
    dataset_json = {"channel_names": {"0": "FLAIR"}}
    with pytest.raises(IncompatibleDatasetError) as info:
        nnunet_wmh_modality_dropout.nnUNetTrainerModalityDropout(
            plans, "3d_fullres", 0, dataset_json, torch.device("cpu")
        )
    assert str(info.value) == (
        "nnUNetTrainerModalityDropout needs a dataset with 2 or more input channels (FLAIR, T1, ...); "
        "Dataset501_WMH_flair has 1 (FLAIR): convert it with `nnunet_wmh convert --mode interchangeable` (or flair_t1)"
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
