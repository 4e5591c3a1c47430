"""Commands around nnU-Net itself: ``demo`` (the whole pipeline on synthetic data) and ``trainers-path``."""

from __future__ import annotations

import argparse

from nnunet_wmh.cli.flags import add_run_flags, run_options
from nnunet_wmh.cli.formatting import EXIT_OK, finished
from nnunet_wmh.nnunet.trainer_search import trainers_path

VARIANT_NAMES = {"paired": "FLAIR + T1", "flair_only": "FLAIR only", "t1_only": "T1 only"}


def add_demo(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the whole pipeline on built-in synthetic data (CPU is enough; no download)",
        description="synthetic cohort -> atlas regions by registration -> convert -> nnUNetv2_plan_and_preprocess "
        "-> short nnUNetv2_train (modality dropout) -> nnUNetv2_predict on FLAIR+T1, FLAIR-only and T1-only test "
        "subjects -> evaluate -> report. About 4 minutes on 2 CPU cores (--quick: about 2).",
    )
    parser.add_argument("--out", default="nnunet_wmh_demo", help="demo folder")
    parser.add_argument("--quick", action="store_true", help="fewer subjects and a shorter training")
    add_run_flags(parser, device=True, overwrite="replace an existing demo folder once the new one is complete")
    parser.set_defaults(handler=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    from nnunet_wmh.demo import run_demo as demo  # heavy: nnU-Net, SimpleITK, matplotlib

    result = demo(args.out, quick=args.quick, run=run_options(args), on_stage=lambda m: print(m, flush=True))
    print(f"\nDice on the test subjects by input (after a short {result.device.upper()} training):")
    order = list(VARIANT_NAMES)
    for variant in sorted(result.dice_by_variant, key=lambda v: order.index(v) if v in order else len(order)):
        print(f"  {VARIANT_NAMES.get(variant, variant):<12} {result.dice_by_variant[variant]:.3f}")
    print(f"\nLesion burden per region of {result.subject}:")
    print(f"  {'region':<28} {'lesion mL':>10} {'lesions':>8}")
    for row in result.subject_burden:
        print(f"  {row['region_name']:<28} {float(row['lesion_volume_ml']):>10.3f} {row['lesion_count']:>8}")
    print(f"\nreport: {result.report_index}")
    print(f"tables: {result.out / 'report'}, metrics: {result.out / 'evaluation' / 'metrics.tsv'}")
    return finished(result.run_summary)


def add_trainers_path(subparsers) -> None:
    parser = subparsers.add_parser(
        "trainers-path",
        help="print the folder of nnunet_wmh's nnU-Net trainers (for nnUNet_extTrainer)",
        description="Use as: export nnUNet_extTrainer=$(nnunet_wmh trainers-path)",
    )
    parser.set_defaults(handler=run_trainers_path)


def run_trainers_path(args: argparse.Namespace) -> int:
    print(trainers_path())
    return EXIT_OK
