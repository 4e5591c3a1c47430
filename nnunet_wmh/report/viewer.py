"""The report page's slice viewer (NiiVue): which files each case shows, the page's data, the viewer's files.

A case's viewer shows, in native space, the image (and the other images on its grid: ``CASE_0001`` beside
``CASE_0000``, ``segment``'s T1 moved onto the FLAIR grid) as background, the prediction as the lesion layer, and
the region map (a joint lesion × region prediction is its own region map). The run that measures a case
records these files (:func:`recorded_case_files`: absolute paths, or paths relative to the part's folder for the
files the run writes itself, as ``segment``'s), and the page gets them as paths relative to itself
(:func:`page_case_files`); no file is copied.

The page holds one compact JSON block (:func:`viewer_data`): the region names, how the lesion layer reads, and per
case its files, its figures, its flag and where its largest lesion is. ``OUT/viewer/`` holds the viewer
(``viewer.js``, ``viewer.css``) and NiiVue, which the page loads once it has loaded and the browser is idle (or when
the pointer first rests on a case); a case's files load only when it is opened, so a page of 10,000 cases stays
small.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from nnunet_wmh.labels.joint import OUTSIDE_REGIONS_NAME
from nnunet_wmh.report.cohort_tables import FinalTables
from nnunet_wmh.report.inputs import CaseInputs
from nnunet_wmh.report.page_files import DATA_ID, VIEWER_FOLDER
from nnunet_wmh.report.schema import BIDS_FOLDER
from nnunet_wmh.tsv import MISSING, number_cell

logger = logging.getLogger(__name__)

#: The viewer's files (``viewer_assets`` of this package), copied into the report's ``viewer/``.
VIEWER_FILES = ("viewer.js", "viewer.css", "niivue.umd.js", "LICENSE.niivue", "LICENSES.bundled")
NIIVUE_VERSION = "0.69.0"
#: A case's layers, bottom first: the image, its other channels, the regions, the lesions (the prediction).
LAYERS = ("image", "others", "regions", "lesions")
#: Predictions with the challenge's labels: lesion where 1 <= value <= 1000 (as the official evaluation).
_CHALLENGE_LESION_RANGE = [1, 1000]
#: The figures shown beside the viewer: (label, table, column, factor); mm³ shown as mL.
FIGURES = (
    ("lesion volume (mL)", "subjects", "total_lesion_volume_ml", 1.0),
    ("lesions", "subjects", "lesion_count", 1.0),
    ("periventricular (mL)", "subjects", "periventricular_volume_mm3", 1e-3),
    ("deep (mL)", "subjects", "deep_volume_mm3", 1e-3),
    ("% of ICV", "subjects", "total_lesion_percent_icv", 1.0),
    ("inputs", "qc", "inputs_used", None),
    ("lesion entropy (bits)", "qc", "lesion_entropy_bits", 1.0),
    ("regions QC", "qc", "regions_qc", None),
)
_CHANNEL = re.compile(r"^(?P<stem>.+)_0000(?P<suffix>\.nii(\.gz)?)$")


def _recorded(path: Path, part_folder: Path) -> str:
    """A path as a part records it: relative to the part's folder when inside it, else absolute."""
    absolute = Path(path).absolute()
    try:
        return absolute.relative_to(part_folder.absolute()).as_posix()
    except ValueError:
        return str(absolute)


def _other_channels(image: Path) -> list[Path]:
    """``CASE_0001``, ``CASE_0002``, ... beside an nnU-Net image ``CASE_0000`` (the other channels of the case)."""
    found = _CHANNEL.match(image.name)
    if found is None:
        return []
    channels = []
    while (path := image.with_name(f"{found['stem']}_{len(channels) + 1:04d}{found['suffix']}")).is_file():
        channels.append(path)
    return channels


def recorded_case_files(inputs: CaseInputs, part_folder: Path) -> dict[str, Any]:
    """The files a case's viewer shows, as its part records them (``part.json``, ``viewer_files``).

    Returns
    -------
    dict
        ``lesions`` (the prediction), and where present ``image``, ``others`` (a list) and ``regions``: paths
        relative to ``part_folder`` for files inside it, absolute paths for the others.
    """
    files: dict[str, Any] = {"lesions": _recorded(inputs.prediction, part_folder)}
    if inputs.image is not None:
        files["image"] = _recorded(inputs.image, part_folder)
        others = [*_other_channels(Path(inputs.image)), *inputs.other_images]
        if others:
            files["others"] = [_recorded(path, part_folder) for path in others]
    if inputs.regions is not None:
        files["regions"] = _recorded(inputs.regions, part_folder)
    return files


