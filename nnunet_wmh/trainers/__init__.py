"""nnU-Net trainer subclasses, found by stock ``nnUNetv2_train``/``nnUNetv2_predict`` through nnU-Net's
``nnUNet_extTrainer`` variable::

    export nnUNet_extTrainer=$(nnunet_wmh trainers-path)

nnU-Net imports every file of this folder as a *top-level* module, so the files have unique names and
absolute imports only, and everything that must be pickled lives in ordinary package modules
(:mod:`nnunet_wmh.training.augmentation`, :mod:`nnunet_wmh.training.support`).
"""

from nnunet_wmh.nnunet.trainer_search import trainers_path

__all__ = ["trainers_path"]
