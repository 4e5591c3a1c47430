"""Commands on a model's predictions: ``decode``, ``evaluate``, ``report``, ``report-merge``.

``evaluate`` imports neither torch, nnU-Net, pandas nor SimpleITK, so it starts in well under a second.
"""

from __future__ import annotations

import argparse

from nnunet_wmh.cli.flags import add_run_flags, default_of, options_from, run_options
from nnunet_wmh.cli.formatting import EXIT_OK, aligned, finished
from nnunet_wmh.decode.options import DecodeOptions
from nnunet_wmh.evaluation.options import EvaluateOptions
from nnunet_wmh.report.options import CONNECTIVITIES, OUTSIDE_POLICIES, PV_RULES, ReportOptions


def add_decode(subparsers) -> None:
    parser = subparsers.add_parser(
        "decode",
        help="turn saved multitask probabilities (CASE.npz) into joint lesion x region label maps",
        description="Reads CASE.npz/CASE.pkl written by nnUNetv2_predict --save_probabilities for a model "
        "trained on convert --mode multitask (--encoding separate or joint) and writes OUT/CASE.nii.gz "
        "in the joint encoding. Every case is checked; nothing is written unless all of them decode.",
    )
    parser.add_argument("prediction_dir", metavar="PRED_DIR", help="nnUNetv2_predict output folder")
    parser.add_argument("--out", help="output folder (default: PRED_DIR/joint)")
    parser.add_argument("--dataset-json", help="multitask dataset.json (default: PRED_DIR/dataset.json)")
    parser.add_argument("--threshold", type=float, default=default_of(DecodeOptions, "threshold"),
                        help="sigmoid threshold, strictly between 0 and 1")  # fmt: skip
    add_run_flags(parser)
    parser.set_defaults(handler=run_decode)


def run_decode(args: argparse.Namespace) -> int:
    from nnunet_wmh.decode.decoding import decode_prediction_folder  # heavy: SimpleITK

    written = decode_prediction_folder(args.prediction_dir, options_from(DecodeOptions, args), run_options(args))
    print(f"decoded {len(written)} case(s) into {written[0].parent}")
    return EXIT_OK


def add_evaluate(subparsers) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="WMH challenge metrics (Dice, HD95, AVD, lesion recall and F1) per case, per site and per variant",
        description="Computes the MICCAI WMH 2017 challenge metrics exactly as its official evaluation defines "
        "them, for every PRED_DIR/CASE.nii.gz against GT_DIR/CASE.nii.gz. Writes OUT/metrics.tsv (per case), "
        "OUT/metrics_summary.tsv (mean, std, median per site and input variant), OUT/metrics_regions.tsv "
        "(multitask) and OUT/summary.json (nnU-Net's layout).",
    )
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
    parser.add_argument("--threshold", type=float, default=default_of(EvaluateOptions, "threshold"),
                        help="float predictions: lesion where value >= this, strictly between 0 and 1")  # fmt: skip
    add_run_flags(parser, overwrite="replace existing output files")
    parser.set_defaults(handler=run_evaluate)


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


def run_evaluate(args: argparse.Namespace) -> int:
    from nnunet_wmh.evaluation.files import evaluate_to_files  # heavy: numpy, nibabel, scipy

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


