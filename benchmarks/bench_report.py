"""Benchmark ``nnunet_wmh report`` against only loading the same label maps.

Builds ``--cases`` Utrecht-sized cases (240×240×48, 0.96×0.96×3 mm) from ``--subjects`` synthetic
subjects, in the two input routes of ``report``:

* ``joint``: the joint lesion × region label maps of ``convert --mode multitask`` (what a multitask model
  predicts), one uint8 map per case;
* ``lesion + regions``: a uint8 lesion map and a region map per case (the separate-models route),

then, in one run, with the measurements taking turns on the same warm page cache, times (median of
``--repeats``) loading every label map the route reads (``np.asanyarray(nib.load(p).dataobj)``), in this
(warm) process and as a command of its own, and the whole report command line as a subprocess (start-up
included): ``--no-pictures`` with ``--jobs 1`` (the target)
and ``--jobs 2``, and, once, with ventricles and brain masks (``aseg.nii.gz``) and with pictures.

Target: ``report --no-pictures --jobs 1`` ≤ 1.5 × load time.

Usage: ``python benchmarks/bench_report.py [--cases 100] [--subjects 10] [--repeats 3] [--work DIR]``
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
from timing import case_benchmark_arguments, median_seconds

from nnunet_wmh.dataset_conversion import convert_dataset
from nnunet_wmh.io import compact_labels, save_nifti
from nnunet_wmh.synthetic import make_synthetic_cohort

_SCRIPT = Path(sys.executable).with_name("nnunet_wmh")
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "nnunet_wmh.cli"]


def make_cases(work: Path, cases: int, subjects: int) -> dict[str, Path]:
    """Folders ``joint``, ``lesion``, ``regions``, ``aseg`` with ``CASE.nii.gz`` files."""
    cohort = make_synthetic_cohort(
        work / "cohort", subjects=subjects, sites=["Utrecht"], seed=2017, progress=False, jobs=2
    )
    dataset = convert_dataset(
        cohort.root,
        mode="multitask",
        dataset_id=990,
        out=work / "raw",
        region_table=cohort.root / "regions.tsv",
        progress=False,
    ).dataset_dir
    folders = {name: work / name for name in ("joint", "lesion", "regions", "aseg")}
    for folder in folders.values():
        folder.mkdir()
    shutil.copy(dataset / "dataset.json", folders["joint"] / "dataset.json")
    sources = sorted(cohort.root.glob("training/Utrecht/*"))
    labels = sorted((dataset / "labelsTr").glob("*.nii.gz"))
    for index in range(cases):
        case = f"wmh_{index:04d}"
        subject = sources[index % len(sources)]
        shutil.copyfile(labels[index % len(labels)], folders["joint"] / f"{case}.nii.gz")
        shutil.copyfile(subject / "regions.nii.gz", folders["regions"] / f"{case}.nii.gz")
        shutil.copyfile(subject / "aseg.nii.gz", folders["aseg"] / f"{case}.nii.gz")
        image = nib.load(subject / "wmh.nii.gz")
        lesion = (np.asanyarray(image.dataobj) == 1).astype(np.uint8)
        save_nifti(compact_labels(lesion), folders["lesion"] / f"{case}.nii.gz", reference=image)
    return folders


def load_all(paths: list[Path]) -> None:
    for path in paths:
        np.asanyarray(nib.load(path).dataobj).sum()


LOAD_SCRIPT = (
    "import sys, nibabel as nib, numpy as np\nfor p in sys.argv[1:]:\n    np.asanyarray(nib.load(p).dataobj).sum()"
)


def load_in_new_process(paths: list[Path]) -> None:
    """The same loading as a command of its own (interpreter start and imports included, like the report)."""
    subprocess.run([sys.executable, "-c", LOAD_SCRIPT, *map(str, paths)], check=True)


def run(arguments: list[str]) -> None:
    subprocess.run([*COMMAND, "report", *arguments, "-q", "--overwrite"], check=True, stdout=subprocess.DEVNULL)


def main() -> int:
    args, work = case_benchmark_arguments(__doc__.splitlines()[0])
    try:
        print(f"making {args.cases} Utrecht-sized cases from {args.subjects} synthetic subjects ...", flush=True)
        f = make_cases(work, args.cases, args.subjects)
        joint_maps = sorted(f["joint"].glob("*.nii.gz"))
        separate_maps = sorted(f["lesion"].glob("*.nii.gz")) + sorted(f["regions"].glob("*.nii.gz"))
        out = str(work / "out")
        load_all(joint_maps + separate_maps)  # warm the page cache
        joint = [str(f["joint"]), "--out", out, "--no-pictures"]
        separate = [str(f["lesion"]), "--out", out, "--regions", str(f["regions"]), "--no-pictures"]
        actions = {
            "joint: load (nibabel)": lambda: load_all(joint_maps),
            "joint: load (new process)": lambda: load_in_new_process(joint_maps),
            "joint: report --jobs 1": lambda: run([*joint, "--jobs", "1"]),
            "joint: report --jobs 2": lambda: run([*joint, "--jobs", "2"]),
            "lesion + regions: load (nibabel)": lambda: load_all(separate_maps),
            "lesion + regions: load (new process)": lambda: load_in_new_process(separate_maps),
            "lesion + regions: report --jobs 1": lambda: run([*separate, "--jobs", "1"]),
        }
        seconds = median_seconds(actions, args.repeats)
        extra = [*joint, "--ventricles", str(f["aseg"]), "--brain-mask", str(f["aseg"])]
        seconds.update(
            median_seconds(
                {
                    "joint + ventricles + brain mask": lambda: run(extra),
                    "joint + pictures": lambda: run([*joint[:-1]]),
                },
                1,
            )
        )
        print(f"\n{'measurement':<36}{'total s':>10}{'s / case':>10}")
        for name, value in seconds.items():
            print(f"{name:<36}{value:>10.2f}{value / args.cases:>10.4f}")
        for route in ("joint", "lesion + regions"):
            report = seconds[f"{route}: report --jobs 1"]
            print(
                f"{route}: report --no-pictures --jobs 1 / load = "
                f"{report / seconds[f'{route}: load (nibabel)']:.2f} (loading in this process), "
                f"{report / seconds[f'{route}: load (new process)']:.2f} (loading as a command)  (target <= 1.5)"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
