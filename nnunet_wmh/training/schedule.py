"""Short training schedules: a trainer mixin for models that must learn within minutes on a CPU.

:class:`ShortSchedule` goes first in a trainer's bases (``class T(ShortSchedule, nnUNetTrainer)``) and
gives it a number of epochs and iterations, Adam with nnU-Net's polynomial learning-rate decay (SGD with
momentum 0.99 needs far longer) and a network ``width_divisor`` times narrower than nnU-Net's plan. The
demo's and ``study``'s ``quick`` and ``cpu`` profiles use it; a model trained so demonstrates the pipeline,
it is not a model to use.

It lives in an ordinary package module (not in the ``nnUNet_extTrainer`` folder), so every trainer file can
import it by its package path.
"""

import copy

import torch
from nnunetv2.training.lr_scheduler.polylr import PolyLRScheduler
from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer
from nnunetv2.utilities.plans_handling.plans_handler import ConfigurationManager, PlansManager
from torch import nn

from nnunet_wmh.training.seeding import SeededTraining
from nnunet_wmh.training.setup import TrainerSetup


class ShortSchedule(SeededTraining, TrainerSetup):
    """Mixin: ``epochs`` × ``iterations_per_epoch``, Adam, a narrower network.

    Its set-up (:meth:`configure`) runs after the trainer's own. Set the class attributes in a subclass.
    """

    #: Number of epochs.
    epochs: int = 20
    #: Training and validation iterations per epoch.
    iterations_per_epoch: int = 40
    validation_iterations_per_epoch: int = 5
    #: Features per stage are divided by this (at least 4 remain).
    width_divisor: int = 4
    #: Adam's initial learning rate.
    adam_learning_rate: float = 3e-3

    def configure(self, dataset_json: dict) -> None:
        """The schedule and the learning rate, after the trainer's own set-up."""
        super().configure(dataset_json)
        self.num_epochs = self.epochs
        self.num_iterations_per_epoch = self.iterations_per_epoch
        self.num_val_iterations_per_epoch = self.validation_iterations_per_epoch
        self.initial_lr = self.adam_learning_rate

    def configure_optimizers(self):
        """Adam with nnU-Net's polynomial learning-rate decay."""
        optimizer = torch.optim.Adam(self.network.parameters(), lr=self.initial_lr, weight_decay=self.weight_decay)
        return optimizer, PolyLRScheduler(optimizer, self.initial_lr, self.num_epochs)

    @classmethod
    def narrow(cls, configuration_manager: ConfigurationManager) -> ConfigurationManager:
        """A copy of the configuration with ``width_divisor`` times fewer features per stage."""
        narrowed = copy.deepcopy(configuration_manager)
        arch = narrowed.network_arch_init_kwargs
        arch["features_per_stage"] = [max(4, int(f) // cls.width_divisor) for f in arch["features_per_stage"]]
        return narrowed

    @classmethod
    def build_network_architecture(
        cls,
        plans_manager: PlansManager,
        configuration_manager: ConfigurationManager,
        num_input_channels: int,
        num_output_channels: int,
        enable_deep_supervision: bool = True,
    ) -> nn.Module:
        """nnU-Net's network for the narrowed configuration (nnU-Net builds it again for inference)."""
        return nnUNetTrainer.build_network_architecture(
            plans_manager,
            cls.narrow(configuration_manager),
            num_input_channels,
            num_output_channels,
            enable_deep_supervision,
        )


class QuickSchedule(ShortSchedule):
    """``study --profile quick``: the demo's schedule, 20 epochs × 40 iterations, a quarter of the width."""


class CpuSchedule(ShortSchedule):
    """``study --profile cpu``: 100 epochs × 100 iterations, half of nnU-Net's width (an hour or more per
    model on a CPU)."""

    epochs = 100
    iterations_per_epoch = 100
    validation_iterations_per_epoch = 10
    width_divisor = 2
