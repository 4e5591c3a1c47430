"""Augmentation for labels defined by position: anatomical regions (left/right, lobe, depth).

nnU-Net's default augmentation mirrors every axis and, for a 2-D configuration with a square patch, rotates by
up to ±180°. For lesions that is harmless (a mirrored lesion is still a lesion); for regions it is fatal: a
left-right mirror turns every left region into the right one, a half-turn turns frontal into occipital, so the
network is taught contradicting labels for the same image and learns none of them (the multi-task models of
``nnunet_wmh study`` reached a region Dice near 0 with nnU-Net's default augmentation). A brain scan comes in
a known orientation, so :class:`PositionalAugmentation` trains without mirroring (and predicts without
mirrored test-time augmentation, which would average left and right) and rotates by at most
:attr:`~PositionalAugmentation.max_rotation_degrees`, enough for head tilt.

It lives in an ordinary package module (not in the ``nnUNet_extTrainer`` folder), so every trainer file can
import it by its package path.
"""

import numpy as np
from nnunetv2.training.data_augmentation.compute_initial_patch_size import get_patch_size

from nnunet_wmh.training.setup import TrainerSetup

#: nnU-Net's range of scaling used to size the patch drawn before augmentation.
_SCALE_RANGE = (0.85, 1.25)


class PositionalAugmentation(TrainerSetup):
    """Mixin: no mirroring (training and test-time), rotation within ±``max_rotation_degrees``."""

    #: Largest rotation (degrees) about any axis: a tilted head, not a turned-around one.
    max_rotation_degrees: float = 15.0

    def configure_rotation_dummyDA_mirroring_and_inital_patch_size(self):
        """nnU-Net's hook (its spelling): rotation, 2-D augmentation of anisotropic 3-D data, the patch drawn
        before augmentation, and the mirrored axes (none)."""
        _, dummy_2d, _, _ = super().configure_rotation_dummyDA_mirroring_and_inital_patch_size()
        patch_size = self.configuration_manager.patch_size
        dim = len(patch_size)
        angle = float(np.deg2rad(self.max_rotation_degrees))
        rotation = (-angle, angle)
        initial_patch_size = get_patch_size(patch_size[-dim:], rotation, rotation, rotation, _SCALE_RANGE)
        if dummy_2d:
            initial_patch_size[0] = patch_size[0]
        self.inference_allowed_mirroring_axes = None
        self.print_to_log_file(
            f"positional labels: no mirroring, rotation within ±{self.max_rotation_degrees:g} degrees"
        )
        return rotation, dummy_2d, initial_patch_size, None
