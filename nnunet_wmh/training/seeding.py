"""Repeatable training on the CPU: a trainer mixin that seeds every random draw of nnU-Net's training.

nnU-Net's training is not repeatable: the network's initial weights come from torch's unseeded generator,
and data augmentation runs in worker processes that seed themselves from the operating system. With the
variable :data:`SEED_VARIABLE` set to a whole number (``nnunet_wmh study --deterministic`` sets it to the
study's seed), :class:`SeededTraining` seeds Python's, NumPy's and torch's generators before the network is
built and runs data augmentation in the training process, where those generators are the ones drawn from.
Two trainings of the same dataset, fold and trainer on the same machine, with the same number of CPU threads,
then give the same checkpoint. torch sums in another order with another thread count (a SLURM job given fewer
CPUs than the machine has: OMP_NUM_THREADS), which moves weights by about 1e-6; on a GPU, cuDNN's kernels may
differ between runs. Without the variable the trainer is nnU-Net's, unchanged.

The price is speed: augmentation no longer overlaps with the network's steps.
"""

# No `from __future__ import annotations` here: trainers keep nnU-Net's exact signatures, annotations included.
import contextlib
import os
import random

import numpy as np
import torch

#: The environment variable holding the training seed (read when a training starts, not at import).
SEED_VARIABLE = "nnunet_wmh_training_seed"


def training_seed():
    """The seed of :data:`SEED_VARIABLE`, or None when it is not set.

    Raises
    ------
    ValueError
        The variable is set to something other than a whole number (the training stops before it starts).
    """
    text = os.environ.get(SEED_VARIABLE, "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{SEED_VARIABLE}={text!r}: expected a whole number") from None


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and torch's (CPU and CUDA) generators."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


@contextlib.contextmanager
def _environment(name: str, value: str):
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


class SeededTraining:
    """Mixin (first in a trainer's bases): seeded, repeatable training when :data:`SEED_VARIABLE` is set."""

    def initialize(self):
        """Seed the generators, then nnU-Net's initialization (which builds the network)."""
        seed = training_seed()
        if seed is not None and not self.was_initialized:
            seed_everything(seed + int(self.fold) if str(self.fold).isdigit() else seed)
            self.print_to_log_file(f"nnunet_wmh: training seeded with {seed} (fold {self.fold}); augmentation in "
                                   "the training process")  # fmt: skip
        super().initialize()

    def get_dataloaders(self):
        """nnU-Net's data loaders; seeded: augmentation in this process (nnUNet_n_proc_DA=0)."""
        if training_seed() is None:
            return super().get_dataloaders()
        with _environment("nnUNet_n_proc_DA", "0"):
            return super().get_dataloaders()
