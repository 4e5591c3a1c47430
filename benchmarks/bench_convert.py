"""Benchmark ``nnunet_wmh convert`` against plain copying, reading and a naive SimpleITK conversion.

Makes a 20-subject synthetic cohort at Utrecht size (240×240×48 float32 .nii.gz), then, in one run and
on the same warm page cache, times per mode:

* the conversion (``convert_dataset``, one process),
* ``copy``: a plain file copy of the inputs the mode reads,
* ``read``: reading every voxel of those inputs once (nibabel load + ``np.asanyarray``),
* ``naive``: loading and re-saving every input with SimpleITK (what one-off conversion scripts do).

Each figure is the median of ``--repeats`` runs, the four measurements taking turns. Targets:
``flair_t1`` and ``interchangeable`` ≤ 1.3 × (copy + read) and ≥ 3 × faster than naive;
``multitask`` ≤ 2 × (copy + read).

Usage: ``python benchmarks/bench_convert.py [--subjects 20] [--repeats 5] [--work DIR]``
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import nibabel as nib
import numpy as np
import SimpleITK as sitk
from timing import cohort_benchmark_arguments, median_seconds, utrecht_cohort

from nnunet_wmh.dataset_conversion import convert_dataset

INPUTS_PER_MODE = {
    "flair": ("pre/FLAIR.nii.gz", "wmh.nii.gz"),
    "t1": ("pre/T1.nii.gz", "wmh.nii.gz"),
    "flair_t1": ("pre/FLAIR.nii.gz", "pre/T1.nii.gz", "wmh.nii.gz"),
    "interchangeable": ("pre/FLAIR.nii.gz", "pre/T1.nii.gz", "wmh.nii.gz"),
    "multitask": ("pre/FLAIR.nii.gz", "pre/T1.nii.gz", "wmh.nii.gz", "regions.nii.gz"),
    "regions": ("pre/FLAIR.nii.gz", "pre/T1.nii.gz", "regions.nii.gz"),
}
TARGETS = {  # mode -> (max ratio to copy+read, min speed-up over naive)
    "flair_t1": (1.3, 3.0),
    "interchangeable": (1.3, 3.0),
    "multitask": (2.0, None),
}


def main() -> None:
    args = cohort_benchmark_arguments(__doc__, repeats=5)

    work = Path(tempfile.mkdtemp(dir=args.work))
    try:
        cohort = utrecht_cohort(work, args, "(240x240x48 float32 .nii.gz)")
        subjects = sorted(p.parent.parent for p in (cohort / "training").rglob("pre/FLAIR.nii.gz"))

        header = (f"{'mode':<16}{'convert s':>10}{'MB/s':>8}{'copy s':>8}{'read s':>8}{'naive s':>9}"
                  f"{'/(copy+read)':>14}{'naive/conv':>12}  target")  # fmt: skip
        print(header)
        print("-" * len(header))
        for mode, relative_inputs in INPUTS_PER_MODE.items():
            inputs = [subject / name for subject in subjects for name in relative_inputs]
            input_megabytes = sum(p.stat().st_size for p in inputs) / 1e6

            def convert(target: Path, mode: str = mode) -> None:
                convert_dataset(cohort, mode=mode, dataset_id=1, out=target, progress=False)

            def copy(target: Path, inputs: list[Path] = inputs) -> None:
                for number, path in enumerate(inputs):
                    shutil.copyfile(path, target / f"{number}.nii.gz")

            def read(target: Path, inputs: list[Path] = inputs) -> None:
                for path in inputs:
                    np.asanyarray(nib.load(path).dataobj)

            def naive(target: Path, inputs: list[Path] = inputs) -> None:
                for number, path in enumerate(inputs):
                    sitk.WriteImage(sitk.ReadImage(str(path)), str(target / f"{number}.nii.gz"), True)

            actions = {"convert": convert, "copy": copy, "read": read, "naive": naive}
            seconds = median_seconds(actions, args.repeats, scratch=work)
            ratio = seconds["convert"] / (seconds["copy"] + seconds["read"])
            speedup = seconds["naive"] / seconds["convert"]
            verdict = ""
            if mode in TARGETS:
                max_ratio, min_speedup = TARGETS[mode]
                ok = ratio <= max_ratio and (min_speedup is None or speedup >= min_speedup)
                wanted = f"<= {max_ratio}x" + (f", >= {min_speedup}x faster than naive" if min_speedup else "")
                verdict = f"{'PASS' if ok else 'FAIL'} ({wanted})"
            print(f"{mode:<16}{seconds['convert']:>10.2f}{input_megabytes / seconds['convert']:>8.0f}"
                  f"{seconds['copy']:>8.2f}{seconds['read']:>8.2f}{seconds['naive']:>9.2f}"
                  f"{ratio:>14.2f}{speedup:>12.1f}  {verdict}")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
