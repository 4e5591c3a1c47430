"""Applies a trained nnU-Net model (a model folder, an nnUNetv2_export_model_to_zip file, or nnU-Net's -d/-c/-tr/-p)
to every subject of a cohort (WMH 2017 tree, BIDS, manifest) or to one subject (--flair/--t1/--t2...). The
model's dataset.json says which images it takes; a subject it cannot serve is listed in skipped.tsv. Images off the
FLAIR grid are co-registered first. Regions come from a multitask model, else from --atlas-*, else from the
built-in MNI152 white matter parcellation. OUT gets the report's tables, qc.tsv with each case's route and
uncertainty, pictures, index.html and BIDS derivatives (sub-X/anat/...)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nnunet_wmh.cli.flags import (
    add_atlas_flags,
    add_option,
    add_run_flags,
    comma_or_spaces,
    options_from,
    run_options,
    warn,
)
from nnunet_wmh.cli.formatting import EXIT_OK, finished
from nnunet_wmh.cli.report import print_report
from nnunet_wmh.cli.slurm import add_slurm_arguments, check_slurm_flags, print_submission, slurm_options
from nnunet_wmh.cohorts.read import LAYOUTS
from nnunet_wmh.cohorts.single_subject import SubjectFiles
from nnunet_wmh.errors import NnunetWmhError, UsageError
from nnunet_wmh.modalities import KNOWN_MODALITIES, MODALITY_NAMES, other_modalities
from nnunet_wmh.registration import TRANSFORM_KINDS
from nnunet_wmh.report.options import CONNECTIVITIES
from nnunet_wmh.segment.options import PART_BY, SegmentOptions
from nnunet_wmh.tsv import read_tsv

NAME = "segment"
SUMMARY = "segment a cohort with a trained model: WMH masks, region maps, burden tables, QC, BIDS derivatives"


def _modality_image(value: str) -> tuple[str, str]:
    """``t2=PATH`` → ``("t2", "PATH")`` (the ``--image`` of earlier releases)."""
    modality, equals, path = value.partition("=")
    others = other_modalities(KNOWN_MODALITIES)
    if not equals or not path or modality.strip().lower() not in others:
        raise argparse.ArgumentTypeError(
            f"{value!r}: expected MODALITY=PATH with MODALITY {', '.join(others)} (FLAIR and T1: --flair, --t1)"
        )
    return modality.strip().lower(), path


def add_model_flags(parser: argparse.ArgumentParser) -> None:
    """``--model`` or nnU-Net's ``-d/-c/-tr/-p``, folds, checkpoint, mirroring, trainer paths."""
    model = parser.add_argument_group(
        "model", "--model, or nnU-Net's -d/-c [-tr] [-p] naming a model in $nnUNet_results"
    )
    model.add_argument("--model", help="trained model folder (TRAINER__PLANS__CONFIG) or model zip (default: -d/-c)")
    model.add_argument("-d", "--dataset-id", help="nnU-Net dataset id or name, with -c, as nnUNetv2_predict takes it "
                       "(default: --model)")  # fmt: skip
    model.add_argument("-c", "--configuration", help="nnU-Net configuration, e.g. 3d_fullres, with -d (default: "
                       "--model)")  # fmt: skip
    model.add_argument("-tr", dest="trainer", default="nnUNetTrainer", help="trainer class (with -d)")
    model.add_argument("-p", dest="plans", default="nnUNetPlans", help="plans identifier (with -d)")
    model.add_argument("-f", "--folds", nargs="+", metavar="FOLD",
                       help="folds to ensemble, e.g. -f 0 1 2 or all (default: every fold of the model)")  # fmt: skip
    add_option(model, SegmentOptions, "checkpoint", "checkpoint file of each fold", aliases=["-chk"])
    model.add_argument("--disable-tta", "--disable_tta", dest="mirroring", action="store_false",
                       help="no test-time mirroring (faster)")  # fmt: skip
    model.add_argument("--trainer-path", dest="trainer_paths", action="append", default=[],
                       help="folder with the model's trainer class; repeatable (default: none)")  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``segment``."""
    parser.add_argument("source", nargs="?", metavar="INPUT", help="cohort: WMH 2017 tree, BIDS root or manifest")
    parser.add_argument("--out", required=True, help="output folder (a BIDS derivatives dataset)")
    parser.add_argument("--layout", choices=LAYOUTS, help="cohort layout (default: detected)")
    one = parser.add_argument_group("one subject", "instead of INPUT: the images of one subject")
    for modality in KNOWN_MODALITIES:
        one.add_argument(f"--{modality}", metavar="PATH", help=f"its {MODALITY_NAMES[modality]} image (default: none)")
    one.add_argument("--image", dest="images", action="append", type=_modality_image, help=argparse.SUPPRESS)
    one.add_argument("--subject-id", default="01", help="its id in the outputs")
    add_segment_flags(parser)
    add_run_flags(parser, jobs=JOBS_HELP, parts=True, device=True,
                  strict="and refuse --flair/--t1/--image files the model does not take (default: left out with a "
                  "warning, recorded in report.json)")  # fmt: skip
    add_option(parser, SegmentOptions, "part_by", "with --num-parts: case, nnU-Net's sharding; participant, part "
               "K is the K-th participant with all its sessions (N = the number of participants)",
               choices=PART_BY)  # fmt: skip
    add_slurm_arguments(parser, gpu_jobs="the parts")


#: What ``--jobs`` does in ``segment`` (and the BIDS-App).
JOBS_HELP = "worker processes for the registrations (ahead of the prediction), checks and tables"


def add_segment_flags(parser: argparse.ArgumentParser) -> None:
    """The model, atlas and measuring flags ``segment`` shares with the BIDS-App (``bids``)."""
    add_model_flags(parser)
    add_atlas_flags(parser, what="none: the built-in atlas, for lesion models")
    add_option(parser, SegmentOptions, "transform", "atlas registration", choices=TRANSFORM_KINDS)
    add_option(parser, SegmentOptions, "connectivity", "lesion connectivity", type=int, choices=CONNECTIVITIES)
    add_option(parser, SegmentOptions, "min_lesion_mm3", "drop lesions smaller than this (mm³)", type=float)
    parser.add_argument("--no-pictures", dest="pictures", action="store_false",
                        help="tables only (no PNGs, no index.html)")  # fmt: skip
    parser.add_argument("--skip-invalid", action="store_true", help="list unreadable subjects and go on")


def segment_source(args: argparse.Namespace):
    """The cohort INPUT, or one subject's files (``--flair``, ``--t1``, ``--t2`` ...)."""
    images = {m: getattr(args, m) for m in KNOWN_MODALITIES if getattr(args, m) is not None}
    if args.images:
        warn("--image MODALITY=PATH is deprecated and goes in the next release; use --t2 PATH (--pd, ...)")
        images.update(dict(args.images))
    if args.source is not None and images:
        raise UsageError("give a cohort INPUT or one subject's images (--flair, --t1, ...), not both")
    if args.source is not None:
        return args.source
    if not images:
        raise UsageError("give a cohort INPUT, or one subject's images: --flair and/or --t1 (--t2, --pd, ...)")
    others = {m: path for m, path in images.items() if m not in ("flair", "t1")}
    return SubjectFiles(images.get("flair"), images.get("t1"), others, args.subject_id)


