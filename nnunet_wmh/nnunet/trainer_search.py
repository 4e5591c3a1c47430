"""Where nnU-Net finds trainer classes: ``nnUNet_extTrainer``, with nnunet_wmh's trainers first.

nnU-Net imports every file of each folder listed in ``nnUNet_extTrainer`` as a top-level module and looks
for the trainer class by name there; :func:`trainer_search_path` is what the commands nnunet_wmh starts get,
and :func:`trainer_search` lets nnU-Net find them while a model loads in this process.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

TRAINER_PATH_VARIABLE = "nnUNet_extTrainer"


def trainers_path() -> Path:
    """The folder of nnunet_wmh's trainers, to put in ``nnUNet_extTrainer`` (:mod:`nnunet_wmh.trainers`)."""
    return Path(__file__).resolve().parent.parent / "trainers"


def trainer_search_path(extra: Sequence[str | os.PathLike[str]] = ()) -> str:
    """``nnUNet_extTrainer``: nnunet_wmh's trainer folder, then ``extra`` folders, joined by os.pathsep."""
    return os.pathsep.join([str(trainers_path()), *(str(Path(p).absolute()) for p in extra)])


def extended_trainer_search(extra: Sequence[str | os.PathLike[str]]) -> str:
    """``nnUNet_extTrainer`` extended, not replaced: nnunet_wmh's trainers, ``extra`` folders, then the folders
    this process's ``nnUNet_extTrainer`` already lists (read now)."""
    return os.pathsep.join(filter(None, (trainer_search_path(extra), os.environ.get(TRAINER_PATH_VARIABLE))))


@contextlib.contextmanager
def trainer_search(extra: Sequence[str | os.PathLike[str]]) -> Iterator[None]:
    """Let nnU-Net find the trainers of :func:`extended_trainer_search` while the block runs (a model loads)."""
    previous = os.environ.get(TRAINER_PATH_VARIABLE)
    os.environ[TRAINER_PATH_VARIABLE] = extended_trainer_search(extra)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(TRAINER_PATH_VARIABLE, None)
        else:
            os.environ[TRAINER_PATH_VARIABLE] = previous
