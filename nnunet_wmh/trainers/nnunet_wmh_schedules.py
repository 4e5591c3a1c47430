"""nnU-Net's default trainer with the short schedules of ``nnunet_wmh study`` (``--profile quick|cpu``).

nnU-Net imports this file as a top-level module from the ``nnUNet_extTrainer`` folder: absolute imports
only. The ``gpu`` profile uses nnU-Net's own ``nnUNetTrainer_250epochs``.
"""

from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer

from nnunet_wmh.training.schedule import CpuSchedule, QuickSchedule


class nnUNetTrainer_wmhQuick(QuickSchedule, nnUNetTrainer):
    """20 epochs × 40 iterations, Adam, a quarter of nnU-Net's width (``QuickSchedule``)."""


class nnUNetTrainer_wmhCpu(CpuSchedule, nnUNetTrainer):
    """100 epochs × 100 iterations, Adam, half of nnU-Net's width (``CpuSchedule``)."""
