"""Folders of case files by nnU-Net's naming, and the grid checks between a prediction and its companions.

nnU-Net writes one prediction per case, ``CASE.nii.gz``; references, region maps, ventricle maps and brain
masks are found under the same name in their folders, images as ``CASE_0000.nii.gz`` (nnU-Net's first
channel) or ``CASE.nii.gz``. A companion may also be given by a pattern (``maps/{site}/{subject}.nii.gz``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from nnunet_wmh.conversion_table import CaseInfo
from nnunet_wmh.errors import ImageReadError, InputDataError, UsageError
from nnunet_wmh.geometry import Geometry, prediction_grid_differences
from nnunet_wmh.io import dimension_problem, load_nifti, nifti_stem


def require_folder(folder: str | os.PathLike[str], parameter: str) -> Path:
    """The folder given as ``parameter`` as a Path; UsageError if it is missing or a file."""
    folder = Path(folder)
    if folder.is_file():
        raise UsageError(f"`{parameter}` {folder} is a file; expected a folder", parameter)
    if not folder.is_dir():
        raise UsageError(f"`{parameter}` folder {folder} does not exist", parameter)
    return folder


def nifti_cases(folder: str | os.PathLike[str]) -> tuple[dict[str, Path], list[InputDataError]]:
    """The ``CASE.nii.gz`` / ``CASE.nii`` files of a folder (hidden files skipped).

    Returns
    -------
    cases, problems
        ``{case: path}``, and one problem per case that has two files (``CASE.nii.gz`` beside
        ``CASE.nii``): which one is meant cannot be told, so neither is taken.
    """
    found: dict[str, list[Path]] = {}
    for path in sorted(Path(folder).iterdir()):
        case = nifti_stem(path)
        if case is None or path.name.startswith(".") or not path.is_file():
            continue
        found.setdefault(case, []).append(path)
    problems = [
        InputDataError(
            case, str(paths[0].parent), f"two files for one case ({', '.join(p.name for p in paths)}); keep one"
        )
        for case, paths in found.items()
        if len(paths) > 1
    ]
    return {case: paths[0] for case, paths in found.items() if len(paths) == 1}, problems


#: Placeholders of a companion-file pattern (``--regions 'maps/{site}/{subject}/regions.nii.gz'``).
PATTERN_FIELDS = ("case", "subject", "session", "site")


def _pattern_files(
    cases: Sequence[str], pattern: str, what: str, parameter: str, info: Mapping[str, CaseInfo]
) -> tuple[dict[str, Path], list[InputDataError]]:
    files, problems = {}, []
    for case in cases:
        known = info.get(case)
        values = {"case": case, "subject": "", "session": "", "site": ""}
        if known is not None:
            values.update(subject=known.subject, session=known.session, site=known.site)
        try:
            path = Path(pattern.format(**values)).expanduser().absolute()
        except (KeyError, IndexError, ValueError) as exc:
            placeholders = ", ".join(f"{{{k}}}" for k in PATTERN_FIELDS)
            raise UsageError(f"`{parameter}` pattern {pattern!r}: {exc}; use {placeholders}", parameter) from None
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
    parameter: str,
    channel_suffix: bool = False,
    info: Mapping[str, CaseInfo] | None = None,
) -> tuple[dict[str, Path], list[InputDataError]]:
    """Find ``FOLDER/CASE.nii.gz`` (or ``CASE_0000.nii.gz`` with ``channel_suffix``) for every case.

    ``folder`` may instead be a pattern with ``{case}``, ``{subject}``, ``{session}`` and ``{site}``
    (the last three from ``conversion.tsv``, given as ``info``), e.g. the per-subject maps of
    ``nnunet_wmh regions --source``: ``'regions/{site}/{subject}/regions.nii.gz'``.

    Parameters
    ----------
    parameter
        The option that gave ``folder``, for messages.

    Returns
    -------
    files, problems
        The files found, and one problem per case without one (or with two).
    """
    if "{" in str(folder):
        return _pattern_files(cases, str(folder), what, parameter, info or {})
    folder = require_folder(folder, parameter)
    available, duplicates = nifti_cases(folder)
    duplicate_of = {problem.subject: problem for problem in duplicates}
    files, problems = {}, []
    for case in cases:
        names = (f"{case}_0000", case) if channel_suffix else (case,)
        found = next((available[name] for name in names if name in available), None)
        clash = next((duplicate_of[name] for name in names if name in duplicate_of), None)
        if found is not None and clash is None:
            files[case] = found
        elif clash is not None:
            problems.append(InputDataError(case, clash.path, f"{what}: {clash.problem}"))
        else:
            expected = " or ".join(f"{name}.nii.gz" for name in names)
            problems.append(InputDataError(case, str(folder.absolute()), f"no {what} {expected}"))
    return files, problems


def grid_problems(case: str, prediction: Path, others: Mapping[str, Path]) -> list[InputDataError]:
    """Check from the headers that each companion map lies on the prediction's grid (spacing, origin and
    direction within 1e-4 mm; an image may carry a fourth axis of length 1).

    Parameters
    ----------
    case
        Case id, for messages.
    prediction
        The prediction file (the reference grid of the check).
    others
        ``{what: path}``, e.g. ``{"region map": ...}``; messages name both files.
    """
    if not others:
        return []
    try:
        image = load_nifti(prediction)
    except ImageReadError as exc:
        return [InputDataError(case, exc.path, exc.problem)]
    shape_problem = dimension_problem(tuple(int(s) for s in image.shape))
    if shape_problem:
        return [InputDataError(case, str(prediction), f"prediction: {shape_problem}")]
    grid = Geometry.of(image)
    problems = []
    for what, path in others.items():
        try:
            image = load_nifti(path)
        except ImageReadError as exc:
            problems.append(InputDataError(case, exc.path, f"{what}: {exc.problem}"))
            continue
        shape_problem = dimension_problem(tuple(int(s) for s in image.shape))
        if shape_problem:
            problems.append(InputDataError(case, str(path), f"{what}: {shape_problem}"))
            continue
        differences = prediction_grid_differences(Geometry.of(image), grid, reference_name=f"prediction {prediction}")
        problems += [InputDataError(case, str(path), f"{what}: {text}") for text in differences]
    return problems
