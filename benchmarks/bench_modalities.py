"""Benchmark ``convert --mode interchangeable`` over 2, 3 and 4 modalities, and modality dropout per sample.

Makes a 20-subject synthetic cohort at Utrecht size (240×240×48 float32 .nii.gz) with FLAIR, T1, T2 and PD,
then, on the same warm page cache, times per modality list and variant choice:

* the conversion (``convert_dataset``, one process): cases written, new megabytes (hard links not counted);
* ``copy + read``: a plain copy of the images the conversion reads, and reading every voxel of them once.

Target: ≤ 1.3 × (copy + read) for every row, as for the two-modality conversion (``bench_convert.py``): extra
variants are hard links, so they cost neither time nor disk.

It also times ``ModalityDropoutTransform`` on a (k, 128, 128, 128) float32 sample with p = 1 (a dropout every
time), k = 2, 3, 4: the median µs per sample, against nnU-Net's whole training pipeline per sample.

Usage: ``python benchmarks/bench_modalities.py [--subjects 20] [--repeats 3] [--work DIR]``
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

import nibabel as nib
import numpy as np
import torch
from timing import cohort_benchmark_arguments, median_seconds, utrecht_cohort

from nnunet_wmh.dataset_conversion import convert_dataset
from nnunet_wmh.training.augmentation import ModalityDropoutTransform

FILES = {"flair": "FLAIR", "t1": "T1", "t2": "T2", "pd": "PD"}
ROWS = (
    ("flair,t1", None),
    ("flair,t1,t2", None),
    ("flair,t1,t2", ["all"]),
    ("flair,t1,t2,pd", None),
    ("flair,t1,t2,pd", ["all"]),
)


def _conversion_rows(cohort: Path, work: Path, repeats: int) -> None:
    subjects = sorted(p.parent.parent for p in (cohort / "training").rglob("pre/FLAIR.nii.gz"))
    print(f"{'modalities':<16}{'variants':<9}{'cases':>6}{'new MB':>8}{'convert s':>10}{'copy+read s':>12}"
          f"{'ratio':>7}  target")  # fmt: skip
    for modalities, variants in ROWS:
        names = modalities.split(",")
        inputs = [s / "pre" / f"{FILES[m]}.nii.gz" for s in subjects for m in names]
        inputs += [s / "wmh.nii.gz" for s in subjects]
        written: dict[str, float] = {}

        def convert(target: Path, modalities: str = modalities, variants=variants, written=written) -> None:
            result = convert_dataset(cohort, mode="interchangeable", modalities=modalities, variants=variants,
                                     dataset_id=1, out=target, progress=False)  # fmt: skip
            written.update(cases=result.train_cases, megabytes=result.bytes_written / 1e6)

        def copy_and_read(target: Path, inputs: list[Path] = inputs) -> None:
            for number, path in enumerate(inputs):
                shutil.copyfile(path, target / f"{number}.nii.gz")
                np.asanyarray(nib.load(path).dataobj)

        seconds = median_seconds({"convert": convert, "copy": copy_and_read}, repeats, scratch=work)
        ratio = seconds["convert"] / seconds["copy"]
        verdict = f"{'PASS' if ratio <= 1.3 else 'FAIL'} (<= 1.3x)"
        print(f"{modalities:<16}{'all' if variants else 'default':<9}{written['cases']:>6}{written['megabytes']:>8.0f}"
              f"{seconds['convert']:>10.2f}{seconds['copy']:>12.2f}{ratio:>7.2f}  {verdict}")  # fmt: skip


def _dropout_rows(repeats: int) -> None:
    print(f"\n{'channels':<10}{'dropout µs/sample':>18}")
    for k in (2, 3, 4):
        transform = ModalityDropoutTransform(p=1.0, channels=k)
        image = torch.randn((k, 128, 128, 128))
        times = []
        for _ in range(max(repeats, 5) * 4):
            data = {"image": image.clone(), "segmentation": torch.zeros((1, 128, 128, 128))}
            started = time.perf_counter()
            transform(**data)
            times.append(time.perf_counter() - started)
        print(f"{k:<10}{statistics.median(times) * 1e6:>18.0f}")


def main() -> None:
    args = cohort_benchmark_arguments(__doc__, repeats=3)
    work = Path(tempfile.mkdtemp(dir=args.work))
    try:
        cohort = utrecht_cohort(work, args, "with FLAIR, T1, T2, PD", modalities="t2,pd")
        print()
        _conversion_rows(cohort, work, args.repeats)
        _dropout_rows(args.repeats)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
