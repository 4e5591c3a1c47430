"""Benchmark ``nnunet_wmh evaluate`` against only loading the same label maps.

Builds ``--cases`` Utrecht-sized cases (240×240×48, 0.96×0.96×3 mm): references are the float32
``wmh.nii.gz`` (0/1/2) of ``--subjects`` synthetic subjects, predictions are uint8 ``.nii.gz`` label maps
derived from them (grown, shrunk, with lesions missed and false positives added), as nnU-Net writes them.
Then, in one run, with the measurements taking turns on the same warm page cache, times (median of
``--repeats``):

* ``load (nibabel)``: reading both label maps of every case with ``np.asanyarray(nib.load(p).dataobj)``;
* ``load (nnunet_wmh reader)``: the same with the package's one-call gzip reader, which ``evaluate`` uses;
* ``evaluate --jobs 1`` and ``--jobs 2``: the whole command line, as a subprocess (start-up included);
* ``start-up``: the command on a folder with one tiny case: interpreter, imports (HD95's k-d tree
  included) and writing the tables.

Targets: ``--jobs 1`` ≤ 2 × load time; start-up ≤ 1 s.

Usage: ``python benchmarks/bench_evaluate.py [--cases 100] [--subjects 10] [--repeats 3] [--work DIR]``
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
from scipy import ndimage
from timing import case_benchmark_arguments, median_seconds

from nnunet_wmh.io import load_nifti, read_voxels, save_nifti
from nnunet_wmh.synthetic import make_synthetic_cohort

_SCRIPT = Path(sys.executable).with_name("nnunet_wmh")  # the console script users run
COMMAND = [str(_SCRIPT), "evaluate"] if _SCRIPT.exists() else [sys.executable, "-m", "nnunet_wmh.cli", "evaluate"]


def make_cases(work: Path, cases: int, subjects: int) -> tuple[Path, Path]:
    """Synthetic references and predictions; returns (prediction_dir, reference_dir)."""
    cohort = make_synthetic_cohort(
        work / "cohort", subjects=subjects, sites=["Utrecht"], seed=2017, progress=False, jobs=2
    )
    references = sorted(cohort.root.glob("training/Utrecht/*/wmh.nii.gz"))
    prediction_dir, reference_dir = work / "pred", work / "gt"
    prediction_dir.mkdir()
    reference_dir.mkdir()
    rng = np.random.default_rng(0)
    in_plane = np.ones((3, 3, 1), dtype=bool)
    for index in range(cases):
        source = references[index % len(references)]
        case = f"wmh_{index:04d}"
        shutil.copyfile(source, reference_dir / f"{case}.nii.gz")
        image = nib.load(source)
        lesion = np.asanyarray(image.dataobj) == 1
        choice = index % 3
        if choice == 0:
            lesion = ndimage.binary_dilation(lesion, in_plane)
        elif choice == 1:
            lesion = ndimage.binary_erosion(lesion, in_plane)
        components, count = ndimage.label(lesion, np.ones((3, 3, 3)))
        missed = rng.choice(np.arange(1, count + 1), size=count // 5, replace=False) if count else []
        lesion[np.isin(components, missed)] = False
        for _ in range(int(rng.integers(1, 6))):  # false positives
            x, y, z = (int(rng.integers(40, s - 40)) if s > 80 else int(rng.integers(s)) for s in lesion.shape)
            lesion[x - 2 : x + 2, y - 2 : y + 2, z] = True
        save_nifti(lesion.astype(np.uint8), prediction_dir / f"{case}.nii.gz", reference=image)
    return prediction_dir, reference_dir


def tiny_case(work: Path) -> tuple[Path, Path]:
    prediction_dir, reference_dir = work / "tiny_pred", work / "tiny_gt"
    for folder in (prediction_dir, reference_dir):
        folder.mkdir()
    labels = np.zeros((8, 8, 4), dtype=np.uint8)
    labels[2:4, 2:4, 1] = 1
    nib.save(nib.Nifti1Image(labels, np.diag([1.0, 1.0, 3.0, 1.0])), reference_dir / "c.nii.gz")
    labels[4, 4, 2] = 1
    nib.save(nib.Nifti1Image(labels, np.diag([1.0, 1.0, 3.0, 1.0])), prediction_dir / "c.nii.gz")
    return prediction_dir, reference_dir


def load_nibabel(paths: list[Path]) -> None:
    for path in paths:
        np.asanyarray(nib.load(path).dataobj).sum()


def load_fast(paths: list[Path]) -> None:
    for path in paths:
        read_voxels(load_nifti(path), path).sum()


def run_command(prediction_dir: Path, reference_dir: Path, out: Path, jobs: int) -> None:
    arguments = [str(prediction_dir), str(reference_dir), "--out", str(out / "metrics.tsv"), "-q", "--overwrite"]
    subprocess.run([*COMMAND, *arguments, "--jobs", str(jobs)], check=True, stdout=subprocess.DEVNULL)


def main() -> int:
    args, work = case_benchmark_arguments(__doc__.splitlines()[0])
    try:
        print(f"making {args.cases} Utrecht-sized cases from {args.subjects} synthetic subjects ...", flush=True)
        prediction_dir, reference_dir = make_cases(work, args.cases, args.subjects)
        tiny_prediction, tiny_reference = tiny_case(work)
        paths = sorted(prediction_dir.iterdir()) + sorted(reference_dir.iterdir())
        out, tiny_out = work / "out", work / "tiny_out"
        out.mkdir()
        tiny_out.mkdir()
        load_fast(paths)  # warm the page cache
        actions = {
            "load (nibabel)": lambda: load_nibabel(paths),
            "load (nnunet_wmh reader)": lambda: load_fast(paths),
            "evaluate --jobs 1": lambda: run_command(prediction_dir, reference_dir, out, 1),
            "evaluate --jobs 2": lambda: run_command(prediction_dir, reference_dir, out, 2),
            "start-up (1 tiny case)": lambda: run_command(tiny_prediction, tiny_reference, tiny_out, 1),
        }
        seconds = median_seconds(actions, args.repeats)
        print(f"\n{'measurement':<28}{'total s':>10}{'s / case':>10}")
        for name, value in seconds.items():
            per_case = value / args.cases if "tiny" not in name else value
            print(f"{name:<28}{value:>10.2f}{per_case:>10.4f}")
        load = seconds["load (nibabel)"]
        fast = seconds["load (nnunet_wmh reader)"]
        jobs1 = seconds["evaluate --jobs 1"]
        print(f"\nevaluate --jobs 1 / load (nibabel)          = {jobs1 / load:.2f}  (target <= 2)")
        print(f"evaluate --jobs 1 / load (nnunet_wmh reader) = {jobs1 / fast:.2f}")
        print(f"start-up = {seconds['start-up (1 tiny case)']:.2f} s  (target <= 1 s)")
        _print_cohort(out / "metrics_summary.tsv")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _print_cohort(summary: Path) -> None:
    header, overall = summary.read_text().splitlines()[:2]
    row = dict(zip(header.split("\t"), overall.split("\t"), strict=True))
    print(
        "cases evaluated: mean Dice {:.3f}, HD95 {:.2f} mm, AVD {:.1f} %, lesion recall {:.3f}".format(
            *(float(row[f"{m}_mean"]) for m in ("dice", "hd95_mm", "avd_percent", "lesion_recall"))
        )
    )


if __name__ == "__main__":
    sys.exit(main())
