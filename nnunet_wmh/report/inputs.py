"""The files of every case of a report: the prediction, and the maps and image found beside it.

Companion maps (regions, ventricles, brain mask, image) are found by case name in a folder, or by a pattern
with ``{case}``, ``{subject}``, ``{session}``, ``{site}`` (from ``conversion.tsv``). Every case is checked
from the headers before anything is measured: each map must lie on its prediction's grid, and every problem
of every case is listed at once.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from nnunet_wmh.case_files import companion_files, grid_problems
from nnunet_wmh.conversion_table import CaseInfo
from nnunet_wmh.errors import InputDataError, UsageError
from nnunet_wmh.labels.conventions import LabelConvention

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaseInputs:
    """The files of one case, what ``conversion.tsv`` says about it, and its BIDS names (if written)."""

    case: str
    prediction: Path
    regions: Path | None = None
    ventricles: Path | None = None
    brain_mask: Path | None = None
    image: Path | None = None
    info: CaseInfo | None = None
    bids: tuple[str, str | None, str] | None = None
    #: Extra qc.tsv columns of the case, ``(column, text)`` (``segment`` records its route and uncertainty here);
    #: a column named ``extra_flags`` joins the case's flag instead of being a column.
    qc_extra: tuple[tuple[str, str], ...] = ()
    #: Other images of the case on the prediction's grid, shown by the page's viewer beside ``image`` (``segment``:
    #: the T1 on the FLAIR grid).
    other_images: tuple[Path, ...] = ()


#: Companion maps: the parameter that gives them, how messages call them, whether images use ``_0000``.
COMPANIONS = (
    ("regions", "region map", False),
    ("ventricles", "ventricle map", False),
    ("brain_mask", "brain mask", False),
    ("images", "image", True),
)


def prediction_convention(prediction_dir: Path, dataset_json: str | os.PathLike[str] | None) -> LabelConvention:
    """How the predictions' labels read: the given dataset.json, else the one ``nnUNetv2_predict`` copies into
    its output folder, else the challenge's labels."""
    if dataset_json is not None:
        return LabelConvention.from_dataset_json(dataset_json)
    copied = prediction_dir / "dataset.json"
    if copied.is_file():
        try:
            return LabelConvention.from_dataset_json(copied)
        except UsageError as exc:
            logger.warning("ignoring %s (%s); reading predictions as challenge labels", copied, exc)
    return LabelConvention.challenge()


def find_case_inputs(
    predictions: Mapping[str, Path],
    cases: Sequence[str],
    info: Mapping[str, CaseInfo],
    companions: Mapping[str, str | os.PathLike[str] | None],
) -> tuple[list[CaseInputs], list[InputDataError]]:
    """The inputs of ``cases``, each companion map checked to lie on its prediction's grid.

    Parameters
    ----------
    predictions
        ``{case: prediction file}``.
    cases
        The cases of this run (a part of the cohort).
    info
        ``conversion.tsv`` rows by case (may be empty).
    companions
        ``{parameter: folder or pattern or None}`` for ``regions``, ``ventricles``, ``brain_mask``, ``images``.

    Returns
    -------
    inputs, problems
        One entry per case, and every problem found (missing or doubled files, grids that differ).
    """
    problems: list[InputDataError] = []
    found: dict[str, dict[str, Path]] = {}
    for parameter, what, channel in COMPANIONS:
        location = companions.get(parameter)
        if location is not None:
            found[parameter], missing = companion_files(
                cases, location, what, parameter=parameter, channel_suffix=channel, info=info
            )
            problems += missing
    names = {parameter: what for parameter, what, _ in COMPANIONS}
    fields = {"regions": "regions", "ventricles": "ventricles", "brain_mask": "brain_mask", "images": "image"}
    inputs = []
    for case in cases:
        files = {parameter: paths[case] for parameter, paths in found.items() if case in paths}
        problems += grid_problems(case, predictions[case], {names[p]: path for p, path in files.items()})
        by_field = {fields[parameter]: path for parameter, path in files.items()}
        inputs.append(CaseInputs(case, predictions[case], info=info.get(case), **by_field))
    return inputs, problems
