"""The BIDS-App entry point (BIDS-Apps convention): BIDS_DIR OUTPUT_DIR participant segments the participants
named by --participant-label (all by default), each into its own part of OUTPUT_DIR, so that runs for different
labels can run at the same time; BIDS_DIR OUTPUT_DIR group joins them into the cohort tables, QC page and BIDS
derivatives. The model and measuring flags are segment's."""

from __future__ import annotations

import argparse

from nnunet_wmh.cli.flags import add_run_flags, run_options
from nnunet_wmh.cli.formatting import EXIT_OK, finished
from nnunet_wmh.cli.report import print_report
from nnunet_wmh.cli.segment import JOBS_HELP, add_segment_flags, model_location, print_segmented, segment_options

NAME = "bids"
SUMMARY = "BIDS-App: segment participants of a BIDS dataset (participant), then join them (group)"
#: The analysis levels (as :data:`nnunet_wmh.segment.bids_app.ANALYSIS_LEVELS`, without importing it).
LEVELS = ("participant", "group")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``bids``: BIDS-Apps' three positionals, ``--participant-label``, and segment's flags."""
    parser.add_argument("bids_dir", metavar="BIDS_DIR", help="the BIDS dataset")
    parser.add_argument("output_dir", metavar="OUTPUT_DIR", help="the app's output folder (shared by every level)")
    parser.add_argument("analysis_level", metavar="{participant,group}", choices=LEVELS,
                        help="participant: segment participants; group: join their outputs")  # fmt: skip
    parser.add_argument("--participant-label", "--participant_label", dest="participant_labels", nargs="+",
                        metavar="LABEL", help="participant level: these participants, with or without sub- "
                        "(default: all)")  # fmt: skip
    add_segment_flags(parser)
    add_run_flags(parser, jobs=JOBS_HELP, device=True, strict=True,
                  overwrite="participant: redo participants already done; group: replace a finished join")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Run one level; print each participant's figures, or the joined report's."""
    from nnunet_wmh.segment.bids_app import run_group_level, run_participant_level  # heavy: torch, nnU-Net

    if args.analysis_level == "group":
        if args.participant_labels:
            print("nnunet_wmh: note: --participant-label is for the participant level; group joins every participant")
        result = run_group_level(args.bids_dir, args.output_dir, overwrite=args.overwrite)
        if result.note:
            print(result.note)
            return EXIT_OK
        print_report(result.reports[0], args.render)
        return finished(result.reports[0].run_summary, strict=args.strict)
    result = run_participant_level(
        args.bids_dir, args.output_dir, model_location(args), participant_labels=args.participant_labels,
        options=segment_options(args), run=run_options(args),
    )  # fmt: skip
    codes = []
    for report in result.reports:
        if report.finished:
            print_segmented(report, args.render)
        codes.append(finished(report.run_summary, strict=args.strict))
    return max(codes, default=EXIT_OK)
