"""Prints the folder of nnunet_wmh's nnU-Net trainers. Use as: export nnUNet_extTrainer=$(nnunet_wmh trainers-path)"""

from __future__ import annotations

import argparse

from nnunet_wmh.cli.formatting import EXIT_OK
from nnunet_wmh.nnunet.trainer_search import trainers_path

NAME = "trainers-path"
SUMMARY = "print the folder of nnunet_wmh's nnU-Net trainers (for nnUNet_extTrainer)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``trainers-path`` takes no flags of its own."""


def run(args: argparse.Namespace) -> int:
    """Print the folder."""
    print(trainers_path())
    return EXIT_OK
