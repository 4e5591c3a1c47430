"""Commands that prepare data: ``synth``, ``convert``, ``regions``, ``coregister``."""

from __future__ import annotations

import argparse

from nnunet_wmh.cli.flags import (
    Deprecated,
    add_run_flags,
    add_seed_flag,
    default_of,
    given_once,
    options_from,
    run_options,
    warn,
)
from nnunet_wmh.cli.formatting import EXIT_OK, comma_list, finished, human_bytes
from nnunet_wmh.cohorts.read import LAYOUTS
from nnunet_wmh.dataset_conversion.modes import MODES, MULTITASK_ENCODINGS, OTHER_PATHOLOGY_CHOICES
from nnunet_wmh.dataset_conversion.options import IMAGE_FOLDERS, ConvertOptions
from nnunet_wmh.errors import UsageError
from nnunet_wmh.modalities import DEFAULT_FILL_ORDER, FILL_CHOICES, KNOWN_MODALITIES, MODALITIES
from nnunet_wmh.registration import TRANSFORM_KINDS
from nnunet_wmh.registration.options import MODALITY_CHOICES, RegionsOptions
from nnunet_wmh.synthetic.options import SIZES, SYNTH_LAYOUTS, SYNTH_MODALITIES, SynthOptions


def add_synth(subparsers) -> None:
    parser = subparsers.add_parser(
        "synth",
        help="write a deterministic synthetic cohort (WMH 2017 or BIDS layout)",
        description="Brain-like phantoms in native space (anisotropic, oblique), with WMH (label 1), other "
        "pathology (label 2) and a 16-region white matter map, for tests and demos.",
    )
    parser.add_argument("--out", help="output folder (required; refused if it exists, unless --overwrite)")
    parser.add_argument("legacy_out", nargs="?", metavar="OUT", help=argparse.SUPPRESS)
    parser.add_argument("--subjects", type=int, required=True, help="number of training subjects")
    add_seed_flag(parser, "random seed: the same seed gives the same voxels")
    parser.add_argument("--layout", choices=SYNTH_LAYOUTS, default=default_of(SynthOptions, "layout"))
    parser.add_argument("--size", choices=SIZES, default=default_of(SynthOptions, "size"),
                        help="full: each site's real grid; small: 4x4x2 coarser grids for fast tests")  # fmt: skip
    parser.add_argument("--test-subjects", type=int, default=default_of(SynthOptions, "test_subjects"),
                        help="wmh2017 layout: subjects written to test/")  # fmt: skip
    parser.add_argument("--sessions", type=int, default=default_of(SynthOptions, "sessions"),
                        help="bids layout: sessions per subject")  # fmt: skip
    parser.add_argument("--sites", type=comma_list, help="only these sites, e.g. Utrecht,Singapore (default: all)")
    parser.add_argument(
        "--modalities", type=comma_list, metavar="LIST",
        help=f"contrasts to write besides FLAIR and T1, from {', '.join(SYNTH_MODALITIES)} (default: none)",
    )  # fmt: skip
    add_run_flags(parser)
    parser.set_defaults(handler=run_synth)


def run_synth(args: argparse.Namespace) -> int:
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


