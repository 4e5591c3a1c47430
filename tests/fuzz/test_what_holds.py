"""What already held before the fuzz suite and must keep holding: the orientation of the stored voxels and
which of qform/sform a header sets change no number, and a kill midway through ``convert --overwrite``
keeps the previous dataset."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from nnunet_wmh.cli import main
from nnunet_wmh.evaluation.evaluate import evaluate_folder
from nnunet_wmh.report.options import ReportOptions
from nnunet_wmh.report.run import make_report
from nnunet_wmh.tsv import read_tsv
from tests.helpers.images import oblique_affine, tree_bytes

SHAPE = (16, 14, 5)


def _pair(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    reference = np.zeros(SHAPE, np.uint8)
    reference[3:7, 4:9, 1:3] = 1
    reference[11, 2:4, 4] = 1
    reference[12:14, 10:12, 0] = 2
    prediction = (reference == 1).astype(np.uint8)
    prediction[rng.integers(0, 16, 6), rng.integers(0, 14, 6), rng.integers(0, 5, 6)] = 1
    prediction[4:6, 4:6, 1] = 0
    return prediction, reference


def _write(values: np.ndarray, path: Path, affine: np.ndarray, *, qform: int, sform: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = nib.Nifti1Image(values, affine)
    image.header.set_qform(affine, code=qform)
    image.header.set_sform(affine, code=sform)
    image.to_filename(str(path))


def _flipped_lps(values: np.ndarray, affine: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The same image stored with the first two axes reversed (RAS-like storage becomes LPS-like)."""
    flip = np.diag([-1.0, -1.0, 1.0, 1.0])
    flip[:2, 3] = np.array(values.shape[:2]) - 1
    return np.ascontiguousarray(values[::-1, ::-1, :]), affine @ flip


@pytest.mark.parametrize("variant", ["LPS storage", "qform only", "sform only"])
def test_the_storage_and_header_codes_change_no_number(tmp_path, variant):
    prediction, reference = _pair(np.random.default_rng(4))
    affine = oblique_affine(spacing=(0.9, 0.9, 3.0))
    copies = {
        "plain": (prediction, reference, affine, (1, 1)),
        "other": _variant(prediction, reference, affine, variant),
    }
    for folder, (p_values, r_values, grid, (qform, sform)) in copies.items():
        _write(p_values, tmp_path / folder / "pred" / "c.nii.gz", grid, qform=qform, sform=sform)
        _write(r_values, tmp_path / folder / "gt" / "c.nii.gz", grid, qform=qform, sform=sform)
    metrics = [evaluate_folder(tmp_path / f / "pred", tmp_path / f / "gt", progress=False).case_rows()[0]
               for f in ("plain", "other")]  # fmt: skip
    for name in ("dice", "hd95_mm", "avd_percent", "lesion_recall", "lesion_f1", "prediction_volume_mm3"):
        assert metrics[1][name] == pytest.approx(metrics[0][name], rel=1e-6, abs=1e-6), name
    volumes = []
    for folder in ("plain", "other"):
        make_report(tmp_path / folder / "pred", tmp_path / folder / "report", options=ReportOptions(pictures=False),
                    progress=False)  # fmt: skip
        volumes.append([(r["total_lesion_volume_mm3"], r["lesion_count"])
                        for r in read_tsv(tmp_path / folder / "report" / "subjects.tsv")])  # fmt: skip
    assert volumes[0] == volumes[1]


def _variant(prediction, reference, affine, variant):
    if variant == "LPS storage":
        flipped_prediction, flipped_affine = _flipped_lps(prediction, affine)
        return flipped_prediction, _flipped_lps(reference, affine)[0], flipped_affine, (1, 1)
    return prediction, reference, affine, (1, 0) if variant == "qform only" else (0, 2)


def test_a_kill_midway_through_convert_overwrite_keeps_the_previous_dataset(small_cohort, tmp_path):
    command = [sys.executable, "-m", "nnunet_wmh.cli", "convert", str(small_cohort), "--mode", "interchangeable",
               "--dataset-id", "12", "--out", str(tmp_path / "raw"), "-q"]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)
    dataset = tmp_path / "raw" / "Dataset012_WMH_interchangeable"
    before = tree_bytes(dataset)
    process = subprocess.Popen([*command, "--overwrite", "--jobs", "1"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 60
    while not list((tmp_path / "raw").glob(".Dataset012_*.partial-*")) and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert list((tmp_path / "raw").glob(".Dataset012_*.partial-*")), "the conversion ended before it was killed"
    assert tree_bytes(dataset) == before
    rerun = subprocess.run([*command, "--overwrite"], capture_output=True, text=True, check=True)
    assert "an interrupted run left it behind" in rerun.stderr
    assert sorted(p.name for p in (tmp_path / "raw").iterdir()) == ["Dataset012_WMH_interchangeable"]


def test_a_copied_run_merges_into_itself_and_a_moved_one_into_its_new_place(tmp_path):
    from tests.helpers.report_cases import write_hand_cohort

    cohort = write_hand_cohort(tmp_path / "cohort")
    run_a = tmp_path / "runA"
    for part in ("0", "1"):
        assert main(["report", str(cohort["pred"]), "--out", str(run_a), "--no-pictures", "--bids-derivatives",
                     str(run_a / "bids"), "--part-id", part, "--num-parts", "2", "-q"]) == 0  # fmt: skip
    before = tree_bytes(run_a)
    shutil.copytree(run_a, tmp_path / "copy")
    assert main(["report-merge", str(tmp_path / "copy"), "--overwrite", "-q"]) == 0
    assert tree_bytes(run_a) == before  # the original's parts are kept and nothing was written there
    assert len(list((tmp_path / "copy/bids").rglob("*_mask.nii.gz"))) == 3
    moved = run_a.rename(tmp_path / "moved")
    assert main(["report-merge", str(moved), "-q"]) == 0
    assert not run_a.exists() and len(list((moved / "bids").rglob("*_mask.nii.gz"))) == 3
