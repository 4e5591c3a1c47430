"""The whole pipeline on built-in synthetic data: brain-shaped synthetic cohort -> the built-in atlas's regions by
registration -> convert -> nnUNetv2_plan_and_preprocess -> short nnUNetv2_train (modality dropout) ->
nnUNetv2_predict on FLAIR+T1, FLAIR-only and T1-only test subjects -> evaluate -> report. About 5 minutes on 2 CPU
cores (--quick: about 2.5)."""

from __future__ import annotations

import argparse

from nnunet_wmh.cli.flags import add_run_flags, run_options
from nnunet_wmh.cli.formatting import finished

NAME = "demo"
SUMMARY = "run the whole pipeline on built-in synthetic data (CPU is enough; no download)"

#: How the demo's table names the input variants.
VARIANT_NAMES = {"paired": "FLAIR + T1", "flair_only": "FLAIR only", "t1_only": "T1 only"}
#: A mean Dice below this is a model that found (almost) no lesion from that input, which the demo says.
NO_LESION_DICE = 0.05


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``demo``."""
    parser.add_argument("--out", default="nnunet_wmh_demo", help="demo folder")
    parser.add_argument("--quick", action="store_true", help="fewer subjects and a shorter training")
    add_run_flags(parser, device=True, overwrite="replace an existing demo folder once the new one is complete")


def run(args: argparse.Namespace) -> int:
    """Run the demo, printing each stage; then the Dice per input and one subject's burden."""
    from nnunet_wmh.demo import run_demo as demo  # heavy: nnU-Net, SimpleITK, matplotlib

    result = demo(args.out, quick=args.quick, run=run_options(args), on_stage=lambda m: print(m, flush=True))
    print(f"\nDice on the test subjects by input (after a short {result.device.upper()} training):")
    order = list(VARIANT_NAMES)
    for variant in sorted(result.dice_by_variant, key=lambda v: order.index(v) if v in order else len(order)):
        dice = result.dice_by_variant[variant]
        note = "  (no lesion found from this input after the short training)" if dice < NO_LESION_DICE else ""
        print(f"  {VARIANT_NAMES.get(variant, variant):<12} {dice:.3f}{note}")
    print(f"\nLesion burden per region of {result.subject}:")
    print(f"  {'region':<28} {'lesion mL':>10} {'lesions':>8}")
    for row in result.subject_burden:
        print(f"  {row['region_name']:<28} {float(row['lesion_volume_ml']):>10.3f} {row['lesion_count']:>8}")
    print(f"\nreport: {result.report_index}")
    if result.report_index is not None:
        print(f"  its slice viewer in a browser: nnunet_wmh view {result.report_index.parent}")
    print(f"tables: {result.out / 'report'}, metrics: {result.out / 'evaluation' / 'metrics.tsv'}")
    return finished(result.run_summary)
