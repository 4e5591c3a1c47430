"""A fake trained-model folder: dataset.json, plans.json and fold checkpoints (bytes, not weights)."""

from __future__ import annotations

import json
from pathlib import Path


def write_model_folder(root: Path, dataset_json: dict, folds=("0",)) -> Path:
    """``root/Dataset123_WMH/nnUNetTrainer__nnUNetPlans__3d_fullres`` with ``fold_F/checkpoint_final.pth``."""
    folder = root / "Dataset123_WMH" / "nnUNetTrainer__nnUNetPlans__3d_fullres"
    folder.mkdir(parents=True)
    (folder / "dataset.json").write_text(json.dumps(dataset_json))
    (folder / "plans.json").write_text("{}")
    for fold in folds:
        (folder / f"fold_{fold}").mkdir()
        (folder / f"fold_{fold}" / "checkpoint_final.pth").write_bytes(b"weights")
    return folder
