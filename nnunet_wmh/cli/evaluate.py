"""Computes the MICCAI WMH 2017 challenge metrics (Dice, HD95, AVD, lesion recall and F1) exactly as its official
evaluation defines them, for every PRED_DIR/CASE.nii.gz against GT_DIR/CASE.nii.gz. Writes OUT/metrics.tsv (per
case), OUT/metrics_summary.tsv (mean, std, median per site and input variant), OUT/metrics_regions.tsv (multitask)
and OUT/summary.json (nnU-Net's layout)."""

from __future__ import annotations

import argparse

from nnunet_wmh.cli.flags import add_option, add_run_flags, options_from, run_options
from nnunet_wmh.cli.formatting import aligned, finished
from nnunet_wmh.evaluation.options import EvaluateOptions

NAME = "evaluate"
SUMMARY = "WMH challenge metrics (Dice, HD95, AVD, lesion recall and F1) per case, per site and per variant"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``evaluate``."""
    parser.add_argument("prediction_dir", metavar="PRED_DIR", help="predicted label maps (or probability maps)")
    parser.add_argument("reference_dir", metavar="GT_DIR", help="reference label maps with the same file names")
    parser.add_argument("--out", required=True, help="output folder (a .tsv file name: deprecated spelling)")
    parser.add_argument(
        "--dataset-json",
        help="dataset.json the labels follow: nnU-Net labels with 'ignore', or a multitask dataset's joint "
        "labels (default: challenge labels 0/1/2)",
    )
    parser.add_argument(
        "--conversion-tsv",
        help="conversion.tsv of convert: adds subject, session, site and input variant (default: none)",
    )
    add_option(parser, EvaluateOptions, "threshold", "float predictions: lesion where value >= this, strictly "
               "between 0 and 1", type=float)  # fmt: skip
    add_run_flags(parser, overwrite="replace existing output files")


_METRIC_FORMATS = {"dice": ".3f", "hd95_mm": ".2f", "avd_percent": ".1f", "lesion_recall": ".3f", "lesion_f1": ".3f"}


def _mean_std_median(row: dict, metric: str) -> str:
    if not row[f"{metric}_n"]:
        return "n/a"
    spec = _METRIC_FORMATS.get(metric, ".3f")
    std = row[f"{metric}_std"]
    spread = "" if std != std else f" ± {std:{spec}}"  # NaN std (one value): mean only
    return f"{row[f'{metric}_mean']:{spec}}{spread} ({row[f'{metric}_median']:{spec}})"


def summary_lines(rows: list[dict], metrics: list[str]) -> list[str]:
    """The summary table as aligned lines: one row per group, mean ± std (median) per metric."""
    table = [["group", "cases", *metrics]]
    for row in rows:
        columns = [] if row["grouping"] == "all" else row["grouping"].split("+")
        group = ", ".join(f"{column}={row[column]}" for column in columns) or "all"
        table.append([group, str(row["cases"]), *(_mean_std_median(row, m) for m in metrics)])
    return aligned(table)


def run(args: argparse.Namespace) -> int:
    """Evaluate; print the summary table and the files written."""
    # heavy: numpy, nibabel, scipy (but neither torch, nnU-Net, pandas nor SimpleITK: evaluate starts fast)
    from nnunet_wmh.evaluation.files import evaluate_to_files

    evaluation, files = evaluate_to_files(
        args.prediction_dir, args.reference_dir, args.out, options_from(EvaluateOptions, args), run_options(args)
    )
    print(f"evaluated {len(evaluation.cases)} case(s); {evaluation.convention.explain()}")
    print("mean ± std (median); HD95 in mm, AVD in %")
    for line in summary_lines(evaluation.summary_rows(), evaluation.summary_metrics()):
        print(f"  {line}")
    unmatched = evaluation.unmatched_references
    if unmatched:
        more = f" and {len(unmatched) - 5} more" if len(unmatched) > 5 else ""
        shown = ", ".join(unmatched[:5])
        print(f"  not evaluated: {len(unmatched)} reference case(s) without prediction: {shown}{more}")
    for warning in evaluation.warnings:
        print(f"  warning: {args.render(warning)}")
    print("wrote " + ", ".join(str(p) for p in files.written()))
    return finished(files.run_summary)