def model_location(args: argparse.Namespace) -> str:
    """``--model``, or the folder nnU-Net's ``-d -c [-tr] [-p]`` name in ``$nnUNet_results``."""
    from nnunet_wmh.nnunet.model import model_folder_of  # heavy: numpy (the model's label conventions)

    if args.model is not None:
        if args.dataset_id is not None or args.configuration is not None:
            raise UsageError("give --model, or -d with -c, not both")
        return args.model
    if args.dataset_id is None or args.configuration is None:
        raise UsageError("give --model, or nnU-Net's -d DATASET -c CONFIGURATION (with -tr, -p if not the default)")
    return str(model_folder_of(args.dataset_id, args.configuration, trainer=args.trainer, plans=args.plans))


def segment_options(args: argparse.Namespace) -> SegmentOptions:
    """The :class:`~nnunet_wmh.segment.options.SegmentOptions` of the parsed flags."""
    if args.folds:
        args.folds = comma_or_spaces(args.folds)
    return options_from(SegmentOptions, args)


def _say_how_to_continue(out: Path) -> None:
    """After a stopped run: the subjects it finished are kept; the same command continues."""
    from nnunet_wmh.segment.resume import work_root  # heavy: nibabel, the model module (only after a stop)

    finished = list(work_root(out.absolute()).glob("part-*/done/*.json"))
    if finished:
        print(f"nnunet_wmh: note: {len(finished)} subject(s) finished are kept in {work_root(out.absolute())}; "
              "run the same command again to continue (--overwrite starts over)", file=sys.stderr)  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Segment (or submit the SLURM jobs); print the report's figures and the subjects skipped."""
    from nnunet_wmh.segment.run import segment_cohort  # heavy: torch, nnU-Net, SimpleITK

    check_slurm_flags(args)
    source, model, options, run = segment_source(args), model_location(args), segment_options(args), run_options(args)
    if args.slurm:
        from nnunet_wmh.segment.slurm import submit_segment  # heavy: as above

        print_submission(submit_segment(source, model, args.out, slurm_options(args), options, run))
        return EXIT_OK
    try:
        result = segment_cohort(source, model, args.out, options, run)
    except (KeyboardInterrupt, NnunetWmhError):
        _say_how_to_continue(Path(args.out))
        raise
    print_segmented(result, args.render)
    return finished(result.run_summary, strict=args.strict)


def print_segmented(result, render) -> None:
    """The report's figures and the subjects skipped (the first 10, with their reasons)."""
    print_report(result, render)
    skipped = result.files.get("skipped.tsv")
    if skipped is not None:
        rows = read_tsv(skipped)
        print(f"  skipped: {len(rows)} subject(s)" + (f" (reasons in {skipped})" if rows else ""))
        for row in rows[:10]:
            print(f"    {row['subject']}: {row['reason']}")
