"""Seeded training: the same seed gives the same draws; augmentation moves into the training process only
while the data loaders are built; without the variable the trainer is nnU-Net's, unchanged."""

import os

import numpy as np
import pytest
import torch

from nnunet_wmh.training.seeding import SEED_VARIABLE, SeededTraining, training_seed


class _Trainer:
    """What SeededTraining needs of nnU-Net's trainer: initialize() draws the network's first weights."""

    def __init__(self, fold=0):
        self.fold, self.was_initialized, self.logged = fold, False, []

    def print_to_log_file(self, *args):
        self.logged.append(" ".join(str(a) for a in args))

    def initialize(self):
        self.weights = (torch.rand(3), np.random.rand(3))
        self.was_initialized = True

    def get_dataloaders(self):
        return os.environ.get("nnUNet_n_proc_DA")


class _Seeded(SeededTraining, _Trainer):
    pass


def test_the_same_seed_gives_the_same_first_weights_and_each_fold_its_own(monkeypatch):
    monkeypatch.setenv(SEED_VARIABLE, "12345")
    runs = []
    for fold in (0, 0, 1):
        trainer = _Seeded(fold)
        trainer.initialize()
        runs.append(trainer.weights)
    assert torch.equal(runs[0][0], runs[1][0]) and np.array_equal(runs[0][1], runs[1][1])
    assert not torch.equal(runs[0][0], runs[2][0])
    assert "training seeded with 12345" in trainer.logged[0]


def test_augmentation_runs_in_the_training_process_only_while_the_loaders_are_built(monkeypatch):
    monkeypatch.setenv(SEED_VARIABLE, "1")
    monkeypatch.setenv("nnUNet_n_proc_DA", "6")
    assert _Seeded().get_dataloaders() == "0"
    assert os.environ["nnUNet_n_proc_DA"] == "6"
    monkeypatch.delenv("nnUNet_n_proc_DA")
    assert _Seeded().get_dataloaders() == "0" and "nnUNet_n_proc_DA" not in os.environ


def test_without_the_variable_nothing_changes(monkeypatch):
    monkeypatch.delenv(SEED_VARIABLE, raising=False)
    monkeypatch.setenv("nnUNet_n_proc_DA", "6")
    trainer = _Seeded()
    trainer.initialize()
    assert trainer.logged == [] and trainer.get_dataloaders() == "6" and training_seed() is None


def test_a_seed_that_is_not_a_number_stops_the_training(monkeypatch):
    monkeypatch.setenv(SEED_VARIABLE, "abc")
    with pytest.raises(ValueError, match="expected a whole number"):
        _Seeded().initialize()
