"""Registers an atlas template to one image or to every subject of a cohort (Mattes mutual information,
multi-resolution, centred initialisation) and resamples its labels with nearest neighbour onto the subject's exact
grid; the transform is written beside each map. INPUT is one image (OUT/regions.nii.gz) or a cohort in any layout
convert reads (OUT/<subject>/regions.nii.gz and OUT/regions.tsv, which convert --regions OUT finds). Without
--atlas-* the built-in atlas is used: nilearn's MNI152 template with a white matter parcellation (4 lobes x 2
hemispheres x depth shells, and infratentorial; 31 regions)."""

from __future__ import annotations

import argparse

from nnunet_wmh.cli.flags import Deprecated, add_atlas_flags, add_option, add_run_flags, options_from, run_options
from nnunet_wmh.cli.formatting import finished
from nnunet_wmh.cohorts.read import LAYOUTS
from nnunet_wmh.errors import UsageError
from nnunet_wmh.registration import TRANSFORM_KINDS
from nnunet_wmh.registration.options import MODALITY_CHOICES, RegionsOptions

NAME = "regions"
SUMMARY = "register an atlas to an image or to every subject of a cohort: native-space region maps"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``regions``."""
    parser.add_argument("source", nargs="?", metavar="INPUT", help="one image (.nii.gz), or a cohort")
    parser.add_argument("--subject", dest="legacy_subject", action=Deprecated, new="the positional INPUT")
    parser.add_argument("--source", dest="legacy_source", action=Deprecated, new="the positional INPUT")
    parser.add_argument("--out", help="output folder (required)")
    parser.add_argument("--out-dir", dest="out", action=Deprecated, new="--out")
    add_atlas_flags(parser, what="none: the built-in atlas")
    parser.add_argument("--layout", choices=LAYOUTS, help="cohort layout (default: detected)")
    add_option(parser, RegionsOptions, "modality", "cohort image registered (t1: FLAIR where there is no T1)",
               choices=MODALITY_CHOICES)  # fmt: skip
    add_option(parser, RegionsOptions, "transform", choices=TRANSFORM_KINDS)
    parser.add_argument("--wm-mask", help="one image: keep labels inside this mask only (default: off)")
    parser.add_argument("--skip-invalid", action="store_true",
                        help="a cohort: write the subjects that succeed, list the others")  # fmt: skip
    add_run_flags(parser)


def _regions_input(args: argparse.Namespace) -> str:
    given = [value for value in (args.source, args.legacy_subject, args.legacy_source) if value is not None]
    if len(given) != 1:
        raise UsageError("give one INPUT: an image or a cohort")
    if args.out is None:
        raise UsageError("--out is required")
    return given[0]


def run(args: argparse.Namespace) -> int:
    """Make the region maps; print where they went and the next command."""
    from nnunet_wmh.registration.region_maps import make_region_maps  # heavy: SimpleITK

    result = make_region_maps(_regions_input(args), args.out, options_from(RegionsOptions, args), run_options(args))
    print(f"atlas: {result.atlas}")
    if result.subject is not None:
        subject = result.subject
        print(f"wrote {subject.region_map} ({len(subject.region_ids)} regions) and {subject.transform}")
        print(f"  final mutual information {subject.metric:.3f}; {subject.inside_head:.0%} of the regions in the head")
        return finished(result.run_summary)
    cohort = result.cohort
    assert cohort is not None, "a cohort when there is no single subject"
    print(f"wrote region maps of {len(cohort.results)} subject(s) to {cohort.out_dir} (names: {cohort.region_table})")
    if cohort.skipped:
        print(f"  skipped: {len({p.subject for p in cohort.skipped})} subject(s):")
        for problem in cohort.skipped:
            print(f"    {args.render(str(problem))}")
    print(f"next: nnunet_wmh convert {_regions_input(args)} --mode multitask --regions {cohort.out_dir} ...")
    return finished(result.run_summary)
