"""Reader for the released MICCAI WMH Segmentation Challenge 2017 tree.

::

    ROOT/training/<site>/<id>/pre/FLAIR.nii.gz   (also orig/)
    ROOT/training/<site>/<id>/pre/T1.nii.gz
    ROOT/training/<site>/<id>/pre/T2.nii.gz      other modalities (PD, T2star, SWI), read when asked for
    ROOT/training/<site>/<id>/wmh.nii.gz         0 background, 1 WMH, 2 other pathology
    ROOT/training/<site>/<id>/regions.nii.gz     optional region map (nnunet_wmh's addition)
    ROOT/test/<site>/<id>/...

Sites may be nested (``Amsterdam/GE3T``) and oddly named (``Amsterdam/Philips_VU .PETMR_01.``). ROOT may
also be a single split folder (the sites directly below it).
"""

from __future__ import annotations

import os
from pathlib import Path

from nnunet_wmh.cohorts.contents import SourceContents, natural_key, nifti_files
from nnunet_wmh.cohorts.subject import MODALITIES, MODALITY_NAMES, Modality, Subject, found_files
from nnunet_wmh.errors import InputDataError

SPLIT_FOLDERS = {"train": "training", "test": "test"}
IMAGE_FOLDERS = ("pre", "orig")
REGION_TABLE_NAMES = ("regions.tsv", "regions.csv", "regions.txt")
MAX_DEPTH = 4


def is_subject_folder(folder: Path) -> bool:
    """A challenge subject folder holds ``pre/`` or ``orig/`` or ``wmh.nii.gz``."""
    return any((folder / name).is_dir() for name in IMAGE_FOLDERS) or (folder / "wmh.nii.gz").is_file()


def find_subject_folders(split_folder: Path) -> list[Path]:
    """Subject folders below a split folder (up to four levels deep), in site then natural id order."""
    found = []
    for current, folders, _files in os.walk(split_folder):
        depth = len(Path(current).relative_to(split_folder).parts)
        here = Path(current)
        if depth > 0 and is_subject_folder(here):
            found.append(here)
            folders.clear()
        elif depth >= MAX_DEPTH:
            folders.clear()
        folders.sort()
    return sorted(found, key=lambda f: (str(f.parent), natural_key(f.name)))


def looks_like_wmh2017(root: Path) -> bool:
    """Whether ``root`` is a challenge tree (or one split folder of it)."""
    if any((root / name).is_dir() for name in SPLIT_FOLDERS.values()):
        return True
    return bool(find_subject_folders(root)) if root.is_dir() else False


def _subject(
    folder: Path,
    split_folder: Path,
    split: str,
    images: str,
    modalities: tuple[Modality, ...],
    problems: list[InputDataError],
) -> Subject:
    site = folder.parent.relative_to(split_folder).as_posix()
    site = "" if site == "." else site
    key = f"{site}/{folder.name}" if site else folder.name
    image_folder = folder / images
    candidates = {
        **{m: nifti_files(image_folder, MODALITY_NAMES[m]) for m in modalities},
        "lesion": nifti_files(folder, "wmh"),
        "regions": nifti_files(folder, "regions"),
    }
    ambiguous = tuple(kind for kind, found in candidates.items() if len(found) > 1)
    for kind in ambiguous:
        names = ", ".join(p.name for p in candidates[kind])
        where = candidates[kind][0].relative_to(folder).as_posix()
        problems.append(InputDataError(key, where, f"two files for one image ({names}); keep one"))
    files = {kind: found[0] if len(found) == 1 else None for kind, found in candidates.items()}
    return Subject(
        subject=folder.name,
        session=None,
        site=site,
        root=folder,
        key=key,
        group=key,
        **found_files(files, modalities),
        split=split,
        expected=(
            *((m, f"{images}/{MODALITY_NAMES[m]}.nii.gz") for m in modalities),
            ("lesion", "wmh.nii.gz"),
            ("regions", "regions.nii.gz"),
        ),
        ambiguous=ambiguous,
    )


def read_wmh2017(root: Path, *, images: str = "pre", modalities: tuple[Modality, ...] = MODALITIES) -> SourceContents:
    """Read a challenge tree.

    Parameters
    ----------
    root
        The tree root (with ``training/`` and/or ``test/``) or one split folder.
    images
        ``"pre"`` (T1 registered to FLAIR, bias-corrected; default) or ``"orig"``.
    modalities
        The images to look for: ``FLAIR``, ``T1``, ``T2``, ``PD``, ``T2star``, ``SWI`` (``.nii.gz`` or ``.nii``).
    """
    contents = SourceContents(layout="wmh2017", root=root)
    split_folders = {split: root / name for split, name in SPLIT_FOLDERS.items() if (root / name).is_dir()}
    if not split_folders:
        split_folders = {"train": root}
    for split, split_folder in split_folders.items():
        subjects = [
            _subject(f, split_folder, split, images, modalities, contents.problems)
            for f in find_subject_folders(split_folder)
        ]
        getattr(contents, split).extend(subjects)
    for folder in (root, root.parent):
        for name in REGION_TABLE_NAMES:
            if (folder / name).is_file() and contents.region_table is None:
                contents.region_table = folder / name
    return contents
