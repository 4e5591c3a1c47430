"""Modality-dropout trainers for datasets with two or more channels (FLAIR, T1, and any other contrasts).

nnU-Net imports this file as a top-level module from the ``nnUNet_extTrainer`` folder
(``export nnUNet_extTrainer=$(nnunet_wmh trainers-path)``): absolute imports only.

* ``nnUNetTrainerModalityDropout``: with probability ``p`` = 0.5 a training sample keeps a random proper,
  non-empty subset of its k channels (uniform over the 2^k - 2 of them; for FLAIR, T1 one channel, either
  with probability 1/2), and each dropped channel becomes an exact copy of the first kept one in the
  dataset's fill order (dataset.json's ``nnunet_wmh`` block: ``modalities``, ``fill_order``) — the
  training-time counterpart of the channel duplication of ``convert --mode interchangeable``, so a dropped
  sample looks exactly like a converted test case with those modalities missing.
* ``nnUNetTrainerModalityDropoutZero``: the dropped channels become zeros (classic modality dropout);
  pair it with ``convert --fill-missing zero``.
* One-change variants: ``_p025``, ``_p075`` (dropout probability), ``_250epochs``, ``_100epochs``;
  ``_demo`` and ``_demoQuick`` are the short schedules of ``nnunet_wmh demo``, ``_wmhQuick`` and ``_wmhCpu``
  those of ``nnunet_wmh study --profile quick|cpu``.
"""

# No `from __future__ import annotations` here: __init__ keeps nnU-Net's exact signature, annotations included.
import functools
import logging

from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer

from nnunet_wmh.training.augmentation import ModalityDropoutTransform, insert_modality_dropout
from nnunet_wmh.training.schedule import CpuSchedule, QuickSchedule
from nnunet_wmh.training.setup import TrainerSetup
from nnunet_wmh.training.support import DropoutLayout, dropout_layout, require_modality_channels

logger = logging.getLogger("nnunet_wmh.trainers")


class nnUNetTrainerModalityDropout(TrainerSetup, nnUNetTrainer):
    """nnU-Net's default trainer plus modality dropout by channel duplication (training samples only)."""

    #: Probability that a training sample loses one channel.
    modality_dropout_p: float = 0.5
    #: ``"duplicate"`` (copy of the other channel) or ``"zero"``.
    modality_dropout_fill: str = "duplicate"
    #: Number of epochs; None keeps nnU-Net's default (1000).
    epochs: int | None = None
    #: Training and validation iterations per epoch; None keeps nnU-Net's defaults (250 and 50).
    iterations_per_epoch: int | None = None
    validation_iterations_per_epoch: int | None = None

    def check_dataset(self, plans: dict, dataset_json: dict) -> None:
        """Refuse a dataset with fewer than two interchangeable channels."""
        super().check_dataset(plans, dataset_json)
        require_modality_channels(type(self).__name__, plans, dataset_json)

    def configure(self, dataset_json: dict) -> None:
        """The dataset's channels and fill order go with this instance's training transforms; the schedule."""
        super().configure(dataset_json)
        layout = dropout_layout(dataset_json)
        if layout.fill_missing != self.modality_dropout_fill:
            logger.warning(
                "%s fills dropped channels with %s, but the dataset's missing modalities were filled with %s "
                "(convert --fill-missing): training samples will not look like its test cases",
                type(self).__name__, self.modality_dropout_fill, layout.fill_missing,
            )  # fmt: skip
        # nnU-Net calls self.get_training_transforms(...): this instance's channels and fill order go with it.
        self.get_training_transforms = functools.partial(type(self).get_training_transforms, dropout_layout=layout)
        if self.epochs is not None:
            self.num_epochs = self.epochs
        if self.iterations_per_epoch is not None:
            self.num_iterations_per_epoch = self.iterations_per_epoch
        if self.validation_iterations_per_epoch is not None:
            self.num_val_iterations_per_epoch = self.validation_iterations_per_epoch

    @classmethod
    def get_training_transforms(
        cls,
        patch_size,
        rotation_for_DA,
        deep_supervision_scales,
        mirror_axes,
        do_dummy_2d_data_aug,
        use_mask_for_norm=None,
        is_cascaded=False,
        foreground_labels=None,
        regions=None,
        ignore_label=None,
        dropout_layout: DropoutLayout | None = None,
    ):
        """nnU-Net's training pipeline with modality dropout after the intensity transforms (two channels in
        channel order unless ``dropout_layout`` says otherwise)."""
        pipeline = super().get_training_transforms(
            patch_size,
            rotation_for_DA,
            deep_supervision_scales,
            mirror_axes,
            do_dummy_2d_data_aug,
            use_mask_for_norm=use_mask_for_norm,
            is_cascaded=is_cascaded,
            foreground_labels=foreground_labels,
            regions=regions,
            ignore_label=ignore_label,
        )
        layout = dropout_layout or DropoutLayout(2, (0, 1), cls.modality_dropout_fill)
        dropout = ModalityDropoutTransform(
            p=cls.modality_dropout_p, fill=cls.modality_dropout_fill, channels=layout.channels,
            fill_order=layout.fill_order,
        )  # fmt: skip
        return insert_modality_dropout(pipeline, dropout)


class nnUNetTrainerModalityDropout_p025(nnUNetTrainerModalityDropout):
    """Dropout probability 0.25."""

    modality_dropout_p = 0.25


class nnUNetTrainerModalityDropout_p075(nnUNetTrainerModalityDropout):
    """Dropout probability 0.75."""

    modality_dropout_p = 0.75


class nnUNetTrainerModalityDropout_250epochs(nnUNetTrainerModalityDropout):
    """250 epochs instead of 1000."""

    epochs = 250


class nnUNetTrainerModalityDropout_100epochs(nnUNetTrainerModalityDropout):
    """100 epochs instead of 1000."""

    epochs = 100


class nnUNetTrainerModalityDropoutZero(nnUNetTrainerModalityDropout):
    """The dropped channel is replaced by zeros (after normalization)."""

    modality_dropout_fill = "zero"


class nnUNetTrainerModalityDropoutZero_250epochs(nnUNetTrainerModalityDropoutZero):
    """Zero-filling dropout, 250 epochs."""

    epochs = 250


class nnUNetTrainerModalityDropout_demo(QuickSchedule, nnUNetTrainerModalityDropout):
    """The schedule of ``nnunet_wmh demo``: 20 epochs × 40 iterations, Adam (learning rate 3e-3, nnU-Net's
    polynomial decay) and a network a quarter as wide as nnU-Net's plan (8 … 64 features per stage), so that
    it learns something within minutes on a CPU. A demonstration of the pipeline, not a model to use."""


class nnUNetTrainerModalityDropout_demoQuick(nnUNetTrainerModalityDropout_demo):
    """The schedule of ``nnunet_wmh demo --quick``: 10 epochs × 30 iterations, otherwise as ``_demo``."""

    epochs = 10
    iterations_per_epoch = 30
    validation_iterations_per_epoch = 3


class nnUNetTrainerModalityDropout_wmhQuick(QuickSchedule, nnUNetTrainerModalityDropout):
    """``study --profile quick``: the demo's schedule (``QuickSchedule``)."""


class nnUNetTrainerModalityDropout_wmhCpu(CpuSchedule, nnUNetTrainerModalityDropout):
    """``study --profile cpu``: 100 epochs × 100 iterations, half width (``CpuSchedule``)."""
