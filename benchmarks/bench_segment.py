"""Benchmark ``nnunet_wmh segment`` against calling ``nnUNetv2_predict`` once per subject, and time the QC pictures.

Makes ``--subjects`` Utrecht-sized synthetic subjects (240×240×48, 0.96×0.96×3 mm, FLAIR + T1), then, on the
same device and without test-time mirroring:

* ``segment`` on the cohort with ``--jobs 1`` and ``--jobs 2`` (model loaded once; regions by registering the
  phantom's atlas in worker processes while the main process predicts; tables, no pictures), wall seconds per
  subject and seconds per stage (co-register, register, predict; from ``report.json``'s ``stage_seconds``);
* ``nnUNetv2_predict_from_modelfolder`` called once per subject on a folder holding that subject's two
  channels (what a shell loop over subjects does: interpreter start, model load and worker start each time),
  seconds per subject;
* the QC sheet of ``report``/``segment`` (numpy + Pillow, the FLAIR read included), seconds per case.

Usage: ``python benchmarks/bench_segment.py --model MODEL_FOLDER [--subjects 6] [--device cpu] [--work DIR]``
(e.g. the model of ``nnunet_wmh demo``: ``nnunet_wmh_demo/nnUNet_results/Dataset901_WMH_interchangeable/
nnUNetTrainerModalityDropout_demo__nnUNetPlans__2d``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nibabel as nib
import numpy as np

from nnunet_wmh.report.burden import regions_from_map
from nnunet_wmh.report.pictures import case_picture
from nnunet_wmh.segment.options import SegmentOptions
from nnunet_wmh.segment.run import segment_cohort
from nnunet_wmh.synthetic import make_synthetic_cohort
from nnunet_wmh.trainers import trainers_path

BIN = Path(sys.executable).parent


def time_segment(cohort: Path, model: Path, out: Path, device: str, jobs: int) -> tuple[float, dict[str, float]]:
    """Wall seconds of ``segment`` on the cohort and its seconds per stage (summed over subjects)."""
    template = cohort / "template"
    options = SegmentOptions(
        mirroring=False, atlas_image=str(template / "template_T1w.nii.gz"),
        atlas_labels=str(template / "template_regions.nii.gz"), region_table=str(template / "regions.tsv"),
        pictures=False,
    )  # fmt: skip
    start = time.perf_counter()
    result = segment_cohort(cohort, model, out, options=options, device=device, jobs=jobs, overwrite=True,
                            progress=False)  # fmt: skip
    seconds = time.perf_counter() - start
    return seconds, json.loads(result.files["report.json"].read_text())["stage_seconds"]


def time_runner(subjects: list[Path], model: Path, work: Path, device: str) -> tuple[float, float]:
    """The prediction part of ``segment`` alone: (model load s, prediction s per subject) with one loaded model."""
    from nnunet_wmh.nnunet.model import open_model
    from nnunet_wmh.nnunet.predictor import ModelRunner

    start = time.perf_counter()
    trained = open_model(model, folds=("0",), checkpoint="checkpoint_final.pth", unpack_dir=work / "unpacked")
    runner = ModelRunner(trained, device=device, mirroring=False, log=work / "runner.log")
    loaded = time.perf_counter()
    for subject in subjects:
        runner.predict(subject.name, [subject / "pre" / "FLAIR.nii.gz", subject / "pre" / "T1.nii.gz"])
    return loaded - start, (time.perf_counter() - loaded) / len(subjects)


def time_predict_per_subject(subjects: list[Path], model: Path, work: Path, device: str) -> float:
    start = time.perf_counter()
    for subject in subjects:
        inputs, outputs = work / "in" / subject.name, work / "out" / subject.name
        inputs.mkdir(parents=True)
        shutil.copy(subject / "pre" / "FLAIR.nii.gz", inputs / "case_0000.nii.gz")
        shutil.copy(subject / "pre" / "T1.nii.gz", inputs / "case_0001.nii.gz")
        subprocess.run(
            [str(BIN / "nnUNetv2_predict_from_modelfolder"), "-i", str(inputs), "-o", str(outputs), "-m", str(model),
             "-f", "0", "-device", device, "--disable_tta", "-npp", "1", "-nps", "1"],
            check=True, capture_output=True, env={**os.environ, "nnUNet_extTrainer": str(trainers_path())},
        )  # fmt: skip
    return time.perf_counter() - start


def time_pictures(subjects: list[Path], work: Path, repeats: int = 3) -> float:
    seconds = []
    for _ in range(repeats):
        for subject in subjects:
            image = nib.load(subject / "wmh.nii.gz")
            lesion = np.asanyarray(image.dataobj) == 1
            region_map = np.asanyarray(nib.load(subject / "regions.nii.gz").dataobj)
            regions = regions_from_map(region_map, {i: f"region_{i}" for i in np.unique(region_map) if i})
            start = time.perf_counter()
            case_picture(subject.name, image, lesion, regions, work / f"{subject.name}.png",
                         background=subject / "pre" / "FLAIR.nii.gz")  # fmt: skip
            seconds.append(time.perf_counter() - start)
    return float(np.median(seconds[len(subjects) :]))  # the first round warms the imports


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="trained 2-channel FLAIR + T1 model folder")
    parser.add_argument("--subjects", type=int, default=6)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary folder)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(dir=args.work))
    try:
        cohort = make_synthetic_cohort(work / "cohort", subjects=args.subjects, sites=["Utrecht"], seed=5,
                                       progress=False, jobs=2).root  # fmt: skip
        subjects = sorted((cohort / "training" / "Utrecht").iterdir())
        timed = {jobs: time_segment(cohort, args.model.absolute(), work / f"segmented{jobs}", args.device, jobs)
                 for jobs in (1, 2)}  # fmt: skip
        load_seconds, runner_seconds = time_runner(subjects, args.model.absolute(), work, args.device)
        predict_seconds = time_predict_per_subject(subjects, args.model.absolute(), work / "predict", args.device)
        picture_seconds = time_pictures(subjects, work / "pictures")
        n = len(subjects)
        print(f"{n} Utrecht-size subjects (240x240x48), device {args.device}, no test-time mirroring")
        for jobs, (seconds, stages) in timed.items():
            per_stage = ", ".join(f"{stage} {value / n:.2f}" for stage, value in stages.items())
            print(f"  segment --jobs {jobs} (model loaded once; + atlas registration and tables): {seconds / n:.2f} "
                  f"s/subject wall; per stage s/subject: {per_stage}")  # fmt: skip
        print(f"  segment's prediction alone (nnUNetPredictor in-process): model load {load_seconds:.2f} s once, "
              f"then {runner_seconds:.2f} s/subject")  # fmt: skip
        print(f"  nnUNetv2_predict_from_modelfolder once per subject (prediction only): {predict_seconds / n:.2f} "
              "s/subject")  # fmt: skip
        print(f"  QC sheet (numpy + Pillow, FLAIR read included): {picture_seconds:.3f} s/case (target <= 0.15)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
