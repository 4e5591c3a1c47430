"""Command line: ``nnunet_wmh <command> ...``. Parses, calls one library function, prints a summary.

Exit codes: 0 success, 1 bad input data, 2 usage error.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from nnunet_wmh import __version__
from nnunet_wmh.errors import InvalidInputsError, NnunetWmhError, UsageError

EXIT_OK, EXIT_INPUT, EXIT_USAGE = 0, 1, 2


def _human_bytes(count: int) -> str:
    size = float(count)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1000
    return f"{size:.1f} TB"


def _comma_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _add_synth(subparsers) -> None:
    parser = subparsers.add_parser(
        "synth",
        help="write a deterministic synthetic cohort (WMH 2017 or BIDS layout)",
        description="Brain-like phantoms in native space (anisotropic, oblique), with WMH (label 1), other "
        "pathology (label 2) and a 16-region white matter map, for tests and demos.",
    )
    parser.add_argument("out", help="output folder (must be empty unless --overwrite)")
    parser.add_argument("--subjects", type=int, required=True, help="number of training subjects")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--layout", choices=("wmh2017", "bids"), default="wmh2017")
    parser.add_argument(
        "--size",
        choices=("full", "small"),
        default="full",
        help="full: each site's real grid; small: 4x4x2 coarser grids for fast tests",
    )
    parser.add_argument(
        "--test-subjects", type=int, default=0, help="wmh2017 layout: subjects written to test/ (default 0)"
    )
    parser.add_argument("--sessions", type=int, default=1, help="bids layout: sessions per subject")
    parser.add_argument("--sites", type=_comma_list, help="only these sites, e.g. Utrecht,Singapore (default all)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty output folder")
    parser.set_defaults(handler=_run_synth)


def _run_synth(args: argparse.Namespace) -> int:
    from nnunet_wmh.synthetic import make_synthetic_cohort

    cohort = make_synthetic_cohort(
        args.out,
        subjects=args.subjects,
        seed=args.seed,
        layout=args.layout,
        size=args.size,
        test_subjects=args.test_subjects,
        sessions=args.sessions,
        sites=args.sites,
        jobs=args.jobs,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    splits = {split: sum(1 for s in cohort.subjects if s["split"] == split) for split in ("train", "test")}
    print(
        f"wrote {splits['train']} training and {splits['test']} test subject(s) ({cohort.layout} layout) "
        f"to {cohort.root}"
    )
    return EXIT_OK


def _add_convert(subparsers) -> None:
    from nnunet_wmh.cohorts import LAYOUTS
    from nnunet_wmh.dataset_conversion.modes import INPUT_CHOICES, MODES

    parser = subparsers.add_parser(
        "convert",
        help="build an nnU-Net raw dataset from a WMH 2017 tree, a BIDS dataset or a CSV manifest",
        description="Validates every subject first (nothing is written if one is bad), then writes "
        "DatasetXXX_NAME with imagesTr, labelsTr, imagesTs, dataset.json, splits_final.json and conversion.tsv.",
    )
    parser.add_argument("source", help="WMH 2017 tree, BIDS root, or .csv/.tsv manifest")
    parser.add_argument(
        "--mode",
        required=True,
        choices=MODES,
        help="input channels and labels: flair, t1, flair_t1, interchangeable (channel duplication), "
        "multitask (joint lesion x region labels), regions (region labels)",
    )
    parser.add_argument("--dataset-id", type=int, required=True, help="nnU-Net dataset id (1..999)")
    parser.add_argument("--name", help="dataset name (default WMH_<mode>)")
    parser.add_argument("--out", help="nnU-Net raw folder (default $nnUNet_raw)")
    parser.add_argument("--layout", choices=LAYOUTS, help="source layout (default: detected)")
    parser.add_argument(
        "--images",
        choices=("pre", "orig"),
        default="pre",
        help="WMH 2017 image folder (default pre: T1 registered to FLAIR)",
    )
    parser.add_argument("--derivatives", help="BIDS: folder with lesion/region maps (default SOURCE/derivatives)")
    parser.add_argument(
        "--regions", help="region maps: a folder, or a pattern with {subject}, {session}, {site}, {key}"
    )
    parser.add_argument("--region-table", help="region names: TSV/CSV (id,name), 'id name' text, or colour LUT")
    parser.add_argument("--test-source", help="cohort converted into imagesTs (any layout)")
    parser.add_argument("--test-layout", choices=LAYOUTS, help="layout of --test-source (default: detected)")
    parser.add_argument(
        "--inputs", choices=INPUT_CHOICES, help="multitask/regions modes: input channels (default flair_t1)"
    )
    parser.add_argument(
        "--variants",
        type=_comma_list,
        help="interchangeable: cases per complete subject, from paired,flair,t1 (default all)",
    )
    parser.add_argument(
        "--channels",
        type=int,
        choices=(1, 2),
        default=2,
        help="interchangeable: 2 = channel duplication (default), 1 = one case per modality",
    )
    parser.add_argument(
        "--fill-missing",
        choices=("duplicate", "zero"),
        default="duplicate",
        help="interchangeable: a missing channel is a copy of the other image (default) or zeros",
    )
    parser.add_argument(
        "--encoding",
        choices=("joint", "separate"),
        help="multitask: joint softmax labels (default) or separate sigmoid outputs (regions + lesion)",
    )
    parser.add_argument(
        "--other-pathology",
        choices=("ignore", "background", "lesion"),
        default="ignore",
        help="challenge label 2 (default ignore: nnU-Net's ignore label)",
    )
    parser.add_argument(
        "--drop-modality",
        choices=("flair", "t1"),
        help="remove this modality from the test subjects (simulate a missing scan)",
    )
    parser.add_argument("--case-prefix", default="wmh", help="case ids are PREFIX_NNNN[_variant] (default wmh)")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    parser.add_argument("--seed", type=int, default=12345, help="fold shuffling seed (default 12345)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing dataset")
    parser.add_argument(
        "--coregister",
        action="store_true",
        help="register each T1 that is not on its FLAIR's grid to the FLAIR and resample it onto that grid",
    )
    parser.add_argument(
        "--skip-invalid",
        action="store_true",
        help="convert the valid subjects and list the others, instead of stopping",
    )
    parser.set_defaults(handler=_run_convert)


def _run_convert(args: argparse.Namespace) -> int:
    from nnunet_wmh.dataset_conversion import convert_dataset

    result = convert_dataset(
        args.source,
        mode=args.mode,
        dataset_id=args.dataset_id,
        name=args.name,
        out=args.out,
        layout=args.layout,
        images=args.images,
        derivatives=args.derivatives,
        regions=args.regions,
        region_table=args.region_table,
        test_source=args.test_source,
        test_layout=args.test_layout,
        inputs=args.inputs,
        variants=args.variants,
        channels=args.channels,
        fill_missing=args.fill_missing,
        encoding=args.encoding,
        other_pathology=args.other_pathology,
        drop_modality=args.drop_modality,
        case_prefix=args.case_prefix,
        folds=args.folds,
        seed=args.seed,
        jobs=args.jobs,
        overwrite=args.overwrite,
        skip_invalid=args.skip_invalid,
        coregister=args.coregister,
        progress=not args.quiet,
    )
    print(f"{result.dataset_dir.name} written to {result.dataset_dir}")
    print(f"  training: {result.train_cases} case(s) from {result.train_subjects} subject(s)")
    if result.test_subjects:
        print(f"  test:     {result.test_cases} case(s) from {result.test_subjects} subject(s)")
    links = ", ".join(f"{n} {kind}(s)" for kind, n in sorted(result.links.items())) or "no links"
    print(f"  written:  {_human_bytes(result.bytes_written)} new data, {links}, {result.seconds:.1f} s")
    if result.skipped:
        print(f"  skipped:  {len({p.subject for p in result.skipped})} subject(s):")
        for problem in result.skipped:
            print(f"    {problem}")
    for warning in result.warnings:
        print(f"  warning:  {warning}")
    dataset_id = args.dataset_id
    print(f"next: nnUNetv2_plan_and_preprocess -d {dataset_id} -c 3d_fullres --verify_dataset_integrity")
    return EXIT_OK


def _add_trainers_path(subparsers) -> None:
    parser = subparsers.add_parser(
        "trainers-path",
        help="print the folder of nnunet_wmh's nnU-Net trainers (for nnUNet_extTrainer)",
        description="Use as: export nnUNet_extTrainer=$(nnunet_wmh trainers-path)",
    )
    parser.set_defaults(handler=_run_trainers_path)


def _run_trainers_path(args: argparse.Namespace) -> int:
    from nnunet_wmh.trainers import trainers_path

    print(trainers_path())
    return EXIT_OK


def _add_decode(subparsers) -> None:
    parser = subparsers.add_parser(
        "decode",
        help="turn saved multitask probabilities (CASE.npz) into joint lesion x region label maps",
        description="Reads CASE.npz/CASE.pkl written by nnUNetv2_predict --save_probabilities for a model "
        "trained on convert --mode multitask (--encoding separate or joint) and writes OUT/CASE.nii.gz "
        "in the joint encoding.",
    )
    parser.add_argument("prediction_dir", help="nnUNetv2_predict output folder")
    parser.add_argument("--out", help="output folder (default PREDICTION_DIR/joint)")
    parser.add_argument("--dataset-json", help="multitask dataset.json (default PREDICTION_DIR/dataset.json)")
    parser.add_argument("--threshold", type=float, default=0.5, help="sigmoid threshold (default 0.5)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--overwrite", action="store_true", help="replace existing decoded files")
    parser.set_defaults(handler=_run_decode)


def _run_decode(args: argparse.Namespace) -> int:
    from nnunet_wmh.decode import decode_prediction_folder

    written = decode_prediction_folder(
        args.prediction_dir,
        out=args.out,
        dataset_json=args.dataset_json,
        threshold=args.threshold,
        jobs=args.jobs,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    print(f"decoded {len(written)} case(s) into {written[0].parent}")
    return EXIT_OK


def _add_evaluate(subparsers) -> None:
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
        "--threshold", type=float, default=0.5, help="float predictions: lesion where value >= this (default 0.5)"
    )
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing output files")
    parser.set_defaults(handler=_run_evaluate)


_METRIC_FORMATS = {"dice": ".3f", "hd95_mm": ".2f", "avd_percent": ".1f", "lesion_recall": ".3f", "lesion_f1": ".3f"}


def _mean_std_median(row: dict, metric: str) -> str:
    if not row[f"{metric}_n"]:
        return "n/a"
    spec = _METRIC_FORMATS.get(metric, ".3f")
    std = row[f"{metric}_std"]
    spread = "" if std != std else f" ± {std:{spec}}"  # NaN std (one value): mean only
    return f"{row[f'{metric}_mean']:{spec}}{spread} ({row[f'{metric}_median']:{spec}})"


def _summary_lines(rows: list[dict], metrics: list[str]) -> list[str]:
    table = [["group", "cases", *metrics]]
    for row in rows:
        columns = [] if row["grouping"] == "all" else row["grouping"].split("+")
        group = ", ".join(f"{column}={row[column]}" for column in columns) or "all"
        table.append([group, str(row["cases"]), *(_mean_std_median(row, m) for m in metrics)])
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in table]


def _run_evaluate(args: argparse.Namespace) -> int:
    from nnunet_wmh.evaluation.evaluate import evaluate_folder, existing_outputs, write_evaluation
    from nnunet_wmh.labels.conventions import LabelConvention

    if not args.overwrite:  # refuse before spending the time to evaluate
        with_regions = bool(args.dataset_json) and LabelConvention.from_dataset_json(args.dataset_json).has_regions
        existing_outputs(args.out, with_regions=with_regions, overwrite=False)
    evaluation = evaluate_folder(
        args.prediction_dir,
        args.reference_dir,
        dataset_json=args.dataset_json,
        conversion_tsv=args.conversion_tsv,
        threshold=args.threshold,
        jobs=args.jobs,
        progress=not args.quiet,
    )
    paths = write_evaluation(evaluation, args.out, overwrite=args.overwrite)
    convention = evaluation.convention
    print(f"evaluated {len(evaluation.cases)} case(s); {convention.explain()}")
    print("mean ± std (median); HD95 in mm, AVD in %")
    for line in _summary_lines(evaluation.summary_rows(), evaluation.summary_metrics()):
        print(f"  {line}")
    if evaluation.unmatched_references:
        shown = ", ".join(evaluation.unmatched_references[:5])
        more = len(evaluation.unmatched_references) - 5
        print(
            f"  not evaluated: {len(evaluation.unmatched_references)} reference case(s) without prediction: "
            f"{shown}{f' and {more} more' if more > 0 else ''}"
        )
    for warning in evaluation.warnings:
        print(f"  warning: {warning}")
    written = [p for p in (paths.metrics, paths.summary, paths.regions, paths.nnunet_summary) if p is not None]
    print("wrote " + ", ".join(str(p) for p in written))
    return EXIT_OK


def _add_report(subparsers) -> None:
    from nnunet_wmh.report.periventricular import PV_RULES

    parser = subparsers.add_parser(
        "report",
        help="region-wise lesion burden: tables per subject, region and lesion, QC flags, pictures, index.html",
        description="Turns predicted label maps (PRED_DIR/CASE.nii.gz) into lesion burden tables (regions.tsv, "
        "regions_wide.tsv, subjects.tsv, lesions.tsv, qc.tsv), report.json, QC pictures and index.html. Joint "
        "labels of a multitask model are decoded with its dataset.json; lesion maps take region maps from "
        "--regions.",
    )
    parser.add_argument("prediction_dir", metavar="PRED_DIR", help="predicted label maps CASE.nii.gz")
    parser.add_argument("--out", required=True, help="report folder")
    parser.add_argument("--regions", help="folder of region maps CASE.nii.gz (for lesion-map predictions)")
    parser.add_argument("--dataset-json", help="the model's dataset.json (default: PRED_DIR/dataset.json when present)")
    parser.add_argument("--region-table", help="names of the --regions values (TSV/CSV, 'id name' text, LUT)")
    parser.add_argument(
        "--conversion-tsv", help="conversion.tsv of convert: tables carry participant_id, session_id, site"
    )
    parser.add_argument("--images", help="folder of images for the pictures (CASE_0000.nii.gz or CASE.nii.gz)")
    parser.add_argument("--connectivity", type=int, choices=(6, 18, 26), default=26, help="lesion connectivity")
    parser.add_argument(
        "--min-lesion-mm3", type=float, default=0.0, help="drop lesions smaller than this (mm³, default 0)"
    )
    parser.add_argument(
        "--ventricles", help="folder of ventricle maps CASE.nii.gz (binary, or FreeSurfer/SynthSeg labels 4, 43)"
    )
    parser.add_argument("--pv-rule", choices=PV_RULES, default="distance", help="periventricular rule")
    parser.add_argument(
        "--pv-distance-mm", type=float, default=10.0, help="distance of the distance/continuity rules (mm)"
    )
    parser.add_argument("--brain-mask", help="folder of brain masks CASE.nii.gz (intracranial volume)")
    parser.add_argument(
        "--outside",
        choices=("nearest", "keep"),
        default="nearest",
        help="lesion voxels in no region: nearest region within 3 mm (default) or keep as outside_regions",
    )
    parser.add_argument(
        "--threshold", type=float, default=0.5, help="probability maps: lesion where value >= this (default 0.5)"
    )
    parser.add_argument("--bids-derivatives", help="also write BIDS derivative files into this folder")
    parser.add_argument("--no-pictures", action="store_true", help="tables only (no PNGs, no index.html)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--part-id", type=int, default=0, help="this part, 0..N-1 (with --num-parts)")
    parser.add_argument(
        "--num-parts", type=int, default=1, help="split the cases into N interleaved parts (then report-merge)"
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing report")
    parser.set_defaults(handler=_run_report)


def _print_report(result) -> None:
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
        print(f"  warning: {warning}")
    print("  wrote " + ", ".join(sorted(result.files)))
    if "index.html" in result.files:
        print(f"  open {result.files['index.html']}")


def _run_report(args: argparse.Namespace) -> int:
    from nnunet_wmh.report.run import ReportOptions, make_report

    options = ReportOptions(
        connectivity=args.connectivity,
        min_lesion_mm3=args.min_lesion_mm3,
        pv_rule=args.pv_rule,
        pv_distance_mm=args.pv_distance_mm,
        outside=args.outside,
        threshold=args.threshold,
        pictures=not args.no_pictures,
    )
    result = make_report(
        args.prediction_dir,
        args.out,
        regions=args.regions,
        dataset_json=args.dataset_json,
        region_table=args.region_table,
        conversion_tsv=args.conversion_tsv,
        images=args.images,
        ventricles=args.ventricles,
        brain_mask=args.brain_mask,
        bids_derivatives=args.bids_derivatives,
        options=options,
        part_id=args.part_id,
        num_parts=args.num_parts,
        jobs=args.jobs,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    _print_report(result)
    return EXIT_OK


def _add_report_merge(subparsers) -> None:
    parser = subparsers.add_parser(
        "report-merge",
        help="join the parts of a sharded report (--part-id/--num-parts) into the final tables",
        description="Reads OUT_DIR/parts/part-I-of-N (all N must be present and made with the same options), "
        "writes the same files a single report run writes, and removes the parts.",
    )
    parser.add_argument("out_dir", metavar="OUT_DIR", help="the --out folder of the report parts")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing finished report")
    parser.set_defaults(handler=_run_report_merge)


def _run_report_merge(args: argparse.Namespace) -> int:
    from nnunet_wmh.report.run import merge_report

    _print_report(merge_report(args.out_dir, overwrite=args.overwrite))
    return EXIT_OK


def _add_regions(subparsers) -> None:
    from nnunet_wmh.registration import TRANSFORM_KINDS

    parser = subparsers.add_parser(
        "regions",
        help="register an atlas to each subject and write native-space region maps",
        description="Registers --atlas-image to the subject (Mattes mutual information, multi-resolution, "
        "centred initialisation) and resamples --atlas-labels with nearest neighbour onto the subject's exact "
        "grid. Writes the transform beside each map. With --source, every subject of a cohort (any layout "
        "convert reads) gets OUT_DIR/<subject>/regions.nii.gz, which convert --regions OUT_DIR finds.",
    )
    parser.add_argument("--atlas-image", required=True, help="template image (e.g. MNI152 T1)")
    parser.add_argument("--atlas-labels", required=True, help="region labels on the template grid")
    parser.add_argument("--region-table", required=True, help="region names (TSV/CSV, 'id name' text, LUT)")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--subject", help="one subject image (with --out)")
    target.add_argument("--source", help="a cohort: WMH 2017 tree, BIDS root or manifest (with --out-dir)")
    parser.add_argument("--out", help="output region map (with --subject)")
    parser.add_argument("--out-dir", help="output folder (with --source)")
    parser.add_argument("--layout", help="source layout (default: detected)")
    parser.add_argument(
        "--modality", choices=("t1", "flair"), default="t1", help="cohort image registered (default t1)"
    )
    parser.add_argument("--transform", choices=TRANSFORM_KINDS, default="affine", help="default affine")
    parser.add_argument("--wm-mask", help="with --subject: keep labels inside this mask only (off by default)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (with --source)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    parser.set_defaults(handler=_run_regions)


def _run_regions(args: argparse.Namespace) -> int:
    from pathlib import Path

    from nnunet_wmh.registration.atlas import load_atlas, register_atlas, register_atlas_to_cohort

    if args.subject and not args.out:
        raise UsageError("--subject needs --out")
    if args.source and not args.out_dir:
        raise UsageError("--source needs --out-dir")
    if args.source and args.wm_mask:
        raise UsageError("--wm-mask applies to one --subject")
    atlas = load_atlas(args.atlas_image, args.atlas_labels, args.region_table)
    if args.subject:
        if Path(args.out).exists() and not args.overwrite:
            raise UsageError(f"{args.out} exists; pass --overwrite to replace it")
        result = register_atlas(atlas, args.subject, args.out, transform=args.transform, wm_mask=args.wm_mask)
        print(f"wrote {result.region_map} ({len(result.region_ids)} regions) and {result.transform}")
        print(f"  final mutual information {result.metric:.3f}; {result.inside_head:.0%} of the regions in the head")
        return EXIT_OK
    cohort = register_atlas_to_cohort(
        atlas,
        args.source,
        args.out_dir,
        layout=args.layout,
        modality=args.modality,
        transform=args.transform,
        jobs=args.jobs,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    print(f"wrote region maps of {len(cohort.results)} subject(s) to {cohort.out_dir} (names: {cohort.region_table})")
    print(f"next: nnunet_wmh convert {args.source} --mode multitask --regions {cohort.out_dir} ...")
    return EXIT_OK


def _add_coregister(subparsers) -> None:
    parser = subparsers.add_parser(
        "coregister",
        help="register a T1 rigidly to the FLAIR and resample it onto the FLAIR's exact grid",
        description="Rigid registration (Mattes mutual information, multi-resolution), linear resampling of "
        "--moving onto the grid of --fixed, output with the FLAIR's header; the transform is written beside it.",
    )
    parser.add_argument("--fixed", required=True, help="the FLAIR (its grid is kept)")
    parser.add_argument("--moving", required=True, help="the T1 to move")
    parser.add_argument("--out", required=True, help="output .nii.gz, e.g. T1_in_FLAIR.nii.gz")
    parser.add_argument("--n4", action="store_true", help="N4 bias-field correction of both images first")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output")
    parser.set_defaults(handler=_run_coregister)


def _run_coregister(args: argparse.Namespace) -> int:
    from pathlib import Path

    from nnunet_wmh.registration.coregister import coregister

    if Path(args.out).exists() and not args.overwrite:
        raise UsageError(f"{args.out} exists; pass --overwrite to replace it")
    result = coregister(args.fixed, args.moving, args.out, n4=args.n4)
    print(f"wrote {result.image} (T1 on the FLAIR grid) and {result.transform}")
    print(f"  final mutual information {result.metric:.3f}; {result.head_overlap:.0%} head overlap")
    return EXIT_OK


def _add_demo(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the whole pipeline on built-in synthetic data (CPU is enough; no download)",
        description="synthetic cohort -> atlas regions by registration -> convert -> nnUNetv2_plan_and_preprocess "
        "-> short nnUNetv2_train (modality dropout) -> nnUNetv2_predict on FLAIR+T1, FLAIR-only and T1-only test "
        "subjects -> evaluate -> report. About 10 minutes on 2 CPU cores (--quick: about 4).",
    )
    parser.add_argument("--out", default="nnunet_wmh_demo", help="demo folder (default ./nnunet_wmh_demo)")
    parser.add_argument("--quick", action="store_true", help="fewer subjects and a shorter training")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing demo folder")
    parser.set_defaults(handler=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    from nnunet_wmh.demo import run_demo

    result = run_demo(
        args.out, quick=args.quick, overwrite=args.overwrite, jobs=args.jobs, on_stage=lambda m: print(m, flush=True)
    )
    print(f"\nDice on the test subjects by input (after a short {result.device.upper()} training):")
    names = {"paired": "FLAIR + T1", "flair_only": "FLAIR only", "t1_only": "T1 only"}
    for variant in sorted(result.dice_by_variant, key=lambda v: list(names).index(v) if v in names else 9):
        print(f"  {names.get(variant, variant):<12} {result.dice_by_variant[variant]:.3f}")
    print(f"\nLesion burden per region of {result.subject}:")
    print(f"  {'region':<28} {'lesion mL':>10} {'lesions':>8}")
    for row in result.subject_burden:
        print(f"  {row['region_name']:<28} {float(row['lesion_volume_ml']):>10.3f} {row['lesion_count']:>8}")
    print(f"\nreport: {result.report_index}")
    print(f"tables: {result.out / 'report'}, metrics: {result.out / 'evaluation' / 'metrics.tsv'}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The ``nnunet_wmh`` argument parser with all subcommands."""
    parser = argparse.ArgumentParser(
        prog="nnunet_wmh",
        description="nnU-Net v2 plugin for white matter hyperintensity segmentation and localization.",
    )
    parser.add_argument("--version", action="version", version=f"nnunet_wmh {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    common.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (
        _add_synth,
        _add_convert,
        _add_decode,
        _add_evaluate,
        _add_report,
        _add_report_merge,
        _add_regions,
        _add_coregister,
        _add_demo,
        _add_trainers_path,
    ):
        add(_CommonSubparsers(subparsers, common))
    return parser


class _CommonSubparsers:
    """Adds the shared -v/-q options to every subcommand."""

    def __init__(self, subparsers, common: argparse.ArgumentParser) -> None:
        self._subparsers = subparsers
        self._common = common

    def add_parser(self, name: str, **kwargs):
        return self._subparsers.add_parser(name, parents=[self._common], **kwargs)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse's own usage errors and --help
        return int(exc.code or 0)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="nnunet_wmh: %(levelname)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return args.handler(args)
    except InvalidInputsError as exc:
        for line in str(exc).splitlines():
            print(f"nnunet_wmh: error: {line.strip()}", file=sys.stderr)
        return EXIT_INPUT
    except UsageError as exc:
        print(f"nnunet_wmh: usage error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except NnunetWmhError as exc:
        print(f"nnunet_wmh: error: {exc}", file=sys.stderr)
        return EXIT_INPUT


if __name__ == "__main__":
    sys.exit(main())
