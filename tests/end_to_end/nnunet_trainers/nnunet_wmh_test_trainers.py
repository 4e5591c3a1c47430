"""Tiny-schedule trainers for the end-to-end tests (2 epochs × 5 iterations, no final validation).

This folder is appended to ``nnUNet_extTrainer`` with ``os.pathsep`` by the tests; nnU-Net imports this
file as a top-level module, so imports are absolute.
"""

from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer

from nnunet_wmh.trainers.nnunet_wmh_modality_dropout import nnUNetTrainerModalityDropout
from nnunet_wmh.trainers.nnunet_wmh_multitask import nnUNetTrainerMultiTaskLesionWeighted
from nnunet_wmh.training.seeding import SeededTraining
from nnunet_wmh.training.setup import TrainerSetup


class _TinySchedule(SeededTraining, TrainerSetup):
    def configure(self, dataset_json: dict) -> None:
        super().configure(dataset_json)
        self.num_epochs = 2
        self.num_iterations_per_epoch = 5
        self.num_val_iterations_per_epoch = 2

    def perform_actual_validation(self, save_probabilities: bool = False):
        self.print_to_log_file("final validation skipped by the test trainer")


class nnUNetTrainerModalityDropout_tiny(_TinySchedule, nnUNetTrainerModalityDropout):
    pass


class nnUNetTrainerMultiTaskLesionWeighted_tiny(_TinySchedule, nnUNetTrainerMultiTaskLesionWeighted):
    pass


class nnUNetTrainer_tiny(_TinySchedule, nnUNetTrainer):
    pass
