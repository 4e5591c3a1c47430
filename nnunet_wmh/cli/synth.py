"""Brain-like phantoms in native space (anisotropic, oblique), with WMH (label 1), other pathology (label 2)
and a 16-region white matter map, for tests and demos. The same seed gives the same voxels."""

from __future__ import annotations

import argparse

from nnunet_wmh.cli.flags import add_option, add_run_flags, add_seed_flag, given_once, options_from, run_options, warn
from nnunet_wmh.cli.formatting import comma_list, finished
from nnunet_wmh.synthetic.options import ACQUISITIONS, ANATOMIES, SIZES, SYNTH_LAYOUTS, SYNTH_MODALITIES, SynthOptions

NAME = "synth"
SUMMARY = "write a deterministic synthetic cohort (WMH 2017 or BIDS layout)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``synth``."""
    parser.add_argument("--out", help="output folder (required; refused if it exists, unless --overwrite)")
    parser.add_argument("legacy_out", nargs="?", metavar="OUT", help=argparse.SUPPRESS)
    parser.add_argument("--subjects", type=int, required=True, help="number of training subjects")
    add_seed_flag(parser, "random seed: the same seed gives the same voxels")
    add_option(parser, SynthOptions, "layout", choices=SYNTH_LAYOUTS)
    add_option(parser, SynthOptions, "size", "full: each site's real grid; small: 4x4x2 coarser grids for fast tests",
               choices=SIZES)  # fmt: skip
    add_option(parser, SynthOptions, "acquisition", "challenge: the challenge sites' grids; clinical2d: 2-D FLAIR "
               "of 16-30 slices of 5-8 mm, 0.45-0.5 mm pixels, skull-stripped, int16, LPS; clinical2d_t1: plus a 3-D "
               "T1 on its own grid", choices=ACQUISITIONS)  # fmt: skip
    add_option(parser, SynthOptions, "anatomy", "phantom: the analytic brain (16 regions); mni152: the MNI152 "
               "template's brain through each subject's own affine and warp, so the built-in atlas registers to it",
               choices=ANATOMIES)  # fmt: skip
    add_option(parser, SynthOptions, "test_subjects", "wmh2017 layout: subjects written to test/", type=int)
    add_option(parser, SynthOptions, "sessions", "bids layout: sessions per subject; follow-ups move the head a "
               "little and change the lesions (true change in derivatives/synth)", type=int)  # fmt: skip
    parser.add_argument("--sites", type=comma_list, help="only these sites, e.g. Utrecht,Singapore (default: all)")
    others = ", ".join(SYNTH_MODALITIES)
    parser.add_argument("--modalities", type=comma_list, metavar="LIST",
                        help=f"contrasts to write besides FLAIR and T1, from {others} (default: none)")  # fmt: skip
    add_run_flags(parser)


def run(args: argparse.Namespace) -> int:
    """Write the cohort; print what was written."""
    from nnunet_wmh.synthetic.cohort import make_synthetic_cohort  # heavy: numpy, scipy, nibabel

    out = given_once(args, "out", "legacy_out", "--out")
    if args.legacy_out is not None:
        warn("the positional OUT is deprecated and goes in the next release; use --out OUT")
    cohort = make_synthetic_cohort(out, options_from(SynthOptions, args), run_options(args))
    splits = {split: sum(1 for s in cohort.subjects if s["split"] == split) for split in ("train", "test")}
    print(
        f"wrote {splits['train']} training and {splits['test']} test subject(s) ({cohort.layout} layout) "
        f"to {cohort.root}"
    )
    return finished(cohort.run_summary)
