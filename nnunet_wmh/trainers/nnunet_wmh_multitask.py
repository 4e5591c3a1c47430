"""Multi-task trainers for ``convert --mode multitask --encoding separate`` (region-based) datasets.

nnU-Net imports this file as a top-level module from the ``nnUNet_extTrainer`` folder: absolute imports
only. The paper behind this project found a joint lesion + region model weaker than separate models (task
interference); weighting the lesion output's loss is one counter-measure.

* ``nnUNetTrainerMultiTaskLesionWeighted``: loss = L(all outputs) + (w − 1) · L(lesion output), with
  ``lesion_loss_weight`` w = 3 (class attribute).
* ``nnUNetTrainerMultiTaskLesionWeightedModalityDropout``: the same plus modality dropout by channel
  duplication (two-channel datasets).
* ``_250epochs`` variants; ``_wmhQuick`` and ``_wmhCpu``, the short schedules of ``nnunet_wmh study``.
"""

# No `from __future__ import annotations` here: __init__ keeps nnU-Net's exact signature, annotations included.
from nnunetv2.training.loss.deep_supervision import DeepSupervisionWrapper
from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer

from nnunet_wmh.trainers.nnunet_wmh_modality_dropout import nnUNetTrainerModalityDropout
from nnunet_wmh.training.schedule import CpuSchedule, QuickSchedule
from nnunet_wmh.training.setup import TrainerSetup
from nnunet_wmh.training.support import OutputWeightedLoss, lesion_output_index


class nnUNetTrainerMultiTaskLesionWeighted(TrainerSetup, nnUNetTrainer):
    """Region-based multi-task training with extra loss weight on the lesion output."""

    #: Weight of the lesion output's loss (1 = nnU-Net's plain region loss).
    lesion_loss_weight: float = 3.0
    #: Number of epochs; None keeps nnU-Net's default (1000).
    epochs: int | None = None

    def check_dataset(self, plans: dict, dataset_json: dict) -> None:
        """Refuse a dataset without a lesion output (before nnU-Net reads it); find that output."""
        super().check_dataset(plans, dataset_json)
        self.lesion_output = lesion_output_index(type(self).__name__, plans, dataset_json)

    def configure(self, dataset_json: dict) -> None:
        """The number of epochs, when the class sets one."""
        super().configure(dataset_json)
        if self.epochs is not None:
            self.num_epochs = self.epochs

    def _build_loss(self):
        loss = super()._build_loss()
        inner = loss.loss if isinstance(loss, DeepSupervisionWrapper) else loss
        weighted = OutputWeightedLoss(
            inner, self.lesion_output, self.lesion_loss_weight, self.label_manager.ignore_label is not None
        )
        if isinstance(loss, DeepSupervisionWrapper):
            loss.loss = weighted
            return loss
        return weighted


class nnUNetTrainerMultiTaskLesionWeighted_250epochs(nnUNetTrainerMultiTaskLesionWeighted):
    """250 epochs instead of 1000."""

    epochs = 250


class nnUNetTrainerMultiTaskLesionWeightedModalityDropout(
    nnUNetTrainerMultiTaskLesionWeighted, nnUNetTrainerModalityDropout
):
    """Lesion-weighted multi-task training plus modality dropout by channel duplication."""


class nnUNetTrainerMultiTaskLesionWeightedModalityDropout_250epochs(
    nnUNetTrainerMultiTaskLesionWeightedModalityDropout
):
    """250 epochs instead of 1000."""

    epochs = 250


class nnUNetTrainerMultiTaskLesionWeighted_wmhQuick(QuickSchedule, nnUNetTrainerMultiTaskLesionWeighted):
    """``study --profile quick``: the demo's schedule (``QuickSchedule``)."""


class nnUNetTrainerMultiTaskLesionWeighted_wmhCpu(CpuSchedule, nnUNetTrainerMultiTaskLesionWeighted):
    """``study --profile cpu``: 100 epochs × 100 iterations, half width (``CpuSchedule``)."""