def _add_convert_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--mode", required=True, metavar="MODE",
        help=f"input channels and labels: {', '.join(MODES)}, or a list of modalities such as flair,t2 (fixed "
        "inputs); interchangeable: channel duplication over --modalities; multitask: joint lesion x region labels",
    )  # fmt: skip
    parser.add_argument("-d", "--dataset-id", type=int, required=True, help="nnU-Net dataset id (1..999)")
    parser.add_argument("--name", help="dataset name (default: WMH_<mode>)")
    parser.add_argument(
        "--inputs",
        help="multitask/regions modes: flair, t1, flair_t1, interchangeable or a list of modalities (flair,t2) "
        "(default: flair_t1)",
    )
    parser.add_argument(
        "--modalities", type=comma_list, metavar="LIST",
        help=f"interchangeable: the contrasts and their channel order, from {','.join(KNOWN_MODALITIES)} "
        f"(default: {','.join(MODALITIES)}); sources are searched for them (BIDS _T2w, challenge T2.nii.gz, "
        "manifest column t2)",
    )  # fmt: skip
    parser.add_argument(
        "--variants", type=comma_list,
        help="interchangeable: cases per complete subject: full (alias paired), a modality (t2), a subset "
        "(flair+t2) or all (every subset) (default: full and each modality alone)",
    )  # fmt: skip
    parser.add_argument(
        "--train-variants", type=comma_list,
        help="interchangeable: cases per complete training subject (default: --variants; e.g. paired for dropout)",
    )  # fmt: skip
    parser.add_argument(
        "--channels", type=int,
        help="interchangeable: one per modality = channel duplication, 1 = one case per modality (default: one per "
        "modality)",
    )  # fmt: skip
    parser.add_argument(
        "--fill-missing", choices=FILL_CHOICES, default=default_of(ConvertOptions, "fill_missing"),
        help="interchangeable: a missing channel is a copy of an available image (see --fill-order) or zeros",
    )  # fmt: skip
    parser.add_argument(
        "--fill-order", type=comma_list, metavar="LIST",
        help=f"interchangeable: which available modality fills a missing channel first (default: "
        f"{','.join(DEFAULT_FILL_ORDER)})",
    )  # fmt: skip
    parser.add_argument(
        "--encoding", choices=MULTITASK_ENCODINGS,
        help="multitask: joint softmax labels or separate sigmoid outputs (regions + lesion) (default: joint)",
    )  # fmt: skip
    parser.add_argument("--other-pathology", choices=OTHER_PATHOLOGY_CHOICES,
                        default=default_of(ConvertOptions, "other_pathology"),
                        help="challenge label 2 (ignore: nnU-Net's ignore label)")  # fmt: skip
    parser.add_argument(
        "--drop-modality",
        metavar="LIST",
        help="remove these modalities from the test subjects, e.g. t1 or t1,t2 (default: none)",
    )
    parser.add_argument("--case-prefix", default=default_of(ConvertOptions, "case_prefix"),
                        help="case ids are PREFIX_NNNN[_variant]")  # fmt: skip
    parser.add_argument("--cv-folds", type=int, default=default_of(ConvertOptions, "cv_folds"),
                        help="cross-validation folds (grouped by subject, stratified by site)")  # fmt: skip
    parser.add_argument("--folds", type=int, dest="cv_folds", action=Deprecated, new="--cv-folds")
    add_seed_flag(parser, "fold shuffling seed")
    parser.add_argument(
        "--coregister", action="store_true",
        help="register each T1 that is not on its FLAIR's grid to the FLAIR and resample it onto that grid",
    )  # fmt: skip
    parser.add_argument(
        "--skip-invalid", action="store_true", help="convert the valid subjects and list the others, not stop"
    )


def add_convert(subparsers) -> None:
    parser = subparsers.add_parser(
        "convert",
        help="build an nnU-Net raw dataset from a WMH 2017 tree, a BIDS dataset or a CSV manifest",
        description="Validates every subject first (nothing is written if one is bad), then writes "
        "DatasetXXX_NAME with imagesTr, labelsTr, imagesTs, dataset.json, splits_final.json and conversion.tsv.",
    )
    parser.add_argument("source", metavar="SOURCE", help="WMH 2017 tree, BIDS root, or .csv/.tsv manifest")
    _add_convert_options(parser)
    parser.add_argument("--out", help="nnU-Net raw folder, where DatasetXXX_NAME goes (default: $nnUNet_raw)")
    parser.add_argument("--layout", choices=LAYOUTS, help="source layout (default: detected)")
    parser.add_argument("--image-folder", choices=IMAGE_FOLDERS, default=default_of(ConvertOptions, "image_folder"),
                        help="WMH 2017 image folder (pre: T1 registered to FLAIR)")  # fmt: skip
    parser.add_argument("--images", choices=IMAGE_FOLDERS, dest="image_folder", action=Deprecated,
                        new="--image-folder")  # fmt: skip
    parser.add_argument("--derivatives", help="BIDS: folder with lesion/region maps (default: SOURCE/derivatives)")
    parser.add_argument(
        "--regions", help="region maps: a folder, or a pattern with {subject}, {session}, {site}, {key} (default: "
        "the source's own)"
    )  # fmt: skip
    parser.add_argument(
        "--region-table", help="region names: TSV/CSV (id,name), 'id name' text, or colour LUT (default: the source's)"
    )
    parser.add_argument("--test-source", help="cohort converted into imagesTs, any layout (default: none)")
    parser.add_argument("--test-layout", choices=LAYOUTS, help="layout of --test-source (default: detected)")
    add_run_flags(parser, overwrite="replace an existing dataset once the new one is complete")
    parser.set_defaults(handler=run_convert)


def run_convert(args: argparse.Namespace) -> int:
    from nnunet_wmh.dataset_conversion.convert import convert_dataset  # heavy: nnU-Net's dataset.json helper

    result = convert_dataset(args.source, options_from(ConvertOptions, args), run_options(args))
    print(f"{result.dataset_dir.name} written to {result.dataset_dir}")
    print(f"  training: {result.train_cases} case(s) from {result.train_subjects} subject(s)")
    if result.test_subjects:
        print(f"  test:     {result.test_cases} case(s) from {result.test_subjects} subject(s)")
    links = ", ".join(f"{n} {kind}(s)" for kind, n in sorted(result.links.items())) or "no links"
    print(f"  written:  {human_bytes(result.bytes_written)} new data, {links}, {result.seconds:.1f} s")
    if result.skipped:
        print(f"  skipped:  {len({p.subject for p in result.skipped})} subject(s):")
        for problem in result.skipped:
            print(f"    {problem}")
    for warning in result.warnings:
        print(f"  warning:  {args.render(warning)}")
    print(f"next: nnUNetv2_plan_and_preprocess -d {args.dataset_id} -c 3d_fullres --verify_dataset_integrity")
    return finished(result.run_summary)


