"""Augmentation for labels defined by position: no mirroring, small rotations, no mirrored test-time
augmentation."""

import numpy as np
from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer

from nnunet_wmh.trainers.nnunet_wmh_multitask import nnUNetTrainerMultiTaskJoint, nnUNetTrainerMultiTaskLesionWeighted
from nnunet_wmh.training.positional import PositionalAugmentation


class _Configuration:
    def __init__(self, patch_size):
        self.patch_size = patch_size


def _augmentation(cls, patch_size):
    trainer = object.__new__(cls)
    trainer.configuration_manager = _Configuration(patch_size)
    trainer.print_to_log_file = lambda *args, **kwargs: None
    return trainer, trainer.configure_rotation_dummyDA_mirroring_and_inital_patch_size()


def test_a_square_2d_patch_is_not_mirrored_nor_turned_around():
    _, (rotation, _, _, mirror) = _augmentation(nnUNetTrainer, [56, 48])
    assert mirror == (0, 1) and np.isclose(rotation[1], np.pi)  # nnU-Net's default: mirrors and half-turns
    trainer, (rotation, dummy, initial, mirror) = _augmentation(nnUNetTrainerMultiTaskJoint, [56, 48])
    assert mirror is None and trainer.inference_allowed_mirroring_axes is None
    assert np.isclose(rotation[1], np.deg2rad(15)) and np.isclose(rotation[0], -np.deg2rad(15))
    assert not dummy and all(size >= patch for size, patch in zip(initial, [56, 48], strict=True))


def test_3d_and_both_multitask_families_keep_positions():
    assert issubclass(nnUNetTrainerMultiTaskLesionWeighted, PositionalAugmentation)
    _, (rotation, _, initial, mirror) = _augmentation(nnUNetTrainerMultiTaskLesionWeighted, [24, 56, 48])
    assert mirror is None and np.isclose(rotation[1], np.deg2rad(15)) and len(initial) == 3
