"""Reader for BIDS datasets.

::

    ROOT/sub-X[/ses-Y]/anat/sub-X[_ses-Y][_entities]_FLAIR.nii.gz
    ROOT/sub-X[/ses-Y]/anat/sub-X[_ses-Y][_entities]_T1w.nii.gz
    ROOT/sub-X[/ses-Y]/anat/sub-X[_ses-Y][_entities]_T2w.nii.gz       (also _PDw, _T2starw, _swi: other
                                                                        modalities, read when asked for)
    DERIVATIVES/<pipeline>/sub-X[/ses-Y]/anat/..._desc-wmh_mask.nii.gz      lesion (0/1, or 0/1/2)
    DERIVATIVES/<pipeline>/sub-X[/ses-Y]/anat/..._desc-regions_dseg.nii.gz  region map

The derivatives folder defaults to ``ROOT/derivatives``. The site comes from a ``site`` column of
``participants.tsv`` where there is one. A region table is taken from a ``*dseg.tsv`` in the
derivatives.
"""

from __future__ import annotations

import csv
from pathlib import Path

from nnunet_wmh.cohorts.contents import NIFTI_ENDINGS, SourceContents, natural_key
from nnunet_wmh.cohorts.subject import MODALITIES, Modality, Subject, found_files
from nnunet_wmh.errors import InputDataError

IMAGE_SUFFIXES = {"flair": "_FLAIR", "t1": "_T1w", "t2": "_T2w", "pd": "_PDw", "t2star": "_T2starw", "swi": "_swi"}
LESION_MARKERS = ("desc-wmh", "label-wmh")
LESION_SUFFIXES = ("_mask", "_dseg")
REGION_MARKERS = ("desc-regions",)
REGION_SUFFIXES = ("_dseg",)


def looks_like_bids(root: Path) -> bool:
    """A BIDS root has ``dataset_description.json`` or ``sub-*`` folders."""
    return (root / "dataset_description.json").is_file() or any(p.is_dir() for p in root.glob("sub-*"))


def _strip_nifti(name: str) -> str | None:
    for ending in NIFTI_ENDINGS:
        if name.endswith(ending):
            return name[: -len(ending)]
    return None


def _matches(path: Path, stem_prefix: str, markers: tuple[str, ...], suffixes: tuple[str, ...]) -> bool:
    stem = _strip_nifti(path.name)
    if stem is None or not stem.startswith(stem_prefix + "_"):
        return False
    lowered = stem.lower()
    return lowered.endswith(suffixes) and any(f"_{m}_" in lowered + "_" for m in markers)


def _one(candidates: list[Path], key: str, root: Path, what: str, problems: list[InputDataError]) -> Path | None:
    if len(candidates) > 1:
        names = ", ".join(str(p.relative_to(root)) for p in candidates)
        problems.append(
            InputDataError(
                key,
                str(candidates[0].parent.relative_to(root)),
                f"{len(candidates)} {what} files match ({names}); keep one, give the `derivatives` folder of "
                "one pipeline, or list the files in a CSV manifest",
            )
        )
        return None
    return candidates[0] if candidates else None


def _sites(root: Path) -> dict[str, str]:
    participants = root / "participants.tsv"
    if not participants.is_file():
        return {}
    with open(participants, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return {row["participant_id"]: (row.get("site") or "").strip() for row in rows if row.get("participant_id")}


def _session_folders(root: Path) -> list[tuple[str, str | None, Path]]:
    sessions = []
    for subject_folder in sorted(root.glob("sub-*"), key=lambda p: natural_key(p.name)):
        if not subject_folder.is_dir():
            continue
        session_folders = sorted(
            (p for p in subject_folder.glob("ses-*") if p.is_dir()), key=lambda p: natural_key(p.name)
        )
        if session_folders:
            sessions += [(subject_folder.name, s.name, s) for s in session_folders]
        else:
            sessions.append((subject_folder.name, None, subject_folder))
    return sessions


def _image_kinds(modalities: tuple[Modality, ...]) -> dict[str, str]:
    """``{modality: "as messages name its file"}`` (``"T1w"``, ``"FLAIR"``)."""
    return {m: IMAGE_SUFFIXES[m].lstrip("_") for m in modalities}


def read_bids(
    root: Path, *, derivatives: Path | None = None, modalities: tuple[Modality, ...] = MODALITIES
) -> SourceContents:
    """Read a BIDS dataset (all subjects are training subjects; pass test data as a second source).

    Parameters
    ----------
    root
        The BIDS root.
    derivatives
        Folder searched for lesion and region maps; default ``root/derivatives``.
    modalities
        The images to look for (``_FLAIR``, ``_T1w``, ``_T2w``, ``_PDw``, ``_T2starw``, ``_swi``).
    """
    contents = SourceContents(layout="bids", root=root)
    derivatives = derivatives if derivatives is not None else root / "derivatives"
    derivative_files = sorted(derivatives.rglob("sub-*")) if derivatives.is_dir() else []
    sites = _sites(root)
    for subject_id, session, folder in _session_folders(root):
        prefix = subject_id if session is None else f"{subject_id}_{session}"
        key = subject_id if session is None else f"{subject_id}/{session}"
        anat = sorted((folder / "anat").glob("*")) if (folder / "anat").is_dir() else []
        own = [p for p in derivative_files if p.is_file() and p.name.startswith(prefix + "_")]
        candidates = {
            modality: [
                p for p in anat if (_strip_nifti(p.name) or "").endswith(suffix) and p.name.startswith(prefix + "_")
            ]
            for modality, suffix in IMAGE_SUFFIXES.items()
            if modality in modalities
        }
        candidates["lesion"] = [p for p in own if _matches(p, prefix, LESION_MARKERS, LESION_SUFFIXES)]
        candidates["regions"] = [p for p in own if _matches(p, prefix, REGION_MARKERS, REGION_SUFFIXES)]
        what = {**_image_kinds(modalities), "lesion": "lesion mask", "regions": "region map"}
        files = {kind: _one(found, key, root, what[kind], contents.problems) for kind, found in candidates.items()}
        anat_folder = folder.relative_to(root) / "anat"
        expected = (
            *((m, f"{anat_folder}/{prefix}_*{suffix}.nii.gz") for m, suffix in _image_kinds(modalities).items()),
            ("lesion", f"{derivatives.name}/*/{anat_folder}/{prefix}_*desc-wmh_mask.nii.gz"),
            ("regions", f"{derivatives.name}/*/{anat_folder}/{prefix}_*desc-regions_dseg.nii.gz"),
        )
        contents.train.append(
            Subject(
                subject=subject_id,
                session=session,
                site=sites.get(subject_id, ""),
                root=root,
                key=key,
                group=subject_id,
                **found_files(files, modalities),
                expected=expected,
                ambiguous=tuple(kind for kind, found in candidates.items() if len(found) > 1),
            )
        )
    if derivatives.is_dir():
        tables = sorted(derivatives.rglob("*dseg.tsv"), key=lambda p: ("regions" not in p.name, str(p)))
        contents.region_table = tables[0] if tables else None
    return contents
