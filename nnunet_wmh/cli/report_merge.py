"""Joins the parts of a sharded report or segment run: checks OUT/parts/part-I-of-N (all N present, complete and
unchanged, made by one run with the same options, every case once), writes the same files a single run writes,
and removes the parts once the report is in place."""

from __future__ import annotations

import argparse

from nnunet_wmh.cli.flags import add_run_flags
from nnunet_wmh.cli.formatting import finished
from nnunet_wmh.cli.report import print_report

NAME = "report-merge"
SUMMARY = "join the parts of a sharded report (--part-id/--num-parts) into the final tables"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``report-merge``."""
    parser.add_argument("out", metavar="OUT", help="the --out folder of the report (or segment) parts")
    add_run_flags(parser, jobs=None, overwrite="replace an existing finished report", strict=True)


def run(args: argparse.Namespace) -> int:
    """Join the parts; print the report's figures."""
    from nnunet_wmh.report.finish import merge_report  # heavy: numpy, matplotlib

    result = merge_report(args.out, overwrite=args.overwrite)
    print_report(result, args.render)
    return finished(result.run_summary, strict=args.strict)
