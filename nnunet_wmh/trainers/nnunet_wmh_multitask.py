"""Multi-task trainers for ``convert --mode multitask --encoding separate`` (region-based) datasets.

nnU-Net imports this file as a top-level module from the ``nnUNet_extTrainer`` folder: absolute imports
only. The paper behind this project found a joint lesion + region model weaker than separate models (task
interference); weighting the lesion output's loss is one counter-measure.

* ``nnUNetTrainerMultiTaskLesionWeighted``: loss = L(all outputs) + (w − 1) · L(lesion output), with
  ``lesion_loss_weight`` w = 3 (class attribute).
* ``nnUNetTrainerMultiTaskJoint``: nnU-Net's softmax training on the joint lesion × region labels
  (``convert --mode multitask --encoding joint``).
* ``nnUNetTrainerMultiTaskLesionWeightedModalityDropout``: the same plus modality dropout by channel
  duplication (two-channel datasets).
* ``_250epochs`` variants; ``_wmhQuick`` and ``_wmhCpu``, the short schedules of ``nnunet_wmh study``.

Every one of them trains with :class:`~nnunet_wmh.training.positional.PositionalAugmentation`: regions are
defined by position (left/right, lobe, depth), so nnU-Net's mirroring and half-turn rotations, which teach
contradicting region labels, are off.
"""

# No `from __future__ import annotations` here: __init__ keeps nnU-Net's exact signature, annotations included.
from nnunetv2.training.loss.deep_supervision import DeepSupervisionWrapper
from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer

from nnunet_wmh.trainers.nnunet_wmh_modality_dropout import nnUNetTrainerModalityDropout
from nnunet_wmh.training.positional import PositionalAugmentation
from nnunet_wmh.training.schedule import CpuSchedule, QuickSchedule
from nnunet_wmh.training.support import (
    LesionMarginalLoss,
    OutputWeightedLoss,
    joint_lesion_labels,
    lesion_output_index,
)


class nnUNetTrainerMultiTaskLesionWeighted(PositionalAugmentation, nnUNetTrainer):
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


class nnUNetTrainerMultiTaskJoint(PositionalAugmentation, nnUNetTrainer):
    """nnU-Net's softmax training on joint lesion × region labels, with augmentation that keeps regions and a
    lesion-marginal loss term (:class:`~nnunet_wmh.training.support.LesionMarginalLoss`)."""

    #: Weight of the lesion-marginal term (0: nnU-Net's loss unchanged).
    lesion_marginal_weight: float = 1.0
    #: Number of epochs; None keeps nnU-Net's default (1000).
    epochs: int | None = None

    def check_dataset(self, plans: dict, dataset_json: dict) -> None:
        """Refuse a dataset without joint labels (before nnU-Net reads it); find its lesion labels."""
        super().check_dataset(plans, dataset_json)
        self.lesion_labels = joint_lesion_labels(type(self).__name__, plans, dataset_json)

    def _build_loss(self):
        loss = super()._build_loss()
        inner = loss.loss if isinstance(loss, DeepSupervisionWrapper) else loss
        marginal = LesionMarginalLoss(
            inner, self.lesion_labels, self.lesion_marginal_weight, self.label_manager.ignore_label
        )
        if isinstance(loss, DeepSupervisionWrapper):
            loss.loss = marginal
            return loss
        return marginal

    def configure(self, dataset_json: dict) -> None:
        """The number of epochs, when the class sets one."""
        super().configure(dataset_json)
        if self.epochs is not None:
            self.num_epochs = self.epochs


class nnUNetTrainerMultiTaskJoint_250epochs(nnUNetTrainerMultiTaskJoint):
    """250 epochs instead of 1000."""

    epochs = 250


class nnUNetTrainerMultiTaskJoint_wmhQuick(QuickSchedule, nnUNetTrainerMultiTaskJoint):
    """``study --profile quick``: the demo's schedule (``QuickSchedule``)."""


class nnUNetTrainerMultiTaskJoint_wmhCpu(CpuSchedule, nnUNetTrainerMultiTaskJoint):
    """``study --profile cpu``: 100 epochs × 100 iterations, half width (``CpuSchedule``)."""
