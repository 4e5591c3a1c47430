"""What a source reader returns."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from nnunet_wmh.cohorts.subject import Subject
from nnunet_wmh.errors import InputDataError

NIFTI_ENDINGS = (".nii.gz", ".nii")


@dataclass
class SourceContents:
    """Subjects found in a source, split into training and test, plus what the reader noticed.

    Attributes
    ----------
    layout
        ``"wmh2017"``, ``"bids"`` or ``"manifest"``.
    root
        The source folder (or the manifest file).
    train, test
        Subject records; ``test`` is empty unless the source holds a test split.
    region_table
        A region table found in the source (``regions.tsv``, BIDS ``*dseg.tsv``), or None.
    problems
        Per-subject problems found while reading (ambiguous files, duplicate rows); reported together
        with the validation problems.
    """

    layout: str
    root: Path
    train: list[Subject] = field(default_factory=list)
    test: list[Subject] = field(default_factory=list)
    region_table: Path | None = None
    problems: list[InputDataError] = field(default_factory=list)


def nifti_files(folder: Path, stem: str) -> list[Path]:
    """Those of ``folder/stem.nii.gz`` and ``folder/stem.nii`` that exist."""
    return [folder / f"{stem}{ending}" for ending in NIFTI_ENDINGS if (folder / f"{stem}{ending}").is_file()]


def natural_key(text: str) -> tuple:
    """Sort key that orders ``"2"`` before ``"10"``."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))
