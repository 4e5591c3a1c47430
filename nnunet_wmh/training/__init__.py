"""Pieces of the nnU-Net trainers that must be importable and picklable: they live here, not in the
``nnUNet_extTrainer`` folder (:mod:`nnunet_wmh.trainers`), whose files nnU-Net imports as top-level modules
and drops from ``sys.modules`` again.

* :mod:`~nnunet_wmh.training.augmentation`: the modality-dropout transform and where it goes in nnU-Net's
  pipeline;
* :mod:`~nnunet_wmh.training.support`: dataset checks and the lesion-weighted loss.
"""
