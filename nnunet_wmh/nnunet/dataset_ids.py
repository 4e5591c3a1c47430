"""Dataset ids in nnU-Net's folders: what they already hold under an id, checked before a dataset is written.

nnU-Net refuses one dataset id under two names anywhere in ``nnUNet_raw``, ``nnUNet_preprocessed`` and
``nnUNet_results``, and its planning stops with a bare AssertionError on preprocessed data of a replaced
dataset whose split differs. These checks say so before anything is written.
"""

from __future__ import annotations

import json
from pathlib import Path

from nnunet_wmh.errors import DatasetExistsError
from nnunet_wmh.nnunet.folders import NnunetFolders
from nnunet_wmh.runs.outputs import check_output


def datasets_with_id(folder: Path | None, dataset_id: int) -> list[Path]:
    """``DatasetNNN_*`` folders of ``folder`` with this id."""
    if folder is None or not folder.is_dir():
        return []
    return sorted(p for p in folder.glob(f"Dataset{dataset_id:03d}_*") if p.is_dir())


def check_dataset_target(folders: NnunetFolders, dataset_name: str, dataset_id: int, *, overwrite: bool) -> list[Path]:
    """Refuse to clobber; return raw folders of the same id under another name (removed once the new dataset is
    in place).

    Raises
    ------
    OutputExistsError
        The dataset exists and ``overwrite`` is False (the message every command gives).
    DatasetExistsError
        Its id is taken by another name (without ``overwrite``), or used in the preprocessed or results folder.
    """
    check_output(folders.raw / dataset_name, overwrite=overwrite)
    same_id = [p for p in datasets_with_id(folders.raw, dataset_id) if p.name != dataset_name]
    if same_id and not overwrite:
        raise DatasetExistsError(
            same_id[0],
            f"dataset id {dataset_id} is taken by {same_id[0]}; pick another `dataset_id`, or pass `overwrite` "
            "to replace it",
        )
    for variable, folder in folders.others().items():
        clash = [p for p in datasets_with_id(folder, dataset_id) if p.name != dataset_name]
        if clash and not overwrite:
            raise DatasetExistsError(
                clash[0],
                f"dataset id {dataset_id} is used by {clash[0]} ({variable}); nnU-Net refuses one id with two "
                "names: pick another `dataset_id`, or remove that folder",
            )
    return same_id


def stale_preprocessed_warning(folders: NnunetFolders, dataset_name: str, splits: list[dict] | None) -> str | None:
    """A warning when ``nnUNet_preprocessed`` holds data of the dataset that was just replaced."""
    if folders.preprocessed is None or not (folders.preprocessed / dataset_name).is_dir():
        return None
    folder = folders.preprocessed / dataset_name
    detail = "its fingerprint and plans describe the replaced data"
    old_splits = folder / "splits_final.json"
    if splits is not None and old_splits.is_file():
        try:
            differs = json.loads(old_splits.read_text()) != splits
        except (OSError, ValueError):
            differs = True
        if differs:
            detail = (
                "its splits_final.json differs from the new split, and nnU-Net's planning stops on that "
                "with a bare AssertionError"
            )
    return (
        f"{folder} holds preprocessed data of the replaced dataset ({detail}): delete that folder before "
        "running nnUNetv2_plan_and_preprocess"
    )


def same_id_warnings(folders: NnunetFolders, dataset_name: str, dataset_id: int) -> list[str]:
    """Folders of the preprocessed and results folders with the same id under another name."""
    warnings = []
    for variable, folder in folders.others().items():
        for clash in datasets_with_id(folder, dataset_id):
            if clash.name != dataset_name:
                warnings.append(
                    f"{clash} ({variable}) has the same id under another name; nnU-Net will refuse the id until "
                    "it is removed"
                )
    return warnings