def add_report(subparsers) -> None:
    parser = subparsers.add_parser(
        "report",
        help="region-wise lesion burden: tables per subject, region and lesion, QC flags, pictures, index.html",
        description="Turns predicted label maps (PRED_DIR/CASE.nii.gz) into lesion burden tables (regions.tsv, "
        "regions_wide.tsv, subjects.tsv, lesions.tsv, qc.tsv), report.json, QC pictures and index.html. Joint "
        "labels of a multitask model are decoded with its dataset.json; lesion maps take region maps from "
        "--regions. Companion maps are folders of CASE.nii.gz or patterns with {case}, {subject}, {session}, "
        "{site}.",
    )
    parser.add_argument("prediction_dir", metavar="PRED_DIR", help="predicted label maps CASE.nii.gz")
    parser.add_argument("--out", required=True, help="report folder")
    maps = parser.add_argument_group("companion maps", "each a folder of CASE.nii.gz, or a pattern with {case}, "
                                     "{subject}, {session}, {site} (from --conversion-tsv)")  # fmt: skip
    maps.add_argument("--regions", help="region maps, for lesion-map predictions (default: none)")
    maps.add_argument("--region-table", help="names of the --regions values: TSV/CSV, 'id name' text, LUT "
                      "(default: region_N)")  # fmt: skip
    maps.add_argument("--ventricles", help="ventricle maps: binary, or FreeSurfer/SynthSeg labels 4, 43 (default: "
                      "none; no periventricular/deep split)")  # fmt: skip
    maps.add_argument("--brain-mask", help="brain masks, for the intracranial volume (default: none)")
    maps.add_argument("--images", help="images for the pictures: CASE_0000.nii.gz or CASE.nii.gz (default: none)")
    parser.add_argument("--dataset-json", help="the model's dataset.json (default: PRED_DIR/dataset.json when present)")
    parser.add_argument(
        "--conversion-tsv", help="conversion.tsv of convert: participant_id, session_id, site (default: none)"
    )
    counting = parser.add_argument_group("counting")
    counting.add_argument("--connectivity", type=int, choices=CONNECTIVITIES,
                          default=default_of(ReportOptions, "connectivity"), help="lesion connectivity")  # fmt: skip
    counting.add_argument("--min-lesion-mm3", type=float, default=default_of(ReportOptions, "min_lesion_mm3"),
                          help="drop lesions smaller than this (mm³)")  # fmt: skip
    counting.add_argument("--pv-rule", choices=PV_RULES, default=default_of(ReportOptions, "pv_rule"),
                          help="periventricular rule")  # fmt: skip
    counting.add_argument("--pv-distance-mm", type=float, default=default_of(ReportOptions, "pv_distance_mm"),
                          help="distance of the distance/continuity rules (mm)")  # fmt: skip
    counting.add_argument(
        "--outside", choices=OUTSIDE_POLICIES, default=default_of(ReportOptions, "outside"),
        help="lesion voxels in no region: nearest region within 3 mm, or keep as outside_regions",
    )  # fmt: skip
    counting.add_argument("--threshold", type=float, default=default_of(ReportOptions, "threshold"),
                          help="probability maps: lesion where value >= this")  # fmt: skip
    parser.add_argument("--bids-derivatives", help="also write BIDS derivative files into this folder (default: none)")
    parser.add_argument("--no-pictures", dest="pictures", action="store_false",
                        help="tables only (no PNGs, no index.html)")  # fmt: skip
    add_run_flags(parser, parts=True)
    parser.set_defaults(handler=run_report)


def print_report(result, render) -> None:
    """What ``report`` and ``report-merge`` print: the cohort figures and flags, or where the part went."""
    if not result.finished:
        print(f"wrote part with {len(result.cases)} case(s) to {result.files['part']}")
        print(f"when every part is done: nnunet_wmh report-merge {result.out_dir}")
        return
    summary = result.figures
    print(f"report of {summary['cases']} case(s) in {result.out_dir}")
    print(
        f"  lesion volume: median {summary['lesion_volume_ml_median']:.2f} mL "
        f"(IQR {summary['lesion_volume_ml_q1']:.2f}-{summary['lesion_volume_ml_q3']:.2f}); "
        f"median lesion count {summary['lesion_count_median']:.0f}"
    )
    print(f"  flagged: {summary['flagged']} case(s)")
    for case, flag in list(result.flagged.items())[:10]:
        print(f"    {case}: {flag}")
    if len(result.flagged) > 10:
        print(f"    ... see {result.out_dir / 'qc.tsv'}")
    for warning in result.warnings[:10]:
        print(f"  warning: {render(warning)}")
    print("  wrote " + ", ".join(sorted(result.files)))
    if "index.html" in result.files:
        print(f"  open {result.files['index.html']}")


def run_report(args: argparse.Namespace) -> int:
    from nnunet_wmh.report.run import make_report  # heavy: numpy, scipy, matplotlib

    result = make_report(args.prediction_dir, args.out, options_from(ReportOptions, args), run_options(args))
    print_report(result, args.render)
    return finished(result.run_summary)


def add_report_merge(subparsers) -> None:
    parser = subparsers.add_parser(
        "report-merge",
        help="join the parts of a sharded report (--part-id/--num-parts) into the final tables",
        description="Checks OUT/parts/part-I-of-N (all N present, complete and unchanged, made by one run "
        "with the same options, every case once), writes the same files a single report run writes, and "
        "removes the parts once the report is in place.",
    )
    parser.add_argument("out", metavar="OUT", help="the --out folder of the report (or segment) parts")
    add_run_flags(parser, jobs=None, overwrite="replace an existing finished report")
    parser.set_defaults(handler=run_report_merge)


def run_report_merge(args: argparse.Namespace) -> int:
    from nnunet_wmh.report.finish import merge_report  # heavy: numpy, matplotlib

    result = merge_report(args.out, overwrite=args.overwrite)
    print_report(result, args.render)
    return finished(result.run_summary)
