"""Joins the parts of a sharded report, segment or change run: checks OUT/parts/part-I-of-N (all N present, complete and
unchanged, made by one run with the same options, every case once), writes the same files a single run writes,
and removes the parts once the report is in place."""

from __future__ import annotations

import argparse

from nnunet_wmh.cli.change import print_change
from nnunet_wmh.cli.flags import add_run_flags
from nnunet_wmh.cli.formatting import finished
from nnunet_wmh.cli.report import print_report

NAME = "report-merge"
SUMMARY = "join the parts of a sharded report, segment or change run (--part-id/--num-parts) into the final tables"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``report-merge``."""
    parser.add_argument("out", metavar="OUT", help="the --out folder of the report (or segment) parts")
    add_run_flags(parser, jobs=None, overwrite="replace an existing finished report", strict=True)


def run(args: argparse.Namespace) -> int:
    """Join the parts; print the report's figures."""
    from nnunet_wmh.longitudinal.finish import is_change_run, merge_change  # heavy: numpy, SimpleITK
    from nnunet_wmh.report.finish import merge_report  # heavy: numpy, matplotlib
    from nnunet_wmh.runs.parts import first_part_record

    if is_change_run(first_part_record(args.out)):
        change = merge_change(args.out, overwrite=args.overwrite)
        print_change(change, args.render)
        return finished(change.run_summary, strict=args.strict)
    result = merge_report(args.out, overwrite=args.overwrite)
    print_report(result, args.render)
    return finished(result.run_summary, strict=args.strict)
