"""nnU-Net trainer subclasses, found by nnU-Net through ``nnUNet_extTrainer`` (added by a later issue)."""
