"""Short schedules: the epochs, iterations, optimizer and width a trainer with the mixin gets."""

import inspect

import torch
from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer
from nnunetv2.utilities.plans_handling.plans_handler import ConfigurationManager

from nnunet_wmh.trainers.nnunet_wmh_modality_dropout import nnUNetTrainerModalityDropout_demo
from nnunet_wmh.trainers.nnunet_wmh_schedules import nnUNetTrainer_wmhCpu, nnUNetTrainer_wmhQuick
from nnunet_wmh.training.schedule import CpuSchedule, QuickSchedule, ShortSchedule


def _configuration(features):
    return ConfigurationManager({"architecture": {"network_class_name": "x", "arch_kwargs": {
        "features_per_stage": features, "n_stages": len(features)}, "_kw_requires_import": []}})  # fmt: skip


def test_narrow_divides_the_features_per_stage_and_keeps_at_least_four():
    narrowed = QuickSchedule.narrow(_configuration([32, 64, 128, 256, 12]))
    assert narrowed.network_arch_init_kwargs["features_per_stage"] == [8, 16, 32, 64, 4]
    assert CpuSchedule.narrow(_configuration([32, 64])).network_arch_init_kwargs["features_per_stage"] == [16, 32]
    original = _configuration([32, 64])
    QuickSchedule.narrow(original)
    assert original.network_arch_init_kwargs["features_per_stage"] == [32, 64]  # a copy was narrowed


def test_schedules_and_the_demo_trainer_keep_the_demo_numbers():
    assert (QuickSchedule.epochs, QuickSchedule.iterations_per_epoch, QuickSchedule.width_divisor) == (20, 40, 4)
    assert (CpuSchedule.epochs, CpuSchedule.iterations_per_epoch, CpuSchedule.width_divisor) == (100, 100, 2)
    # models trained by the demo before the schedule became a mixin must keep their network
    assert nnUNetTrainerModalityDropout_demo.width_divisor == 4 and nnUNetTrainerModalityDropout_demo.epochs == 20
    assert issubclass(nnUNetTrainer_wmhQuick, QuickSchedule) and issubclass(nnUNetTrainer_wmhCpu, CpuSchedule)


def test_the_mixin_keeps_nnunets_init_signature():
    assert inspect.signature(ShortSchedule.__init__) == inspect.signature(nnUNetTrainer.__init__)


def test_adam_with_polynomial_decay_from_the_schedules_learning_rate():
    trainer = object.__new__(nnUNetTrainer_wmhQuick)
    trainer.network = torch.nn.Linear(2, 2)
    trainer.initial_lr, trainer.weight_decay, trainer.num_epochs = 3e-3, 3e-5, 20
    optimizer, scheduler = trainer.configure_optimizers()
    assert isinstance(optimizer, torch.optim.Adam)
    assert optimizer.param_groups[0]["lr"] == 3e-3
    scheduler.step(10)
    assert optimizer.param_groups[0]["lr"] < 3e-3
