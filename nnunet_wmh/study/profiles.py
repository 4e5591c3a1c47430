"""Profiles of the study: the nnU-Net configuration and the trainer of each configuration.

* ``quick``: 2-D, the demo's schedule (20 epochs × 40 iterations, a quarter of nnU-Net's width, Adam):
  minutes per configuration on a CPU; shows the pipeline, not the paper's numbers.
* ``cpu``: 2-D, 100 epochs × 100 iterations at half width: about an hour per configuration on a CPU.
* ``gpu``: 3d_fullres, nnU-Net's 250-epoch schedules: hours per configuration on one GPU.

``trainers`` overrides the profile: ``stock`` picks nnU-Net's 1000-epoch trainers of every family, and
``CONFIG=TRAINER`` pairs pick a trainer for one configuration (e.g. a trainer of your own found through
``trainer_paths``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from nnunet_wmh.errors import UsageError
from nnunet_wmh.study.configs import CONFIGS, DROPOUT, JOINT, MULTITASK, STOCK, StudyConfig, resolve_configs

CONFIGURATIONS = ("2d", "3d_fullres")


@dataclass(frozen=True)
class Profile:
    """An nnU-Net configuration and a trainer per family."""

    name: str
    configuration: str
    trainers: Mapping[str, str]
    summary: str


PROFILES = {
    "quick": Profile(
        "quick", "2d",
        {STOCK: "nnUNetTrainer_wmhQuick", DROPOUT: "nnUNetTrainerModalityDropout_wmhQuick",
         MULTITASK: "nnUNetTrainerMultiTaskLesionWeighted_wmhQuick", JOINT: "nnUNetTrainerMultiTaskJoint_wmhQuick"},
        "2-D, 20 epochs × 40 iterations, quarter width (minutes per configuration on a CPU)",
    ),
    "cpu": Profile(
        "cpu", "2d",
        {STOCK: "nnUNetTrainer_wmhCpu", DROPOUT: "nnUNetTrainerModalityDropout_wmhCpu",
         MULTITASK: "nnUNetTrainerMultiTaskLesionWeighted_wmhCpu", JOINT: "nnUNetTrainerMultiTaskJoint_wmhCpu"},
        "2-D, 100 epochs × 100 iterations, half width (about an hour per configuration on a CPU)",
    ),
    "gpu": Profile(
        "gpu", "3d_fullres",
        {STOCK: "nnUNetTrainer_250epochs", DROPOUT: "nnUNetTrainerModalityDropout_250epochs",
         MULTITASK: "nnUNetTrainerMultiTaskLesionWeighted_250epochs", JOINT: "nnUNetTrainerMultiTaskJoint_250epochs"},
        "3d_fullres, nnU-Net's 250-epoch schedules (hours per configuration on one GPU)",
    ),
}  # fmt: skip
#: nnU-Net's full 1000-epoch trainers (``trainers=["stock"]``).
STOCK_TRAINERS = {
    STOCK: "nnUNetTrainer",
    DROPOUT: "nnUNetTrainerModalityDropout",
    MULTITASK: "nnUNetTrainerMultiTaskLesionWeighted",
    JOINT: "nnUNetTrainerMultiTaskJoint",
}


def parse_trainers(values: Sequence[str] | None) -> dict[str, str]:
    """``["stock"]`` or ``["CONFIG=TRAINER", ...]`` → {family or config: trainer}; {} for None.

    Raises
    ------
    UsageError
        Not ``stock`` and not a ``CONFIG=TRAINER`` pair of a trained configuration.
    """
    chosen: dict[str, str] = {}
    for value in values or ():
        if value == "stock":
            chosen.update(STOCK_TRAINERS)
            continue
        config, _, trainer = value.partition("=")
        resolved = _trained_config(config) if trainer else None
        if resolved is None:
            trained = ", ".join(n for n, c in CONFIGS.items() if c.trained)
            raise UsageError(
                f"`trainers` {value!r}: use stock or CONFIG=TRAINER with CONFIG one of {trained} (or a configuration "
                "over modalities, interchangeable_dropout_flair_t1_t2)",
                "trainers",
            )
        chosen[resolved] = trainer
    return chosen


def _trained_config(name: str) -> str | None:
    """The canonical name of a trained configuration, None for anything else."""
    try:
        (config,) = resolve_configs([name])
    except UsageError:
        return None
    return config.name if config.trained else None


def trainer_for(config: StudyConfig, profile: Profile, overrides: Mapping[str, str]) -> str:
    """The trainer of ``config``: its own override, else its family's override, else the profile's."""
    return overrides.get(config.name) or overrides.get(config.family) or profile.trainers[config.family]


def check_profile(profile: str, configuration: str | None) -> tuple[Profile, str]:
    """The profile and the nnU-Net configuration (the profile's unless given); raises UsageError."""
    if profile not in PROFILES:
        raise UsageError(f"unknown `profile` {profile!r}; choose from {', '.join(PROFILES)}", "profile")
    chosen = configuration or PROFILES[profile].configuration
    if chosen not in CONFIGURATIONS:
        raise UsageError(
            f"unknown `configuration` {chosen!r}; choose from {', '.join(CONFIGURATIONS)}", "configuration"
        )
    return PROFILES[profile], chosen
