"""Turns predicted label maps (PRED_DIR/CASE.nii.gz) into lesion burden tables (regions.tsv, regions_wide.tsv,
subjects.tsv, lesions.tsv, qc.tsv), report.json, QC pictures and index.html. Joint labels of a multitask model are
decoded with its dataset.json; lesion maps take region maps from --regions. Companion maps are folders of
CASE.nii.gz or patterns with {case}, {subject}, {session}, {site}."""

from __future__ import annotations

import argparse

from nnunet_wmh.cli.flags import add_option, add_run_flags, options_from, run_options
from nnunet_wmh.cli.formatting import finished
from nnunet_wmh.report.options import CONNECTIVITIES, OUTSIDE_POLICIES, PV_RULES, ReportOptions

NAME = "report"
SUMMARY = "region-wise lesion burden: tables per subject, region and lesion, QC flags, pictures, index.html"

#: The companion maps: their flags and what each holds.
COMPANION_FLAGS = {
    "--regions": "region maps, for lesion-map predictions (default: none)",
    "--region-table": "names of the --regions values: TSV/CSV, 'id name' text, LUT (default: region_N)",
    "--ventricles": "ventricle maps: binary, or FreeSurfer/SynthSeg labels 4, 43 (default: none; no "
    "periventricular/deep split)",
    "--brain-mask": "brain masks, for the intracranial volume (default: none)",
    "--images": "images for the pictures: CASE_0000.nii.gz or CASE.nii.gz (default: none)",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``report``."""
    parser.add_argument("prediction_dir", metavar="PRED_DIR", help="predicted label maps CASE.nii.gz")
    parser.add_argument("--out", required=True, help="report folder")
    maps = parser.add_argument_group("companion maps", "each a folder of CASE.nii.gz, or a pattern with {case}, "
                                     "{subject}, {session}, {site} (from --conversion-tsv)")  # fmt: skip
    for flag, text in COMPANION_FLAGS.items():
        maps.add_argument(flag, help=text)
    parser.add_argument("--dataset-json", help="the model's dataset.json (default: PRED_DIR/dataset.json when present)")
    parser.add_argument(
        "--conversion-tsv", help="conversion.tsv of convert: participant_id, session_id, site (default: none)"
    )
    counting = parser.add_argument_group("counting")
    add_option(counting, ReportOptions, "connectivity", "lesion connectivity", type=int, choices=CONNECTIVITIES)
    add_option(counting, ReportOptions, "min_lesion_mm3", "drop lesions smaller than this (mm³)", type=float)
    add_option(counting, ReportOptions, "pv_rule", "periventricular rule", choices=PV_RULES)
    add_option(counting, ReportOptions, "pv_distance_mm", "distance of the distance/continuity rules (mm)", type=float)
    add_option(counting, ReportOptions, "outside", "lesion voxels in no region: nearest region within 3 mm, or keep "
               "as outside_regions", choices=OUTSIDE_POLICIES)  # fmt: skip
    add_option(counting, ReportOptions, "threshold", "probability maps: lesion where value >= this", type=float)
    parser.add_argument("--bids-derivatives", help="also write BIDS derivative files into this folder (default: none)")
    parser.add_argument("--no-pictures", dest="pictures", action="store_false",
                        help="tables only (no PNGs, no index.html)")  # fmt: skip
    add_run_flags(parser, parts=True, strict=True)


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
        print(f"  open {result.files['index.html']}; its slice viewer in a browser: nnunet_wmh view {result.out_dir}")


def run(args: argparse.Namespace) -> int:
    """Make the report; print its figures, flags and files."""
    from nnunet_wmh.report.run import make_report  # heavy: numpy, scipy, matplotlib

    result = make_report(args.prediction_dir, args.out, options_from(ReportOptions, args), run_options(args))
    print_report(result, args.render)
    return finished(result.run_summary, strict=args.strict)
