"""``nnunet_wmh segment``: a trained model applied to a cohort (or one subject), with regions and the report."""

from __future__ import annotations

import argparse

from nnunet_wmh.cli.results import print_report
from nnunet_wmh.cli.slurm import add_slurm_arguments, check_slurm_flags, print_submission, slurm_options
from nnunet_wmh.errors import UsageError
from nnunet_wmh.registration import TRANSFORM_KINDS
from nnunet_wmh.tsv import read_tsv

EXIT_OK = 0


def _modality_image(value: str) -> tuple[str, str]:
    """``t2=PATH`` → ``("t2", "PATH")`` (argparse turns the ValueError into a usage line)."""
    modality, equals, path = value.partition("=")
    if not equals or not path or modality.strip().lower() not in ("t2", "pd", "t2star", "swi"):
        raise argparse.ArgumentTypeError(
            f"{value!r}: expected MODALITY=PATH with MODALITY t2, pd, t2star or swi (FLAIR and T1: --flair, --t1)"
        )
    return modality.strip().lower(), path


def add_segment(subparsers) -> None:
    parser = subparsers.add_parser(
        "segment",
        help="segment a cohort with a trained model: WMH masks, region maps, burden tables, QC, BIDS derivatives",
        description="Applies a trained nnU-Net model (a model folder or an nnUNetv2_export_model_to_zip file) to "
        "every subject of a cohort (WMH 2017 tree, BIDS, manifest) or to one subject (--flair/--t1). The model's "
        "dataset.json says which images it takes; a subject it cannot serve is listed in skipped.tsv. T1 images "
        "off the FLAIR grid are co-registered first. Regions come from a multitask model, else from --atlas-*, "
        "else from the built-in MNI152 white matter parcellation. OUT gets the report's tables, qc.tsv with "
        "each case's route and uncertainty, pictures, index.html and BIDS derivatives (sub-X/anat/...).",
    )
    parser.add_argument("source", nargs="?", metavar="INPUT", help="cohort: WMH 2017 tree, BIDS root or manifest")
    parser.add_argument("--model", required=True, help="trained model folder (TRAINER__PLANS__CONFIG) or model zip")
    parser.add_argument("--out", dest="out_dir", required=True, help="output folder (a BIDS derivatives dataset)")
    parser.add_argument("--layout", choices=("wmh2017", "bids", "manifest"), help="cohort layout (default: detected)")
    parser.add_argument("--flair", help="one subject's FLAIR (instead of INPUT)")
    parser.add_argument("--t1", help="one subject's T1 (instead of INPUT)")
    parser.add_argument(
        "--image", dest="images", action="append", type=_modality_image, metavar="MODALITY=PATH",
        help="one subject's other contrast for a model that takes it, e.g. t2=sub-01_T2w.nii.gz (repeatable)",
    )  # fmt: skip
    parser.add_argument("--subject-id", default="01", help="with --flair/--t1: the subject's id (default 01)")
    parser.add_argument("-f", "--folds", nargs="+", help="folds to ensemble (default: every fold of the model)")
    parser.add_argument("--checkpoint", default="checkpoint_final.pth", help="checkpoint file of each fold")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="default: GPU if any")
    parser.add_argument("--disable-tta", action="store_true", help="no test-time mirroring (faster)")
    parser.add_argument("--atlas-image", help="atlas template for the regions (default: the built-in atlas)")
    parser.add_argument("--atlas-labels", help="atlas region labels on the template grid")
    parser.add_argument("--region-table", help="names of the atlas labels (TSV/CSV, 'id name' text, LUT)")
    parser.add_argument("--transform", choices=TRANSFORM_KINDS, default="affine", help="atlas registration")
    parser.add_argument("--trainer-path", action="append", default=[], help="folder with the model's trainer")
    parser.add_argument("--connectivity", type=int, choices=(6, 18, 26), default=26, help="lesion connectivity")
    parser.add_argument("--min-lesion-mm3", type=float, default=0.0, help="drop lesions smaller than this (mm³)")
    parser.add_argument("--no-pictures", action="store_true", help="tables only (no PNGs, no index.html)")
    parser.add_argument("--skip-invalid", action="store_true", help="list unreadable subjects and go on")
    parser.add_argument("--part-id", type=int, default=0, help="this part, 0..N-1 (with --num-parts)")
    parser.add_argument("--num-parts", type=int, default=1, help="N interleaved parts (then report-merge OUT)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes for checks and tables (default 1)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output")
    add_slurm_arguments(parser, gpu_jobs="the parts")
    parser.set_defaults(handler=run_segment)


def segment_options(args: argparse.Namespace):
    """The :class:`~nnunet_wmh.segment.options.SegmentOptions` of the parsed flags."""
    from nnunet_wmh.report.options import ReportOptions  # heavy: torch, nnU-Net, SimpleITK
    from nnunet_wmh.segment.options import SegmentOptions

    report = ReportOptions(connectivity=args.connectivity, min_lesion_mm3=args.min_lesion_mm3,
                           pictures=not args.no_pictures)  # fmt: skip
    return SegmentOptions(
        folds=tuple(args.folds) if args.folds else None, checkpoint=args.checkpoint, device=args.device,
        mirroring=not args.disable_tta, atlas_image=args.atlas_image, atlas_labels=args.atlas_labels,
        region_table=args.region_table, transform=args.transform, layout=args.layout,
        skip_invalid=args.skip_invalid, trainer_paths=tuple(args.trainer_path), report=report,
    )  # fmt: skip


def _submit(args: argparse.Namespace, options) -> int:
    from nnunet_wmh.segment.slurm import submit_segment  # heavy: torch, nnU-Net, SimpleITK

    if args.part_id != 0:
        raise UsageError("`slurm` submits every part itself; leave out `part_id`", "part_id")
    submission = submit_segment(
        args.source, args.model, args.out_dir, slurm_options(args), flair=args.flair, t1=args.t1,
        images=dict(args.images or ()), subject_id=args.subject_id, options=options, num_parts=args.num_parts,
        jobs=args.jobs, overwrite=args.overwrite,
    )  # fmt: skip
    print_submission(submission)
    return EXIT_OK


def run_segment(args: argparse.Namespace) -> int:
    from nnunet_wmh.segment.run import segment_cohort  # heavy: torch, nnU-Net, SimpleITK

    check_slurm_flags(args)
    options = segment_options(args)
    if args.slurm:
        return _submit(args, options)
    result = segment_cohort(
        args.source, args.model, args.out_dir, flair=args.flair, t1=args.t1, images=dict(args.images or ()),
        subject_id=args.subject_id,
        options=options, part_id=args.part_id, num_parts=args.num_parts, jobs=args.jobs,
        overwrite=args.overwrite, progress=not args.quiet,
    )  # fmt: skip
    print_report(result, args.render)
    skipped = result.files.get("skipped.tsv")
    if skipped is not None:
        rows = read_tsv(skipped)
        print(f"  skipped: {len(rows)} subject(s)" + (f" (reasons in {skipped})" if rows else ""))
        for row in rows[:10]:
            print(f"    {row['subject']}: {row['reason']}")
    return EXIT_OK
