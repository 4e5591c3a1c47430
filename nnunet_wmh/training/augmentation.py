"""Modality dropout for nnU-Net's batchgeneratorsv2 training pipeline.

The training-time counterpart of the channel-duplication trick. With probability ``p`` a sample keeps only
a proper, non-empty subset of its k channels, drawn uniformly among the 2^k - 2 of them (for k = 2: one
channel, either with probability 1/2). Every dropped channel is replaced by an exact copy of the first kept
channel in the fill order (``fill="duplicate"``) or by zeros (``fill="zero"``, the classic modality-dropout
baseline; the data are already z-score normalized, so zero is the channel mean): the rule of
:func:`nnunet_wmh.modalities.fill_sources`, which ``nnunet_wmh convert`` applies to test subjects with
modalities missing. A dropped sample then looks exactly like such a converted case.

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

from nnunet_wmh.modalities import FILL_CHOICES, fill_sources

FILL_MODES = FILL_CHOICES


def proper_subsets(channels: int) -> list[tuple[int, ...]]:
    """The kept-channel sets a dropout may draw: every non-empty proper subset of ``range(channels)``.

    Ordered by the bits of their index, so that for two channels the draw ``0`` keeps channel 1 (drops
    channel 0) and ``1`` keeps channel 0, as the two-channel transform always did.
    """
    full = (1 << channels) - 1
    kept = [tuple(c for c in range(channels) if not (dropped >> c) & 1) for dropped in range(1, full)]
    return kept


class ModalityDropoutTransform(ImageOnlyTransform):
    """Keep a random proper subset of the channels with probability ``p``; fill the others (module docstring).

    Parameters
    ----------
    p
        Probability that a sample loses at least one channel, 0..1.
    fill
        ``"duplicate"``: a dropped channel becomes a bit-exact copy of the first kept channel in
        ``fill_order``; ``"zero"``: it becomes all zeros.
    channels
        Number of channels k (≥ 2), or, for two channels, the two indices that may replace each other.
    fill_order
        Channel indices in order of preference as stand-ins; default ``0, 1, ..., k - 1``.

    Notes
    -----
    Randomness comes from NumPy's global generator, like every batchgeneratorsv2 transform, so nnU-Net's
    worker seeding applies. Applies to the image only; the segmentation is unchanged.
    """

    def __init__(
        self,
        p: float = 0.5,
        fill: str = "duplicate",
        channels: int | Sequence[int] = 2,
        fill_order: Sequence[int] | None = None,
    ) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be within 0..1, got {p}")
        if fill not in FILL_MODES:
            raise ValueError(f"fill must be one of {FILL_MODES}, got {fill!r}")
        indices = tuple(range(channels)) if isinstance(channels, int) else tuple(int(c) for c in channels)
        if len(indices) < 2 or len(set(indices)) != len(indices):
            raise ValueError(f"channels must be at least two different indices, got {channels}")
        order = tuple(range(len(indices))) if fill_order is None else tuple(int(i) for i in fill_order)
        if sorted(order) != list(range(len(indices))):
            raise ValueError(f"fill_order must order the channel positions 0..{len(indices) - 1}, got {fill_order}")
        self.p = float(p)
        self.fill = fill
        self.channels = indices
        self.fill_order = order
        self.subsets = proper_subsets(len(indices))

    def get_parameters(self, **data_dict) -> dict:
        if np.random.uniform() >= self.p:
            return {"kept": None}
        return {"kept": self.subsets[int(np.random.randint(len(self.subsets)))]}

    def sources(self, kept: Sequence[int]) -> list[int | None]:
        """For each channel position, the position it is copied from (None: zeros) when ``kept`` are kept."""
        return fill_sources(kept, len(self.channels), fill=self.fill, fill_order=self.fill_order)

    def _apply_to_image(self, img: torch.Tensor, kept: tuple[int, ...] | None = None) -> torch.Tensor:
        if kept is None:
            return img
        for position, source in enumerate(self.sources(kept)):
            if source == position:
                continue
            if source is None:
                img[self.channels[position]] = 0
            else:
                img[self.channels[position]] = img[self.channels[source]]
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
