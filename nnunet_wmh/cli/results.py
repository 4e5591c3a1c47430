"""Commands on a model's predictions: ``decode``, ``evaluate``, ``report``, ``report-merge``.

``evaluate`` imports neither torch, nnU-Net, pandas nor SimpleITK, so it starts in well under a second.
"""

from __future__ import annotations

import argparse

from nnunet_wmh.cli.formatting import aligned

EXIT_OK = 0


def add_decode(subparsers) -> None:
    parser = subparsers.add_parser(
        "decode",
        help="turn saved multitask probabilities (CASE.npz) into joint lesion x region label maps",
        description="Reads CASE.npz/CASE.pkl written by nnUNetv2_predict --save_probabilities for a model "
        "trained on convert --mode multitask (--encoding separate or joint) and writes OUT/CASE.nii.gz "
        "in the joint encoding. Every case is checked; nothing is written unless all of them decode.",
    )
    parser.add_argument("prediction_dir", metavar="PRED_DIR", help="nnUNetv2_predict output folder")
    parser.add_argument("--out", help="output folder (default PRED_DIR/joint)")
    parser.add_argument("--dataset-json", help="multitask dataset.json (default PRED_DIR/dataset.json)")
    parser.add_argument("--threshold", type=float, default=0.5, help="sigmoid threshold, 0..1 (default 0.5)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    parser.set_defaults(handler=run_decode)


def run_decode(args: argparse.Namespace) -> int:
    from nnunet_wmh.decode import decode_prediction_folder  # heavy: SimpleITK

    written = decode_prediction_folder(
        args.prediction_dir, out=args.out, dataset_json=args.dataset_json, threshold=args.threshold,
        jobs=args.jobs, overwrite=args.overwrite, progress=not args.quiet,
    )  # fmt: skip
    print(f"decoded {len(written)} case(s) into {written[0].parent}")
    return EXIT_OK


def add_evaluate(subparsers) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="WMH challenge metrics (Dice, HD95, AVD, lesion recall and F1) per case, per site and per variant",
        description="Computes the MICCAI WMH 2017 challenge metrics exactly as its official evaluation defines "
        "them, for every PRED_DIR/CASE.nii.gz against GT_DIR/CASE.nii.gz. Writes OUT (per case), "
        "OUT_summary.tsv (mean, std, median per site and input variant), OUT_regions.tsv (multitask) and "
        "summary.json (nnU-Net's layout) beside it.",
    )
    parser.add_argument("prediction_dir", metavar="PRED_DIR", help="predicted label maps (or probability maps)")
    parser.add_argument("reference_dir", metavar="GT_DIR", help="reference label maps with the same file names")
    parser.add_argument("--out", required=True, help="per-case table to write, e.g. metrics.tsv")
    parser.add_argument(
        "--dataset-json",
        help="dataset.json the labels follow: nnU-Net labels with 'ignore', or a multitask dataset's joint "
        "labels (default: challenge labels 0/1/2)",
    )
    parser.add_argument(
        "--conversion-tsv", help="conversion.tsv of convert: adds subject, session, site and input variant"
    )
    parser.add_argument(
        "--threshold", type=float, default=0.5, help="float predictions: lesion where value >= this, 0..1 (0.5)"
    )
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing output files")
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
        args.prediction_dir, args.reference_dir, args.out, dataset_json=args.dataset_json,
        conversion_tsv=args.conversion_tsv, threshold=args.threshold, jobs=args.jobs, overwrite=args.overwrite,
        progress=not args.quiet,
    )  # fmt: skip
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
    return EXIT_OK


