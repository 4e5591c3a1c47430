"""Registers a T1 (or another image) rigidly to the FLAIR (Mattes mutual information, multi-resolution) and
resamples it linearly onto the FLAIR's exact grid, written with the FLAIR's header as
OUT/<MOVING>_in_FLAIR.nii.gz; the transform is written beside it."""

from __future__ import annotations

import argparse

from nnunet_wmh.cli.flags import Deprecated, add_run_flags, given_once
from nnunet_wmh.cli.formatting import finished

NAME = "coregister"
SUMMARY = "register a T1 rigidly to the FLAIR and resample it onto the FLAIR's exact grid"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``coregister``."""
    parser.add_argument("fixed", nargs="?", metavar="FIXED", help="the FLAIR (its grid is kept)")
    parser.add_argument("moving", nargs="?", metavar="MOVING", help="the image to move, e.g. the T1")
    parser.add_argument("--fixed", dest="legacy_fixed", action=Deprecated, new="the positional FIXED")
    parser.add_argument("--moving", dest="legacy_moving", action=Deprecated, new="the positional MOVING")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--n4", action="store_true", help="N4 bias-field correction of both images first")
    add_run_flags(parser, jobs=None)


def run(args: argparse.Namespace) -> int:
    """Co-register; print what was written and how well it fits."""
    from nnunet_wmh.registration.coregister import coregister, moved_image_path  # heavy: SimpleITK

    fixed = given_once(args, "fixed", "legacy_fixed", "FIXED")
    moving = given_once(args, "moving", "legacy_moving", "MOVING")
    result = coregister(fixed, moving, moved_image_path(moving, args.out), n4=args.n4, overwrite=args.overwrite)
    print(f"wrote {result.image} (on the FLAIR grid) and {result.transform}")
    print(f"  final mutual information {result.metric:.3f}; {result.head_overlap:.0%} head overlap")
    return finished(result.run_summary)
