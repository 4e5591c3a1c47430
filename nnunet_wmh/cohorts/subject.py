"""The record every source reader produces: one subject (or one session of a subject) and its files."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

Modality = Literal["flair", "t1"]
MODALITIES: tuple[Modality, ...] = ("flair", "t1")
#: Pseudo-modality of a channel filled with zeros (``convert``'s ``fill_missing="zero"``).
ZERO = "zero"
MODALITY_NAMES: dict[str, str] = {"flair": "FLAIR", "t1": "T1", ZERO: "zeros"}


@dataclass(frozen=True)
class Subject:
    """One scan session of one subject, with the paths of its files (None where absent).

    Attributes
    ----------
    subject
        Subject id as the user knows it (``"0"`` in the WMH 2017 tree, ``"sub-01"`` in BIDS).
    session
        Session id (``"ses-1"``) or None.
    site
        Scanner site or cohort (``"Utrecht"``, ``"Amsterdam/GE3T"``), ``""`` when unknown.
    root
        Folder that file names in messages are relative to (the source folder or the manifest's).
    key
        How messages name this record: ``"Utrecht/0"``, ``"sub-01/ses-1"``.
    group
        Cross-validation group: every session and variant of one subject shares it.
    flair, t1
        Image paths.
    lesion
        Lesion label map (0 background, 1 WMH, 2 other pathology).
    regions
        Region label map (integer region ids, 0 outside every region).
    split
        ``"train"`` or ``"test"``.
    expected
        ``(kind, where)`` pairs telling where an absent file was looked for (kind is ``flair``, ``t1``,
        ``lesion`` or ``regions``), so messages can name it.
    ambiguous
        Kinds for which the reader found several files and took none (it reported that already, so
        validation does not report the file as missing too).
    """

    subject: str
    session: str | None
    site: str
    root: Path
    key: str
    group: str
    flair: Path | None = None
    t1: Path | None = None
    lesion: Path | None = None
    regions: Path | None = None
    split: str = "train"
    expected: tuple[tuple[str, str], ...] = ()
    ambiguous: tuple[str, ...] = ()

    @property
    def reference_image(self) -> Path | None:
        """The image whose grid label maps written for this subject take: FLAIR, else T1."""
        return self.flair or self.t1

    def image(self, modality: Modality) -> Path | None:
        """Path of ``"flair"`` or ``"t1"``."""
        return self.flair if modality == "flair" else self.t1

    def modalities(self) -> tuple[Modality, ...]:
        """The modalities this subject has, in channel order (FLAIR first)."""
        return tuple(m for m in MODALITIES if self.image(m) is not None)

    def without(self, modality: Modality) -> Subject:
        """A copy with one modality removed (``convert``'s ``drop_modality``)."""
        return replace(self, **{modality: None})

    def where(self, kind: str) -> str:
        """Where the file of ``kind`` is, or was looked for, as messages show it."""
        path = getattr(self, kind)
        if path is not None:
            return self.relative(path)
        return dict(self.expected).get(kind, f"({kind})")

    def relative(self, path: Path | None) -> str:
        """A path as messages show it: relative to the subject's root where possible."""
        if path is None:
            return "?"
        try:
            return os.path.relpath(path, self.root) if Path(path).is_absolute() else str(path)
        except ValueError:  # another drive on Windows
            return str(path)