def _page_path(recorded: str, staging: Path, bids_staging: Path | None, out_dir: Path) -> str | None:
    """A recorded path relative to the page (``out_dir/index.html``, being built in ``staging``); None where the
    page cannot reach it by a relative path (a BIDS file built outside the report, a file on another drive)."""
    path = Path(recorded)
    if path.is_absolute():
        try:
            return Path(os.path.relpath(path, out_dir)).as_posix()
        except ValueError:  # another drive (Windows)
            return None
    head, _, rest = recorded.partition("/")
    if head != BIDS_FOLDER:  # a part's files are gathered into the report's own subfolders
        return recorded
    if bids_staging is None or not bids_staging.is_relative_to(staging):
        return None
    return (bids_staging / rest).relative_to(staging).as_posix()


def page_case_files(
    recorded: Mapping[str, Mapping[str, Any]], staging: Path, bids_staging: Path | None, out_dir: Path
) -> dict[str, dict[str, Any]]:
    """Each case's viewer files (:func:`recorded_case_files`) as paths relative to the page.

    Parameters
    ----------
    recorded
        ``{case: recorded files}`` of every part (paths inside a part are relative to its folder, whose files
        are gathered into ``staging``, and its BIDS files into ``bids_staging``).
    staging, bids_staging, out_dir
        Where the report is built, where its BIDS files are built, and where the report goes.
    """
    found: dict[str, dict[str, Any]] = {}
    for case, files in recorded.items():
        mapped: dict[str, Any] = {}
        for layer, value in files.items():
            paths = [_page_path(v, staging, bids_staging, out_dir) for v in _as_list(value)]
            if None in paths:
                logger.warning(
                    "[%s] the viewer leaves out %s (%s): no relative path from %s", case, layer, value, out_dir
                )
            kept = [p for p in paths if p is not None]
            if kept:
                mapped[layer] = kept if isinstance(value, list) else kept[0]
        found[case] = mapped
    return found


