"""nnU-Net's trainer ``__init__``, with its exact signature, written once for every nnunet_wmh trainer.

nnU-Net builds a trainer as ``T(plans=..., configuration=..., fold=..., dataset_json=..., device=...)`` and records
the arguments under the names of ``type(self).__init__``'s parameters (to save them with the checkpoint), so no
trainer may change that signature. :class:`TrainerSetup` keeps it; instead of an ``__init__`` of their own, the
trainers and mixins override :meth:`~TrainerSetup.check_dataset` (before nnU-Net reads the dataset) and
:meth:`~TrainerSetup.configure` (after nnU-Net's own set-up; call ``super().configure(dataset_json)`` first).

It lives in an ordinary package module (not in the ``nnUNet_extTrainer`` folder), so every trainer file can import it
by its package path.
"""

# No `from __future__ import annotations` here: __init__ keeps nnU-Net's exact signature, annotations included.
import torch


class TrainerSetup:
    """Mixin before ``nnUNetTrainer`` in a trainer's bases: nnU-Net's ``__init__`` with two hooks."""

    def __init__(
        self,
        plans: dict,
        configuration: str,
        fold: int,
        dataset_json: dict,
        device: torch.device = torch.device("cuda"),  # noqa: B008 - nnU-Net's exact signature
    ):
        self.check_dataset(plans, dataset_json)
        super().__init__(plans, configuration, fold, dataset_json, device)
        self.configure(dataset_json)

    def check_dataset(self, plans: dict, dataset_json: dict) -> None:
        """Refuse a dataset the trainer cannot train on, before nnU-Net reads it (raise a ValueError)."""

    def configure(self, dataset_json: dict) -> None:
        """Set the trainer up after nnU-Net's own initialisation (epochs, iterations, transforms ...)."""
