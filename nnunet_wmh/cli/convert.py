"""Builds an nnU-Net raw dataset from a WMH 2017 tree, a BIDS dataset or a CSV manifest. Validates every
subject first (nothing is written if one is bad), then writes DatasetXXX_NAME with imagesTr, labelsTr,
imagesTs, dataset.json, splits_final.json and conversion.tsv."""

from __future__ import annotations

import argparse

from nnunet_wmh.cli.flags import Deprecated, add_option, add_run_flags, add_seed_flag, options_from, run_options
from nnunet_wmh.cli.formatting import comma_list, finished, human_bytes
from nnunet_wmh.cohorts.read import LAYOUTS
from nnunet_wmh.dataset_conversion.modes import MODES, MULTITASK_ENCODINGS, OTHER_PATHOLOGY_CHOICES
from nnunet_wmh.dataset_conversion.options import IMAGE_FOLDERS, ConvertOptions
from nnunet_wmh.modalities import DEFAULT_FILL_ORDER, FILL_CHOICES, KNOWN_MODALITIES, MODALITIES

NAME = "convert"
SUMMARY = "build an nnU-Net raw dataset from a WMH 2017 tree, a BIDS dataset or a CSV manifest"


def _add_dataset_flags(parser: argparse.ArgumentParser) -> None:
    modes = ", ".join(MODES)
    parser.add_argument("--mode", required=True, metavar="MODE",
                        help=f"input channels and labels: {modes}, or a list of modalities such as flair,t2 (fixed "
                        "inputs); interchangeable: channel duplication over --modalities; multitask: joint lesion "
                        "x region labels")  # fmt: skip
    parser.add_argument("-d", "--dataset-id", type=int, required=True, help="nnU-Net dataset id (1..999)")
    parser.add_argument("--name", help="dataset name (default: WMH_<mode>)")
    parser.add_argument("--inputs", help="multitask/regions modes: flair, t1, flair_t1, interchangeable or a list of "
                        "modalities (flair,t2) (default: flair_t1)")  # fmt: skip
    parser.add_argument("--encoding", choices=MULTITASK_ENCODINGS, help="multitask: joint softmax labels or separate "
                        "sigmoid outputs (regions + lesion) (default: joint)")  # fmt: skip
    add_option(parser, ConvertOptions, "other_pathology", "challenge label 2 (ignore: nnU-Net's ignore label)",
               choices=OTHER_PATHOLOGY_CHOICES)  # fmt: skip
    parser.add_argument("--drop-modality", metavar="LIST", help="remove these modalities from the test subjects, e.g. "
                        "t1 or t1,t2 (default: none)")  # fmt: skip
    add_option(parser, ConvertOptions, "case_prefix", "case ids are PREFIX_NNNN[_variant]")
    add_option(parser, ConvertOptions, "cv_folds", "cross-validation folds (grouped by subject, stratified by site)",
               type=int)  # fmt: skip
    parser.add_argument("--folds", type=int, dest="cv_folds", action=Deprecated, new="--cv-folds")
    add_seed_flag(parser, "fold shuffling seed")
    parser.add_argument("--coregister", action="store_true", help="register each T1 that is not on its FLAIR's grid "
                        "to the FLAIR and resample it onto that grid")  # fmt: skip
    parser.add_argument("--skip-invalid", action="store_true",
                        help="convert the valid subjects and list the others, not stop")  # fmt: skip
    parser.add_argument("--exclude", type=comma_list, default=(), metavar="KEYS",
                        help="subjects left out, by key: Utrecht/0, sub-01, sub-01/ses-1, test/KEY for --test-source "
                        "(default: none)")  # fmt: skip


def _add_interchangeable_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("interchangeable", "the options of --mode interchangeable")
    known, default, fill = ",".join(KNOWN_MODALITIES), ",".join(MODALITIES), ",".join(DEFAULT_FILL_ORDER)
    group.add_argument("--modalities", type=comma_list, metavar="LIST",
                       help=f"the contrasts and their channel order, from {known} (default: {default}); sources "
                       "are searched for them (BIDS _T2w, challenge T2.nii.gz, manifest column t2)")  # fmt: skip
    group.add_argument("--variants", type=comma_list, help="cases per complete subject: full (alias paired), a "
                       "modality (t2), a subset (flair+t2) or all (every subset) (default: full and each modality "
                       "alone)")  # fmt: skip
    group.add_argument("--train-variants", type=comma_list, help="cases per complete training subject (default: "
                       "--variants; e.g. paired for dropout)")  # fmt: skip
    group.add_argument("--channels", type=int, help="one per modality = channel duplication, 1 = one case per "
                       "modality (default: one per modality)")  # fmt: skip
    add_option(group, ConvertOptions, "fill_missing", "a missing channel is a copy of an available image (see "
               "--fill-order) or zeros", choices=FILL_CHOICES)  # fmt: skip
    group.add_argument(
        "--fill-order",
        type=comma_list,
        metavar="LIST",
        help=f"which available modality fills a missing channel first (default: {fill})",
    )


def _add_source_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("source", "where the images, labels and region maps are")
    group.add_argument("--layout", choices=LAYOUTS, help="source layout (default: detected)")
    add_option(group, ConvertOptions, "image_folder", "WMH 2017 image folder (pre: T1 registered to FLAIR)",
               choices=IMAGE_FOLDERS)  # fmt: skip
    group.add_argument("--images", choices=IMAGE_FOLDERS, dest="image_folder", action=Deprecated, new="--image-folder")
    group.add_argument("--derivatives", help="BIDS: folder with lesion/region maps (default: SOURCE/derivatives)")
    group.add_argument("--regions", help="region maps: a folder, or a pattern with {subject}, {session}, {site}, "
                       "{key} (default: the source's own)")  # fmt: skip
    group.add_argument("--region-table", help="region names: TSV/CSV (id,name), 'id name' text, or colour LUT "
                       "(default: the source's)")  # fmt: skip
    group.add_argument("--test-source", help="cohort converted into imagesTs, any layout (default: none)")
    group.add_argument("--test-layout", choices=LAYOUTS, help="layout of --test-source (default: detected)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``convert``."""
    parser.add_argument("source", metavar="SOURCE", help="WMH 2017 tree, BIDS root, or .csv/.tsv manifest")
    parser.add_argument("--out", help="nnU-Net raw folder, where DatasetXXX_NAME goes (default: $nnUNet_raw)")
    _add_dataset_flags(parser)
    _add_interchangeable_flags(parser)
    _add_source_flags(parser)
    add_run_flags(parser, overwrite="replace an existing dataset once the new one is complete")


def run(args: argparse.Namespace) -> int:
    """Convert; print the dataset's counts, what was skipped and the next command."""
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
            print(f"    {args.render(str(problem))}")
    for warning in result.warnings:
        print(f"  warning:  {args.render(warning)}")
    print(f"next: nnUNetv2_plan_and_preprocess -d {args.dataset_id} -c 3d_fullres --verify_dataset_integrity")
    return finished(result.run_summary)