def add_report(subparsers) -> None:
    from nnunet_wmh.report.periventricular import PV_RULES  # heavy: numpy, kept out of the start-up

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
    parser.add_argument("--out", dest="out_dir", required=True, help="report folder")
    parser.add_argument("--regions", help="region maps (for lesion-map predictions): folder or pattern")
    parser.add_argument("--dataset-json", help="the model's dataset.json (default: PRED_DIR/dataset.json when present)")
    parser.add_argument("--region-table", help="names of the --regions values (TSV/CSV, 'id name' text, LUT)")
    parser.add_argument("--conversion-tsv", help="conversion.tsv of convert: participant_id, session_id, site")
    parser.add_argument("--images", help="images for the pictures (CASE_0000.nii.gz or CASE.nii.gz)")
    parser.add_argument("--connectivity", type=int, choices=(6, 18, 26), default=26, help="lesion connectivity")
    parser.add_argument("--min-lesion-mm3", type=float, default=0.0, help="drop lesions smaller than this (mm³)")
    parser.add_argument("--ventricles", help="ventricle maps (binary, or FreeSurfer/SynthSeg labels 4, 43)")
    parser.add_argument("--pv-rule", choices=PV_RULES, default="distance", help="periventricular rule")
    parser.add_argument("--pv-distance-mm", type=float, default=10.0, help="distance of the distance/continuity rules")
    parser.add_argument("--brain-mask", help="brain masks (intracranial volume)")
    parser.add_argument(
        "--outside", choices=("nearest", "keep"), default="nearest",
        help="lesion voxels in no region: nearest region within 3 mm (default) or keep as outside_regions",
    )  # fmt: skip
    parser.add_argument("--threshold", type=float, default=0.5, help="probability maps: lesion where value >= this")
    parser.add_argument("--bids-derivatives", help="also write BIDS derivative files into this folder")
    parser.add_argument("--no-pictures", action="store_true", help="tables only (no PNGs, no index.html)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--part-id", type=int, default=0, help="this part, 0..N-1 (with --num-parts)")
    parser.add_argument("--num-parts", type=int, default=1, help="N interleaved parts (then report-merge)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing report")
    parser.set_defaults(handler=run_report)


def print_report(result, render) -> None:
    """What ``report`` and ``report-merge`` print: the cohort figures and flags, or where the part went."""
    if not result.finished:
        print(f"wrote part with {len(result.cases)} case(s) to {result.files['part']}")
        print(f"when every part is done: nnunet_wmh report-merge {result.out_dir}")
        return
    summary = result.summary
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
    from nnunet_wmh.report.options import ReportOptions  # heavy: scipy, matplotlib
    from nnunet_wmh.report.run import make_report

    options = ReportOptions(
        connectivity=args.connectivity, min_lesion_mm3=args.min_lesion_mm3, pv_rule=args.pv_rule,
        pv_distance_mm=args.pv_distance_mm, outside=args.outside, threshold=args.threshold,
        pictures=not args.no_pictures,
    )  # fmt: skip
    result = make_report(
        args.prediction_dir, args.out_dir, regions=args.regions, dataset_json=args.dataset_json,
        region_table=args.region_table, conversion_tsv=args.conversion_tsv, images=args.images,
        ventricles=args.ventricles, brain_mask=args.brain_mask, bids_derivatives=args.bids_derivatives,
        options=options, part_id=args.part_id, num_parts=args.num_parts, jobs=args.jobs,
        overwrite=args.overwrite, progress=not args.quiet,
    )  # fmt: skip
    print_report(result, args.render)
    return EXIT_OK


def add_report_merge(subparsers) -> None:
    parser = subparsers.add_parser(
        "report-merge",
        help="join the parts of a sharded report (--part-id/--num-parts) into the final tables",
        description="Checks OUT_DIR/parts/part-I-of-N (all N present, complete and unchanged, made by one run "
        "with the same options, every case once), writes the same files a single report run writes, and "
        "removes the parts once the report is in place.",
    )
    parser.add_argument("out_dir", metavar="OUT_DIR", help="the --out folder of the report parts")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing finished report")
    parser.set_defaults(handler=run_report_merge)


def run_report_merge(args: argparse.Namespace) -> int:
    from nnunet_wmh.report.parts import merge_report  # heavy: matplotlib

    print_report(merge_report(args.out_dir, overwrite=args.overwrite), args.render)
    return EXIT_OK
