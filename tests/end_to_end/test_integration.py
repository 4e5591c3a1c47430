"""nnU-Net's own planning and integrity check accept what ``convert`` writes, for every mode (slow)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nnunet_wmh.dataset_conversion import convert_dataset

MODES = {  # dataset id -> (mode, options)
    501: ("flair", {}),
    502: ("t1", {}),
    503: ("flair_t1", {}),
    504: ("interchangeable", {}),
    505: ("interchangeable", {"channels": 1, "name": "WMH_interchangeable_1ch"}),
    506: ("multitask", {}),
    507: ("regions", {}),
}


def nnunet_command(name: str) -> str:
    return str(Path(sys.executable).parent / name)


@pytest.mark.slow
def test_plan_and_preprocess_verifies_every_mode(small_cohort_template, nnunet_folders):
    for dataset_id, (mode, options) in MODES.items():
        convert_dataset(small_cohort_template, mode=mode, dataset_id=dataset_id, progress=False, **options)
    environment = {**os.environ, "nnUNet_def_n_proc": "2", "OMP_NUM_THREADS": "1"}
    completed = subprocess.run(
        [nnunet_command("nnUNetv2_plan_and_preprocess"), "-d", *map(str, MODES), "-c", "3d_fullres",
         "--verify_dataset_integrity", "-npfp", "2", "-np", "2"],
        env=environment, capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-4000:]
    assert output.count("verify_dataset_integrity Done") == len(MODES)
    assert "Error" not in output and "WARNING! Not all input images" not in output
    for raw in sorted(nnunet_folders["nnUNet_raw"].iterdir()):
        preprocessed = nnunet_folders["nnUNet_preprocessed"] / raw.name
        # nnU-Net copied our grouped splits instead of making its own random ones
        assert json.loads((preprocessed / "splits_final.json").read_text()) == json.loads(
            (raw / "splits_final.json").read_text()
        )
        plans = json.loads((preprocessed / "nnUNetPlans.json").read_text())
        channels = len(json.loads((raw / "dataset.json").read_text())["channel_names"])
        assert plans["configurations"]["3d_fullres"]["normalization_schemes"] == ["ZScoreNormalization"] * channels
        cases = {p.name[: -len(".b2nd")] for p in (preprocessed / "nnUNetPlans_3d_fullres").glob("*_seg.b2nd")}
        assert len(cases) == json.loads((raw / "dataset.json").read_text())["numTraining"]
    spacing = json.loads((nnunet_folders["nnUNet_preprocessed"] / "Dataset501_WMH_flair/nnUNetPlans.json")
                         .read_text())["original_median_spacing_after_transp"]  # fmt: skip
    assert np.isclose(max(spacing), 6.0)  # the anisotropic 6 mm slices of the small grids reached nnU-Net
