"""Checks and losses shared by the trainers."""

import inspect

import pytest
import torch
from nnunetv2.training.loss.compound_losses import DC_and_BCE_loss
from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer

from nnunet_wmh.errors import IncompatibleDatasetError
from nnunet_wmh.trainers import nnunet_wmh_modality_dropout, nnunet_wmh_multitask
from nnunet_wmh.training.support import (
    LesionMarginalLoss,
    OutputWeightedLoss,
    joint_lesion_labels,
    lesion_output_index,
)

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


def test_lesion_marginal_loss_adds_dice_and_cross_entropy_of_the_summed_lesion_labels():
    # R = 2: labels 0, regions 1-2, lesion in region 3-4, lesion outside 5, ignore 6
    zero = torch.nn.Module()
    zero.forward = lambda logits, target: torch.zeros(())
    target = torch.tensor([3, 4, 5, 1, 0, 6]).reshape(1, 1, 6, 1, 1).float()
    logits = torch.full((1, 6, 6, 1, 1), -20.0)
    for voxel, label in enumerate([3, 4, 5, 1, 0, 1]):  # right everywhere but the ignored voxel
        logits[0, label, voxel] = 20.0
    loss = LesionMarginalLoss(zero, (3, 4, 5), weight=2.0, ignore_label=6)
    assert loss(logits, target).item() == pytest.approx(0.0, abs=1e-4)
    split = logits.clone()
    split[0, :, 0] = -20.0
    split[0, [0, 3, 4, 5], 0] = 0.0  # voxel 0: no lesion label wins, but together they hold 3/4
    blurred = loss(split, target).item()
    assert 0 < blurred < 0.3  # the marginal is mostly right although argmax says background
    wrong = logits.clone()
    wrong[0, :, 3] = -20
    wrong[0, 3, 3] = 20  # voxel 3 (genu, no lesion) called lesion
    assert loss(wrong, target).item() > 2.0 * 0.25
    assert LesionMarginalLoss(zero, (3, 4, 5), weight=0.0, ignore_label=None)(wrong, target).item() == 0.0


def test_joint_trainer_needs_the_joint_encoding_and_finds_its_lesion_labels():
    separate = {"nnunet_wmh": {"encoding": "separate", "regions": [{}, {}]}}
    with pytest.raises(IncompatibleDatasetError, match="--encoding joint"):
        joint_lesion_labels("nnUNetTrainerMultiTaskJoint", {"dataset_name": "Dataset9_X"}, separate)
    joint = {"nnunet_wmh": {"encoding": "joint", "regions": [{}, {}, {}]}}
    assert joint_lesion_labels("T", {}, joint) == (4, 5, 6, 7)
