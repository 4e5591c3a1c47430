"""Modality dropout for nnU-Net's batchgeneratorsv2 training pipeline.

The training-time counterpart of the channel-duplication trick: with probability ``p`` one of two input
channels, chosen uniformly, is replaced by an exact copy of the other (``fill="duplicate"``) or by zeros
(``fill="zero"``, the classic modality-dropout baseline; the data are already z-score normalized, so
zero is the channel mean). A dropped sample then looks exactly like a test subject whose missing
modality was filled the same way by ``nnunet_wmh convert``.

This module is an ordinary package module (not a file in the ``nnUNet_extTrainer`` folder, which nnU-Net
imports as top-level modules and removes again), so the transform pickles into data-loader workers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from batchgeneratorsv2.transforms.base.basic_transform import BasicTransform, ImageOnlyTransform
from batchgeneratorsv2.transforms.nnunet.seg_to_onehot import MoveSegAsOneHotToDataTransform
from batchgeneratorsv2.transforms.utils.compose import ComposeTransforms
from batchgeneratorsv2.transforms.utils.deep_supervision_downsampling import DownsampleSegForDSTransform
from batchgeneratorsv2.transforms.utils.remove_label import RemoveLabelTransform
from batchgeneratorsv2.transforms.utils.seg_to_regions import ConvertSegmentationToRegionsTransform

FILL_MODES = ("duplicate", "zero")


class ModalityDropoutTransform(ImageOnlyTransform):
    """Replace one of two channels by a copy of the other (or by zeros) with probability ``p``.

    Parameters
    ----------
    p
        Probability that a sample loses a channel, 0..1.
    fill
        ``"duplicate"``: the dropped channel becomes a bit-exact copy of the kept one; ``"zero"``: it
        becomes all zeros.
    channels
        The two channel indices that may replace each other (FLAIR, T1 by default).

    Notes
    -----
    Randomness comes from NumPy's global generator, like every batchgeneratorsv2 transform, so nnU-Net's
    worker seeding applies. Applies to the image only; the segmentation is unchanged.
    """

    def __init__(self, p: float = 0.5, fill: str = "duplicate", channels: Sequence[int] = (0, 1)) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be within 0..1, got {p}")
        if fill not in FILL_MODES:
            raise ValueError(f"fill must be one of {FILL_MODES}, got {fill!r}")
        if len(channels) != 2 or channels[0] == channels[1]:
            raise ValueError(f"channels must be two different indices, got {channels}")
        self.p = float(p)
        self.fill = fill
        self.channels = (int(channels[0]), int(channels[1]))

    def get_parameters(self, **data_dict) -> dict:
        if np.random.uniform() >= self.p:
            return {"dropped": None}
        position = int(np.random.randint(2))
        return {"dropped": self.channels[position], "kept": self.channels[1 - position]}

    def _apply_to_image(self, img: torch.Tensor, dropped: int | None = None, kept: int | None = None) -> torch.Tensor:
        if dropped is None:
            return img
        if self.fill == "duplicate":
            img[dropped] = img[kept]
        else:
            img[dropped] = 0
        return img


#: Transforms of nnU-Net's training pipeline that come after all image intensity changes: modality
#: dropout goes right before the first of them (so both channels end identical, as at test time).
_AFTER_IMAGE_TRANSFORMS = (
    RemoveLabelTransform,
    MoveSegAsOneHotToDataTransform,
    ConvertSegmentationToRegionsTransform,
    DownsampleSegForDSTransform,
)


def insert_modality_dropout(pipeline: BasicTransform, dropout: ModalityDropoutTransform) -> ComposeTransforms:
    """Insert ``dropout`` into nnU-Net's training pipeline after the image transforms.

    Every intensity transform (noise, blur, brightness, contrast, low resolution, gamma, and the
    normalization mask) comes before it — they are not synchronised across channels — and
    ``DownsampleSegForDSTransform`` after it. nnU-Net's own transforms are kept as they are.

    Parameters
    ----------
    pipeline
        What ``nnUNetTrainer.get_training_transforms`` returned (a ``ComposeTransforms``).
    dropout
        The transform to insert.
    """
    if not isinstance(pipeline, ComposeTransforms):
        raise TypeError(f"expected nnU-Net's ComposeTransforms, got {type(pipeline).__name__}")
    transforms = list(pipeline.transforms)
    position = next(
        (i for i, transform in enumerate(transforms) if isinstance(transform, _AFTER_IMAGE_TRANSFORMS)), len(transforms)
    )
    transforms.insert(position, dropout)
    return ComposeTransforms(transforms)
