"""The record every source reader produces: one subject (or one session of a subject) and its files."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from nnunet_wmh.modalities import (  # re-exported: the subject record is where most callers meet them
    KNOWN_MODALITIES,
    MODALITIES,
    MODALITY_NAMES,
    ZERO,
    Modality,
    other_modalities,
    parse_modalities,
)

__all__ = [
    "KNOWN_MODALITIES", "MODALITIES", "MODALITY_NAMES", "ZERO", "Modality", "Subject", "found_files", "image_fields",
    "parse_modalities",
]  # fmt: skip


def image_fields(images: Mapping[Modality, Path | None]) -> dict[str, object]:
    """:class:`Subject` keyword arguments for images by modality: ``flair``, ``t1`` and ``others``."""
    others = tuple((m, images[m]) for m in other_modalities(KNOWN_MODALITIES) if images.get(m) is not None)
    return {"flair": images.get("flair"), "t1": images.get("t1"), "others": others}


def found_files(files: Mapping[str, Path | None], modalities: Iterable[Modality]) -> dict[str, object]:
    """:class:`Subject` keyword arguments for what a cohort reader found: the images of ``modalities`` and the
    lesion and region maps (``files`` is keyed by modality, ``"lesion"`` and ``"regions"``; None where absent)."""
    images = image_fields({m: files[m] for m in modalities})
    return {**images, "lesion": files["lesion"], "regions": files["regions"]}


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
    others
        Images of the other modalities read (``t2``, ``pd``, ...): ``(modality, path)`` pairs.
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
    others: tuple[tuple[Modality, Path], ...] = ()
    lesion: Path | None = None
    regions: Path | None = None
    split: str = "train"
    expected: tuple[tuple[str, str], ...] = ()
    ambiguous: tuple[str, ...] = ()

    @property
    def reference_image(self) -> Path | None:
        """The image whose grid label maps written for this subject take: FLAIR, else T1, else another."""
        return self.flair or self.t1 or next((path for _, path in self.others), None)

    def image(self, modality: Modality) -> Path | None:
        """Path of the image of ``modality`` (``"flair"``, ``"t1"``, ``"t2"``, ...), None where absent."""
        if modality == "flair":
            return self.flair
        if modality == "t1":
            return self.t1
        return dict(self.others).get(modality)

    def modalities(self, order: Sequence[Modality] = KNOWN_MODALITIES) -> tuple[Modality, ...]:
        """The modalities among ``order`` this subject has, in that order (default: FLAIR, T1, T2, ...)."""
        return tuple(m for m in order if self.image(m) is not None)

    def with_image(self, modality: Modality, path: Path | None) -> Subject:
        """A copy with the image of ``modality`` replaced (None removes it)."""
        images = {m: self.image(m) for m in self.modalities()}
        return replace(self, **image_fields({**images, modality: path}))

    def without(self, modality: Modality) -> Subject:
        """A copy with one modality removed (``convert``'s ``drop_modality``)."""
        return self.with_image(modality, None)

    def file(self, kind: str) -> Path | None:
        """The file of ``kind``: an image (``flair``, ``t2``, ...), ``lesion`` or ``regions``; None where absent."""
        return self.image(kind) if kind in KNOWN_MODALITIES else getattr(self, kind)

    def where(self, kind: str) -> str:
        """Where the file of ``kind`` is, or was looked for, as messages show it."""
        path = self.file(kind)
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
