"""Checks and losses shared by the trainers in :mod:`nnunet_wmh.trainers`.

They live in an ordinary package module: nnU-Net imports the files of the ``nnUNet_extTrainer`` folder as
top-level modules and drops them from ``sys.modules`` afterwards, so anything that must be imported
(or pickled) again has to live here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from nnunet_wmh.errors import IncompatibleDatasetError
from nnunet_wmh.labels.joint import LESION_OUTPUT_NAME
from nnunet_wmh.modalities import MODALITY_NAMES, resolve_fill_order


def _dataset_name(plans: Mapping[str, Any], dataset_json: Mapping[str, Any]) -> str:
    return str(plans.get("dataset_name") or dataset_json.get("name") or "this dataset")


def require_modality_channels(trainer: str, plans: Mapping[str, Any], dataset_json: Mapping[str, Any]) -> None:
    """Refuse a dataset with fewer than two input channels (one line naming dataset and channels)."""
    channels = dataset_json.get("channel_names", {})
    if len(channels) < 2:
        names = ", ".join(str(v) for v in channels.values())
        dataset = _dataset_name(plans, dataset_json)
        raise IncompatibleDatasetError(
            f"{trainer} needs a dataset with 2 or more input channels (FLAIR, T1, ...); {dataset} has "
            f"{len(channels)} ({names}): convert it with `nnunet_wmh convert --mode interchangeable` (or flair_t1)"
        )


@dataclass(frozen=True)
class DropoutLayout:
    """The channels of a dataset as modality dropout sees them: their number and the fill order (positions)."""

    channels: int
    fill_order: tuple[int, ...]
    fill_missing: str


def dropout_layout(dataset_json: Mapping[str, Any]) -> DropoutLayout:
    """The channel count and fill order of a dataset, as ``convert`` recorded them in its ``nnunet_wmh`` block
    (``modalities``, ``fill_order``); else from the channel names (``FLAIR``, ``T1``, ``T2``...) with the default
    fill order; else channel order."""
    names = [str(dataset_json["channel_names"][k]) for k in sorted(dataset_json.get("channel_names", {}), key=int)]
    block = dataset_json.get("nnunet_wmh") or {}
    modalities = list(block.get("modalities") or [])
    if len(modalities) != len(names):
        by_name = {v.lower(): k for k, v in MODALITY_NAMES.items()}
        modalities = [by_name.get(n.lower(), "") for n in names]
    fill_missing = str(block.get("fill_missing", "duplicate"))
    if "" in modalities or len(set(modalities)) != len(modalities):
        return DropoutLayout(len(names), tuple(range(len(names))), fill_missing)
    order = resolve_fill_order(block.get("fill_order"), modalities)
    return DropoutLayout(len(names), tuple(modalities.index(m) for m in order), fill_missing)


def lesion_output_index(trainer: str, plans: Mapping[str, Any], dataset_json: Mapping[str, Any]) -> int:
    """Index of the lesion output of a ``multitask --encoding separate`` dataset (region-based)."""
    outputs = [name for name in dataset_json.get("labels", {}) if name not in ("background", "ignore")]
    recorded = dataset_json.get("nnunet_wmh", {})
    if recorded.get("encoding") != "separate" or LESION_OUTPUT_NAME not in outputs:
        raise IncompatibleDatasetError(
            f"{trainer} needs a dataset converted with `nnunet_wmh convert --mode multitask --encoding separate` "
            f"(one sigmoid output per region and one for lesions); {_dataset_name(plans, dataset_json)} has encoding "
            f"{recorded.get('encoding', 'unknown')!r}"
        )
    return outputs.index(LESION_OUTPUT_NAME)


class OutputWeightedLoss(nn.Module):
    """A region-based loss plus extra weight on one output: ``L(all) + (weight - 1) · L(that output)``.

    Parameters
    ----------
    loss
        nnU-Net's ``DC_and_BCE_loss`` (or any loss over ``(B, C, ...)`` logits and one-hot targets).
    output_index
        The output to weight (the lesion output).
    weight
        1 gives nnU-Net's loss unchanged; 3 counts the lesion output three times.
    has_ignore_channel
        Whether the target carries nnU-Net's ignore mask as its last channel.
    """

    def __init__(self, loss: nn.Module, output_index: int, weight: float, has_ignore_channel: bool) -> None:
        super().__init__()
        self.loss = loss
        self.output_index = output_index
        self.weight = float(weight)
        self.has_ignore_channel = has_ignore_channel

    def forward(self, net_output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        total = self.loss(net_output, target)
        if self.weight == 1.0:
            return total
        index = self.output_index
        target_channels = [index, target.shape[1] - 1] if self.has_ignore_channel else [index]
        single = self.loss(net_output[:, index : index + 1], target[:, target_channels])
        return total + (self.weight - 1.0) * single


class LesionMarginalLoss(nn.Module):
    """nnU-Net's softmax loss on joint lesion × region labels plus ``weight`` × (soft Dice + BCE) of the lesion
    marginal: the summed probability of every lesion label against "lesion anywhere".

    Joint labels split the lesion class over the R regions (and "outside"), so early in training no single
    lesion label wins a voxel and the network learns regions first and lesions late or never. The marginal term
    trains "lesion or not" as directly as a lesion model is trained, while the output stays one softmax over
    the joint labels (the paper's joint formulation); ``decode`` reads the same marginal back.

    Parameters
    ----------
    loss
        nnU-Net's ``DC_and_CE_loss`` over ``(B, C, ...)`` logits and ``(B, 1, ...)`` label targets.
    lesion_labels
        The joint labels that mean lesion (R + 1 .. 2R + 1).
    weight
        Weight of the marginal term; 0 gives nnU-Net's loss unchanged.
    ignore_label
        nnU-Net's ignore label (voxels left out of the marginal term), or None.
    """

    def __init__(self, loss: nn.Module, lesion_labels: tuple[int, ...], weight: float, ignore_label: int | None):
        super().__init__()
        self.loss = loss
        self.lesion_labels = tuple(int(label) for label in lesion_labels)
        self.weight = float(weight)
        self.ignore_label = ignore_label

    def forward(self, net_output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        total = self.loss(net_output, target)
        if self.weight == 0.0:
            return total
        probabilities = torch.softmax(net_output.float(), dim=1)[:, list(self.lesion_labels)].sum(dim=1)
        labels = target[:, 0].long()
        lesion = torch.isin(labels, torch.tensor(self.lesion_labels, device=labels.device)).float()
        kept = labels != self.ignore_label if self.ignore_label is not None else torch.ones_like(lesion, dtype=bool)
        probabilities, lesion = probabilities[kept].clamp(1e-6, 1 - 1e-6), lesion[kept]
        overlap = (probabilities * lesion).sum()
        dice = 1 - (2 * overlap + 1e-5) / (probabilities.sum() + lesion.sum() + 1e-5)
        cross_entropy = nn.functional.binary_cross_entropy(probabilities, lesion)
        return total + self.weight * (dice + cross_entropy)


def joint_lesion_labels(trainer: str, plans: Mapping[str, Any], dataset_json: Mapping[str, Any]) -> tuple[int, ...]:
    """The lesion labels of a ``multitask --encoding joint`` dataset (R + 1 .. 2R + 1)."""
    recorded = dataset_json.get("nnunet_wmh", {})
    if recorded.get("encoding") != "joint":
        raise IncompatibleDatasetError(
            f"{trainer} needs a dataset converted with `nnunet_wmh convert --mode multitask --encoding joint` (one "
            f"softmax over joint lesion × region labels); {_dataset_name(plans, dataset_json)} has encoding "
            f"{recorded.get('encoding', 'unknown')!r}"
        )
    count = len(recorded.get("regions", []))
    return tuple(range(count + 1, 2 * count + 2))
