"""Benchmark ``nnunet_wmh regions``: seconds per subject and region Dice, affine vs affine + B-spline.

Makes ``--subjects`` Utrecht-sized synthetic subjects (240×240×48, 0.96×0.96×3 mm, oblique; each made
from the 1 mm phantom template by a random affine and a mild smooth warp), registers the template to
every subject's T1 with each transform kind (one process, as ``regions`` does per subject), and prints
seconds per subject and the mean Dice of regions larger than 1 mL against the true native region maps.

With ``--anatomy mni152`` the subjects are brain-shaped phantoms drawn from the MNI152 template (with a drawn
skull and scalp) on every challenge site's grid, and the built-in atlas is registered to each subject's T1 and
FLAIR: the path ``segment`` takes by default.

Usage: ``python benchmarks/bench_regions.py [--subjects 3] [--anatomy phantom|mni152] [--work DIR]``
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nibabel as nib
import numpy as np

from nnunet_wmh.registration.atlas import load_atlas, register_atlas
from nnunet_wmh.registration.builtin_atlas import load_builtin_atlas
from nnunet_wmh.synthetic import make_synthetic_cohort


def mean_region_dice(truth: np.ndarray, estimate: np.ndarray, voxel_mm3: float) -> float:
    dices = []
    for region in np.unique(truth[truth > 0]):
        reference, mapped = truth == region, estimate == region
        if reference.sum() * voxel_mm3 > 1000:
            dices.append(2 * (reference & mapped).sum() / (reference.sum() + mapped.sum()))
    return float(np.mean(dices))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=3)
    parser.add_argument("--anatomy", choices=("phantom", "mni152"), default="phantom")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary folder)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(dir=args.work))
    try:
        if args.anatomy == "mni152":
            return builtin_atlas_on_brain_shaped_phantoms(work, args.subjects)
        print(f"making {args.subjects} Utrecht-sized subjects and the 1 mm template ...", flush=True)
        cohort = make_synthetic_cohort(
            work / "cohort", subjects=args.subjects, sites=["Utrecht"], seed=5, jobs=2, progress=False
        )
        template = cohort.root / "template"
        atlas = load_atlas(
            template / "template_T1w.nii.gz", template / "template_regions.nii.gz", template / "regions.tsv"
        )
        subjects = sorted(cohort.root.glob("training/Utrecht/*"))
        print(f"\n{'transform':<16}{'s / subject':>12}{'mean Dice':>11}{'min Dice':>10}")
        for kind in ("affine", "affine+bspline"):
            seconds, dices = [], []
            for subject in subjects:
                out = work / kind / subject.name / "regions.nii.gz"
                started = time.perf_counter()
                register_atlas(atlas, subject / "pre" / "T1.nii.gz", out, subject=subject.name, transform=kind)
                seconds.append(time.perf_counter() - started)
                truth = nib.load(subject / "regions.nii.gz")
                voxel_mm3 = float(np.prod(truth.header.get_zooms()))
                dices.append(
                    mean_region_dice(np.asanyarray(truth.dataobj), np.asanyarray(nib.load(out).dataobj), voxel_mm3)
                )
            print(f"{kind:<16}{statistics.mean(seconds):>12.1f}{statistics.mean(dices):>11.3f}{min(dices):>10.3f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def builtin_atlas_on_brain_shaped_phantoms(work: Path, subjects: int) -> int:
    """The built-in atlas (affine) on each brain-shaped phantom's T1 and FLAIR; one line per image, then means."""
    print(f"making {subjects} brain-shaped subjects on the challenge grids ...", flush=True)
    cohort = make_synthetic_cohort(work / "cohort", subjects=subjects, anatomy="mni152", seed=5, jobs=2,
                                   progress=False)  # fmt: skip
    atlas = load_builtin_atlas(work / "atlas")
    print(f"\n{'subject':<24}{'image':<7}{'seconds':>8}{'mean Dice':>11}")
    seconds, dices = [], []
    for record in cohort.subjects:
        truth = nib.load(cohort.root / record["files"]["regions"])
        voxel_mm3 = float(np.prod(truth.header.get_zooms()))
        for image in ("t1", "flair"):
            out = work / "maps" / record["subject"] / f"{image}.nii.gz"
            started = time.perf_counter()
            register_atlas(atlas, cohort.root / record["files"][image], out, subject=record["subject"])
            seconds.append(time.perf_counter() - started)
            found = np.asanyarray(nib.load(out).dataobj)
            dices.append(mean_region_dice(np.asanyarray(truth.dataobj), found, voxel_mm3))
            print(f"{record['site'] + ' ' + record['subject']:<24}{image:<7}{seconds[-1]:>8.1f}{dices[-1]:>11.3f}")
    print(f"{'all':<31}{statistics.mean(seconds):>8.1f}{statistics.mean(dices):>11.3f} (lowest {min(dices):.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
