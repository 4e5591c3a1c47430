"""Lesion change between the sessions of each participant of a segment output: every follow-up registered rigidly
to the baseline, lesions of consecutive sessions matched by overlap and classed as new, enlarging, stable,
shrinking, vanished, merged or split, the baseline's regions carried to every session, and the change per region
in mL (and mL/year when the cohort's sessions.tsv gives acq_time)."""

from __future__ import annotations

import argparse

from nnunet_wmh.cli.flags import add_run_flags, options_from, run_options
from nnunet_wmh.cli.formatting import EXIT_OK, finished
from nnunet_wmh.cli.slurm import add_slurm_arguments, check_slurm_flags, print_submission, slurm_options

NAME = "change"
SUMMARY = "longitudinal lesion change per region between sessions of a segment output"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``change``."""
    parser.add_argument("segment_dir", metavar="SEGMENT_DIR", help="a finished segment --out folder with sessions")
    parser.add_argument("--out", required=True, help="output folder (change.tsv, lesion_changes.tsv, pairs.tsv, "
                        "change maps, QC pictures)")  # fmt: skip
    rules = parser.add_argument_group("matching", "a matched lesion enlarges (shrinks) when its volume grows (falls)"
                                      " by both --min-change-ml and --min-change-percent")  # fmt: skip
    rules.add_argument("--min-change-ml", type=float, default=argparse.SUPPRESS, metavar="ML",
                       help="least change in volume (default 0.01 mL)")  # fmt: skip
    rules.add_argument("--min-change-percent", type=float, default=argparse.SUPPRESS, metavar="PCT",
                       help="least change in percent of the earlier volume (default 25)")  # fmt: skip
    rules.add_argument("--min-overlap-voxels", type=int, default=argparse.SUPPRESS, metavar="N",
                       help="lesions of two sessions that share this many voxels are one (default 1)")  # fmt: skip
    parser.add_argument("--source", help="the cohort segment read, where it has moved since (default: the one in "
                        "SEGMENT_DIR/report.json)")  # fmt: skip
    parser.add_argument("--no-pictures", dest="pictures", action="store_false", help="no QC picture per pair")
    add_run_flags(parser, jobs="participants at once (worker processes)", parts=True)
    add_slurm_arguments(parser, gpu_jobs="none: change runs on CPUs")


def run(args: argparse.Namespace) -> int:
    """Measure the change; print the pairs, the flagged ones and the files."""
    from nnunet_wmh.longitudinal.run import ChangeOptions, detect_change  # heavy: SimpleITK, scipy

    check_slurm_flags(args)
    options, run = options_from(ChangeOptions, args), run_options(args)
    if args.slurm:
        from nnunet_wmh.longitudinal.slurm import submit_change  # heavy: as above

        print_submission(submit_change(args.segment_dir, args.out, slurm_options(args), options, run))
        return EXIT_OK
    result = detect_change(args.segment_dir, args.out, options, run)
    print_change(result, args.render)
    if not result.finished:
        print(f"when every part is done: nnunet_wmh report-merge {result.out_dir}")
    return finished(result.run_summary)


def print_change(result, render) -> None:
    """The pairs measured, those flagged, the participants with one session and those skipped."""
    where = result.out_dir if result.finished else f"{result.out_dir} (a part)"
    print(f"change of {result.pairs} pair(s) of sessions in {where}")
    for pair, why in list(result.flagged.items())[:10]:
        print(f"  flagged {pair}: {render(why)}")
    if result.single_session:
        shown = ", ".join(result.single_session[:10]) + (", ..." if len(result.single_session) > 10 else "")
        print(f"  one session only (nothing to compare): {len(result.single_session)} participant(s): {shown}")
    for participant, reason in list(result.skipped.items())[:10]:
        print(f"  skipped {participant}: {render(reason)}")
