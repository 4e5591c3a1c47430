"""One subject given as files (``segment --flair F --t1 T``) instead of a cohort."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from nnunet_wmh.cohorts.subject import Subject, image_fields
from nnunet_wmh.errors import UsageError
from nnunet_wmh.modalities import parse_modalities

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class SubjectFiles:
    """One subject's images, by modality.

    Attributes
    ----------
    flair, t1
        The FLAIR and T1 images (either may be None).
    others
        Images of other modalities: ``{"t2": "sub-01_T2w.nii.gz"}``.
    subject_id
        The subject's id in the outputs.
    """

    flair: PathLike | None = None
    t1: PathLike | None = None
    others: Mapping[str, PathLike] = field(default_factory=dict)
    subject_id: str = "01"

    def images(self) -> dict[str, Path]:
        """``{modality: absolute path}`` of the images given."""
        given = {"flair": self.flair, "t1": self.t1, **self.others}
        return {k: Path(v).expanduser().absolute() for k, v in given.items() if v is not None}

    def subject(self) -> Subject:
        """The one-subject cohort (a test subject).

        Raises
        ------
        UsageError
            No image, an unknown modality, or a file that does not exist (naming its modality: ``flair``,
            ``t1``, ``t2`` ...).
        """
        paths = self.images()
        if not paths:
            raise UsageError("give a cohort `source`, or `flair` and/or `t1` (or `others`) of one subject", "source")
        parse_modalities(list(paths), "others")
        for modality, path in paths.items():
            if not path.is_file():
                raise UsageError(f"`{modality}` {path}: no such file", modality)
        root = next(iter(paths.values())).parent
        sid = self.subject_id
        return Subject(sid, None, "", root, sid, sid, split="test", **image_fields(paths))