def _as_list(value: str | Sequence[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _ranges(values: Iterable[int]) -> list[list[int]]:
    """Sorted values as ``[first, last]`` runs of consecutive integers."""
    runs: list[list[int]] = []
    for value in sorted(set(values)):
        if runs and value == runs[-1][1] + 1:
            runs[-1][1] = value
        else:
            runs.append([value, value])
    return runs


def lesion_layer(report_json: Mapping[str, Any]) -> dict[str, Any]:
    """How the viewer reads a prediction: ``lesion`` (value ranges that are lesion in an integer map, and the
    threshold of a float map), ``names`` (``{value: region name}`` of the region layer) and ``joint`` (whether the
    prediction is its own region map: joint lesion × region labels)."""
    labels, regions = report_json["labels"], report_json.get("regions", [])
    lesion_values = [int(v) for v in labels["lesion_values"]]
    ranges = [_CHALLENGE_LESION_RANGE] if labels["kind"] == "challenge" else _ranges(lesion_values)
    threshold = float(report_json["options"].get("threshold", 0.5))
    names = {str(r["id"]): r["name"] for r in regions}
    joint = labels["kind"] == "joint"
    if joint:  # region k: k (no lesion), R + k (lesion); 2R + 1: lesion in no region
        count = len(lesion_values) - 1
        ordered = [r["name"] for r in sorted(regions, key=lambda r: int(r["id"]))]
        if len(ordered) != count:
            ordered = [f"region_{k}" for k in range(1, count + 1)]
        names = {str(k): name for k, name in enumerate(ordered, start=1)}
        names |= {str(count + k): name for k, name in enumerate(ordered, start=1)}
        names[str(2 * count + 1)] = OUTSIDE_REGIONS_NAME
    return {"lesion": {"ranges": ranges, "threshold": threshold}, "names": names, "joint": joint}


def _figure(text: str | None, factor: float | None) -> str:
    if text is None or text in ("", MISSING) or factor is None:
        return MISSING if text in (None, "") else str(text)
    value = number_cell(text) * factor
    return str(int(value)) if value == int(value) and abs(value) < 1e15 else f"{value:.3g}"


def _figures(tables: FinalTables) -> tuple[list[str], dict[str, list[str]]]:
    """The labels of the figures the report has, and each case's figures as text."""
    shown = [f for f in FIGURES if f[2] in tables.columns[f[1]]]
    rows = {name: {row["case"]: row for row in tables.rows[name]} for name in ("subjects", "qc")}
    figures = {
        case: [_figure(rows[table].get(case, {}).get(column), factor) for _, table, column, factor in shown]
        for case in tables.cases
    }
    return [label for label, *_ in shown], figures


def _largest_lesions(lesion_rows: Sequence[Mapping[str, str]]) -> dict[str, list[float]]:
    """``{case: [x, y, z] mm}``: the centroid of each case's largest lesion (world coordinates)."""
    largest: dict[str, tuple[float, list[float]]] = {}
    for row in lesion_rows:
        volume = number_cell(row["volume_mm3"])
        if row["case"] not in largest or volume > largest[row["case"]][0]:
            centre = [round(number_cell(row[f"centroid_{axis}_mm"]), 2) for axis in "xyz"]
            largest[row["case"]] = (volume, centre)
    return {case: centre for case, (_, centre) in largest.items()}


def _compact(files: Mapping[str, Any], folders: dict[str, int]) -> dict[str, Any]:
    """A case's files as ``[folder index, file name]`` (the folders listed once for the whole page)."""

    def one(path: str) -> list[Any]:
        folder, _, name = path.rpartition("/")
        return [folders.setdefault(folder, len(folders)), name]

    ordered = [(layer, files[layer]) for layer in LAYERS if layer in files]  # as a single run or a merge gives them
    return {layer: [one(p) for p in value] if isinstance(value, list) else one(value) for layer, value in ordered}


def viewer_data(
    tables: FinalTables, report_json: Mapping[str, Any], case_files: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """The page's viewer block: NiiVue's path, the folders, the lesion layer, the figures and every case.

    Each case is ``[case, participant_id, session_id, files, figures, flag, focus]`` (``fields``), its files
    ``{layer: [folder index, name]}`` relative to the page, ``focus`` its largest lesion's centroid (mm) or
    None.
    """
    labels, figures = _figures(tables)
    focus = _largest_lesions(tables.rows["lesions"])
    folders: dict[str, int] = {}
    subjects = {row["case"]: row for row in tables.rows["subjects"]}
    cases = []
    for case in tables.cases:
        row = subjects[case]
        identity = [row.get(c, "") for c in ("participant_id", "session_id")]
        files = _compact(case_files.get(case, {}), folders)
        cases.append([case, *identity, files, figures[case], tables.flagged.get(case, ""), focus.get(case)])
    return {
        "niivue": f"{VIEWER_FOLDER}/niivue.umd.js",
        "niivue_version": NIIVUE_VERSION,
        **lesion_layer(report_json),
        "folders": list(folders),
        "figures": labels,
        "fields": ["case", "participant_id", "session_id", "files", "figures", "flag", "focus"],
        "cases": cases,
    }


def write_viewer_files(out_dir: Path) -> Path:
    """Copy the viewer and NiiVue into ``out_dir/viewer`` (once per report); returns the folder."""
    folder = out_dir / VIEWER_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    assets = resources.files("nnunet_wmh.report").joinpath("viewer_assets")
    for name in VIEWER_FILES:
        with resources.as_file(assets.joinpath(name)) as source:
            shutil.copyfile(source, folder / name)
    return folder


def viewer_markup(data: Mapping[str, Any]) -> tuple[str, str]:
    """The page's ``<head>`` line (the viewer's style) and its ``<body>`` end (the JSON block and the script)."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    head = f'<link rel="stylesheet" href="{VIEWER_FOLDER}/viewer.css">'
    body = (
        f'<script type="application/json" id="{DATA_ID}">{text}</script>\n'
        f'<script src="{VIEWER_FOLDER}/viewer.js" defer></script>'
    )
    return head, body
