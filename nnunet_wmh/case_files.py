"""Case files by nnU-Net's naming, and the grid checks between a prediction and its companion maps.

nnU-Net writes one prediction per case, ``CASE.nii.gz``; references, region maps, ventricle maps and brain
masks are found under the same name in their folders, images as ``CASE_0000.nii.gz`` (nnU-Net's first
channel) or ``CASE.nii.gz``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from nnunet_wmh.errors import ImageReadError, InputDataError, UsageError
from nnunet_wmh.io import NIFTI_SUFFIXES, Geometry, geometry_differences, load_nifti

#: Largest allowed difference of spacing, origin (mm) and direction cosines between a prediction and a
#: map on its grid (nnU-Net writes predictions through SimpleITK, which moves them by far less).
GEOMETRY_TOLERANCE_MM = 1e-4


def nifti_cases(folder: str | os.PathLike[str]) -> dict[str, Path]:
    """``{case: path}`` of the ``CASE.nii.gz`` / ``CASE.nii`` files in a folder (hidden files skipped)."""
    cases: dict[str, Path] = {}
    for path in sorted(Path(folder).iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        for suffix in NIFTI_SUFFIXES:
            if path.name.endswith(suffix):
                cases.setdefault(path.name[: -len(suffix)], path)
                break
    return cases


def require_folder(folder: str | os.PathLike[str], what: str) -> Path:
    """The folder as a Path; UsageError naming it if it does not exist."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"{what} folder {folder} does not exist")
    return folder


#: Placeholders of a companion-file pattern (``--regions 'maps/{site}/{subject}/regions.nii.gz'``).
PATTERN_FIELDS = ("case", "subject", "session", "site")


def _pattern_files(
    cases: Sequence[str], pattern: str, what: str, fields: Mapping[str, Mapping[str, str]]
) -> tuple[dict[str, Path], list[InputDataError]]:
    files, problems = {}, []
    for case in cases:
        values = {"case": case, **{k: fields.get(case, {}).get(k, "") for k in PATTERN_FIELDS if k != "case"}}
        try:
            path = Path(pattern.format(**values)).expanduser()
        except (KeyError, IndexError, ValueError) as exc:
            placeholders = ", ".join(f"{{{k}}}" for k in PATTERN_FIELDS)
            raise UsageError(f"{what} pattern {pattern!r}: {exc}; use {placeholders}") from None
        if path.is_file():
            files[case] = path
        else:
            problems.append(InputDataError(case, str(path), f"no {what} (from the pattern {pattern})"))
    return files, problems


def companion_files(
    cases: Sequence[str],
    folder: str | os.PathLike[str],
    what: str,
    *,
    channel_suffix: bool = False,
    fields: Mapping[str, Mapping[str, str]] | None = None,
) -> tuple[dict[str, Path], list[InputDataError]]:
    """Find ``FOLDER/CASE.nii.gz`` (or ``CASE_0000.nii.gz`` with ``channel_suffix``) for every case.

    ``folder`` may instead be a pattern with ``{case}``, ``{subject}``, ``{session}`` and ``{site}``
    (the last three from ``conversion.tsv``, given as ``fields``), e.g. the per-subject maps of
    ``nnunet_wmh regions --source``: ``'regions/{site}/{subject}/regions.nii.gz'``.

    Returns
    -------
    files, problems
        The files found, and one problem per case without one.
    """
    if "{" in str(folder):
        return _pattern_files(cases, str(folder), what, fields or {})
    folder = require_folder(folder, what)
    available = nifti_cases(folder)
    files, problems = {}, []
    for case in cases:
        names = (f"{case}_0000", case) if channel_suffix else (case,)
        found = next((available[name] for name in names if name in available), None)
        if found is None:
            expected = " or ".join(f"{name}.nii.gz" for name in names)
            problems.append(InputDataError(case, str(folder), f"no {what} {expected}"))
        else:
            files[case] = found
    return files, problems


def grid_problems(
    case: str, prediction: Path, others: Mapping[str, Path], *, tolerance_mm: float = GEOMETRY_TOLERANCE_MM
) -> list[InputDataError]:
    """Check from the headers that each companion map lies on the prediction's grid.

    Parameters
    ----------
    case
        Case id, for messages.
    prediction
        The prediction file (the reference grid of the check).
    others
        ``{what: path}``, e.g. ``{"region map": ...}``; messages name both files.
    tolerance_mm
        Largest allowed difference of spacing, origin (mm) and direction cosines.
    """
    if not others:
        return []
    try:
        grid = Geometry.of(load_nifti(prediction))
    except ImageReadError as exc:
        return [InputDataError(case, exc.path, exc.problem)]
    problems = []
    for what, path in others.items():
        try:
            geometry = Geometry.of(load_nifti(path))
        except ImageReadError as exc:
            problems.append(InputDataError(case, exc.path, exc.problem))
            continue
        if len(geometry.shape) < 3 or len(grid.shape) != 3:
            problems.append(
                InputDataError(case, str(path), f"shape {geometry.shape} and {prediction} {grid.shape}: not 3-D")
            )
            continue
        if what == "image" and len(geometry.shape) > 3:  # an image may carry a singleton 4th axis
            geometry = Geometry(geometry.shape[:3], geometry.spacing, geometry.origin, geometry.direction)
        differences = geometry_differences(
            geometry,
            grid,
            reference_name=f"prediction {prediction}",
            tolerance_mm=tolerance_mm,
            spacing_rtol=0.0,
            spacing_atol=tolerance_mm,
        )
        problems += [InputDataError(case, str(path), f"{what}: {text}") for text in differences]
    return problems