def add_atlas_flags(parser: argparse.ArgumentParser, *, what: str) -> None:
    """``--atlas-image``, ``--atlas-labels``, ``--region-table``: given together, or none."""
    group = parser.add_argument_group("atlas", f"give all three, or none ({what})")
    group.add_argument("--atlas-image", help="template image, e.g. an MNI152 T1 (default: none)")
    group.add_argument("--atlas-labels", help="region labels on the template grid (default: none)")
    group.add_argument("--region-table", help="names of the labels: TSV/CSV, 'id name' text, LUT (default: none)")


def add_regions(subparsers) -> None:
    parser = subparsers.add_parser(
        "regions",
        help="register an atlas to an image or to every subject of a cohort: native-space region maps",
        description="Registers the atlas template to the subject (Mattes mutual information, multi-resolution, "
        "centred initialisation) and resamples its labels with nearest neighbour onto the subject's exact grid; "
        "the transform is written beside each map. INPUT is one image (OUT/regions.nii.gz) or a cohort in any "
        "layout convert reads (OUT/<subject>/regions.nii.gz and OUT/regions.tsv, which convert --regions OUT "
        "finds). Without --atlas-* the built-in atlas is used: nilearn's MNI152 template with a white matter "
        "parcellation (4 lobes x 2 hemispheres x depth shells, and infratentorial; 31 regions).",
    )
    parser.add_argument("source", nargs="?", metavar="INPUT", help="one image (.nii.gz), or a cohort")
    parser.add_argument("--subject", dest="legacy_subject", action=Deprecated, new="the positional INPUT")
    parser.add_argument("--source", dest="legacy_source", action=Deprecated, new="the positional INPUT")
    parser.add_argument("--out", help="output folder (required)")
    parser.add_argument("--out-dir", dest="out", action=Deprecated, new="--out")
    add_atlas_flags(parser, what="none: the built-in atlas")
    parser.add_argument("--layout", choices=LAYOUTS, help="cohort layout (default: detected)")
    parser.add_argument("--modality", choices=MODALITY_CHOICES, default=default_of(RegionsOptions, "modality"),
                        help="cohort image registered (t1: FLAIR where there is no T1)")  # fmt: skip
    parser.add_argument("--transform", choices=TRANSFORM_KINDS, default=default_of(RegionsOptions, "transform"))
    parser.add_argument("--wm-mask", help="one image: keep labels inside this mask only (default: off)")
    parser.add_argument("--skip-invalid", action="store_true",
                        help="a cohort: write the subjects that succeed, list the others")  # fmt: skip
    add_run_flags(parser)
    parser.set_defaults(handler=run_regions)


def _regions_input(args: argparse.Namespace) -> str:
    given = [value for value in (args.source, args.legacy_subject, args.legacy_source) if value is not None]
    if len(given) != 1:
        raise UsageError("give one INPUT: an image or a cohort")
    if args.out is None:
        raise UsageError("--out is required")
    return given[0]


def run_regions(args: argparse.Namespace) -> int:
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
            print(f"    {problem}")
    print(f"next: nnunet_wmh convert {_regions_input(args)} --mode multitask --regions {cohort.out_dir} ...")
    return finished(result.run_summary)


def add_coregister(subparsers) -> None:
    parser = subparsers.add_parser(
        "coregister",
        help="register a T1 rigidly to the FLAIR and resample it onto the FLAIR's exact grid",
        description="Rigid registration (Mattes mutual information, multi-resolution), linear resampling of "
        "MOVING onto the grid of FIXED, written with the FLAIR's header as OUT/<MOVING>_in_FLAIR.nii.gz; the "
        "transform is written beside it.",
    )
    parser.add_argument("fixed", nargs="?", metavar="FIXED", help="the FLAIR (its grid is kept)")
    parser.add_argument("moving", nargs="?", metavar="MOVING", help="the image to move, e.g. the T1")
    parser.add_argument("--fixed", dest="legacy_fixed", action=Deprecated, new="the positional FIXED")
    parser.add_argument("--moving", dest="legacy_moving", action=Deprecated, new="the positional MOVING")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--n4", action="store_true", help="N4 bias-field correction of both images first")
    add_run_flags(parser, jobs=None)
    parser.set_defaults(handler=run_coregister)


def run_coregister(args: argparse.Namespace) -> int:
    from nnunet_wmh.registration.coregister import coregister, moved_image_path  # heavy: SimpleITK

    fixed = given_once(args, "fixed", "legacy_fixed", "FIXED")
    moving = given_once(args, "moving", "legacy_moving", "MOVING")
    result = coregister(fixed, moving, moved_image_path(moving, args.out), n4=args.n4, overwrite=args.overwrite)
    print(f"wrote {result.image} (on the FLAIR grid) and {result.transform}")
    print(f"  final mutual information {result.metric:.3f}; {result.head_overlap:.0%} head overlap")
    return EXIT_OK
