"""The full quick-profile study on a synthetic cohort: wall time per configuration and the study's tables.

Makes a synthetic WMH 2017 cohort (default 20 training and 10 test subjects, the ``small`` grids, FLAIR
pitfalls included) and runs ``nnunet_wmh study`` on it with every configuration, the atlas being the
cohort's template (for ``separate_models``; the multi-task models learn the phantom's true regions). The
study folder is kept, so an interrupted benchmark continues where it stopped when run again.

Usage: ``python benchmarks/bench_study.py [--work DIR] [--train 20] [--test 10] [--profile quick] [--jobs 2]``
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from nnunet_wmh.study.run import run_study
from nnunet_wmh.synthetic import make_synthetic_cohort
from nnunet_wmh.tsv import read_tsv


def bench_summary(study: Path) -> str:
    """Per configuration: did it learn, its lesion Dice and region Dice; each finding's verdict and reason."""
    lines = ["configuration                  status          lesion Dice  region Dice  reason"]
    for row in read_tsv(study / "model_checks.tsv"):
        region = row["region_dice_mean"] if row["region_dice_mean"] not in ("", "n/a", "nan") else "–"
        lesion, region = _short(row["lesion_dice_mean"]), _short(region)
        lines.append(f"{row['config']:<30} {row['status']:<15} {lesion:>11}  {region:>11}  {row['reason']}")
    findings = json.loads((study / "study.json").read_text())["findings"]
    lines += ["", *(f"{f['finding']}: {f['verdict']} ({f['reason']})" for f in findings)]
    return "\n".join(lines)


def _short(value: str) -> str:
    try:
        return f"{float(value):.3f}"
    except ValueError:
        return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("bench_study"))
    parser.add_argument("--train", type=int, default=20)
    parser.add_argument("--test", type=int, default=10)
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--configs", default=None, help="comma list (default: every configuration)")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    cohort = args.work / "cohort"
    if not cohort.exists():
        make_synthetic_cohort(
            cohort, subjects=args.train, test_subjects=args.test, size="small", seed=2026, jobs=args.jobs,
            progress=False,
        )  # fmt: skip
    template = cohort / "template"
    started = time.perf_counter()
    result = run_study(
        cohort, args.work / "study", profile=args.profile, jobs=args.jobs,
        configs=args.configs.split(",") if args.configs else None,
        atlas_image=str(template / "template_T1w.nii.gz"), atlas_labels=str(template / "template_regions.nii.gz"),
        region_table=str(template / "regions.tsv"), on_step=lambda message: print(message, flush=True),
    )  # fmt: skip
    wall = time.perf_counter() - started
    per_config: dict[str, float] = {}
    for key, seconds in result.seconds.items():
        per_config[key.split("/")[0]] = per_config.get(key.split("/")[0], 0.0) + seconds
    print(f"\nwall time of this run: {wall:.0f} s; time per configuration when its steps ran (s):")
    for config, seconds in per_config.items():
        print(f"  {config:<26} {seconds:7.0f}")
    print()
    print((result.out / "table_segmentation.md").read_text())
    print(bench_summary(result.out))
    summary = {"wall_seconds": wall, "seconds_per_config": per_config, "best": result.tables.best_lesion_config}
    (args.work / "bench_study.json").write_text(json.dumps(summary, indent=1) + "\n")


if __name__ == "__main__":
    main()
