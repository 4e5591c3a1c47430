"""Commands that prepare data: ``synth``, ``convert``, ``regions``, ``coregister``."""

from __future__ import annotations

import argparse
import tempfile
from typing import TYPE_CHECKING

from nnunet_wmh.cli.formatting import comma_list, human_bytes
from nnunet_wmh.cohorts.read import LAYOUTS
from nnunet_wmh.errors import UsageError
from nnunet_wmh.registration import TRANSFORM_KINDS

if TYPE_CHECKING:
    from nnunet_wmh.registration.atlas import Atlas

EXIT_OK = 0


def add_synth(subparsers) -> None:
    parser = subparsers.add_parser(
        "synth",
        help="write a deterministic synthetic cohort (WMH 2017 or BIDS layout)",
        description="Brain-like phantoms in native space (anisotropic, oblique), with WMH (label 1), other "
        "pathology (label 2) and a 16-region white matter map, for tests and demos.",
    )
    parser.add_argument("out", metavar="OUT", help="output folder (refused if it exists, unless --overwrite)")
    parser.add_argument("--subjects", type=int, required=True, help="number of training subjects")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--layout", choices=("wmh2017", "bids"), default="wmh2017")
    parser.add_argument(
        "--size",
        choices=("full", "small"),
        default="full",
        help="full: each site's real grid; small: 4x4x2 coarser grids for fast tests",
    )
    parser.add_argument(
        "--test-subjects", type=int, default=0, help="wmh2017 layout: subjects written to test/ (default 0)"
    )
    parser.add_argument("--sessions", type=int, default=1, help="bids layout: sessions per subject")
    parser.add_argument("--sites", type=comma_list, help="only these sites, e.g. Utrecht,Singapore (default all)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    parser.add_argument(
        "--modalities", type=comma_list, metavar="LIST",
        help="contrasts to write besides FLAIR and T1: t2, pd (e.g. flair,t1,t2)",
    )  # fmt: skip
    parser.set_defaults(handler=run_synth)


def run_synth(args: argparse.Namespace) -> int:
    from nnunet_wmh.synthetic import make_synthetic_cohort  # heavy: scipy

    cohort = make_synthetic_cohort(
        args.out,
        subjects=args.subjects,
        seed=args.seed,
        layout=args.layout,
        size=args.size,
        test_subjects=args.test_subjects,
        sessions=args.sessions,
        sites=args.sites,
        modalities=args.modalities,
        jobs=args.jobs,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    splits = {split: sum(1 for s in cohort.subjects if s["split"] == split) for split in ("train", "test")}
    print(
        f"wrote {splits['train']} training and {splits['test']} test subject(s) ({cohort.layout} layout) "
        f"to {cohort.root}"
    )
    return EXIT_OK


def _add_convert_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--mode",
        required=True,
        metavar="MODE",
        help="input channels and labels: flair, t1, flair_t1, interchangeable (channel duplication over "
        "--modalities), multitask (joint lesion x region labels), regions (region labels), or a list of "
        "modalities such as flair,t2 (fixed inputs)",
    )
    parser.add_argument("--dataset-id", type=int, required=True, help="nnU-Net dataset id (1..999)")
    parser.add_argument("--name", help="dataset name (default WMH_<mode>)")
    parser.add_argument(
        "--inputs",
        help="multitask/regions modes: flair, t1, flair_t1 (default), interchangeable or a list "
        "of modalities (flair,t2)",
    )
    parser.add_argument(
        "--modalities", type=comma_list, metavar="LIST",
        help="interchangeable: the contrasts and their channel order, from flair,t1,t2,pd,t2star,swi "
        "(default flair,t1); sources are searched for them (BIDS _T2w, challenge T2.nii.gz, manifest column t2)",
    )  # fmt: skip
    parser.add_argument(
        "--variants", type=comma_list,
        help="interchangeable: cases per complete subject: full (alias paired), a modality (t2), a subset "
        "(flair+t2) or all (every subset); default full and each modality alone",
    )  # fmt: skip
    parser.add_argument(
        "--train-variants", type=comma_list,
        help="interchangeable: cases per complete training subject, if not --variants (e.g. paired for dropout)",
    )  # fmt: skip
    parser.add_argument(
        "--channels", type=int,
        help="interchangeable: one per modality = channel duplication (default), 1 = one case per modality",
    )  # fmt: skip
    parser.add_argument(
        "--fill-missing", choices=("duplicate", "zero"), default="duplicate",
        help="interchangeable: a missing channel is a copy of an available image (default; see --fill-order) "
        "or zeros",
    )  # fmt: skip
    parser.add_argument(
        "--fill-order", type=comma_list, metavar="LIST",
        help="interchangeable: which available modality fills a missing channel first "
        "(default flair,t2,pd,t2star,swi,t1)",
    )  # fmt: skip
    parser.add_argument(
        "--encoding", choices=("joint", "separate"),
        help="multitask: joint softmax labels (default) or separate sigmoid outputs (regions + lesion)",
    )  # fmt: skip
    parser.add_argument(
        "--other-pathology", choices=("ignore", "background", "lesion"), default="ignore",
        help="challenge label 2 (default ignore: nnU-Net's ignore label)",
    )  # fmt: skip
    parser.add_argument(
        "--drop-modality", metavar="LIST", help="remove these modalities from the test subjects (t1 or t1,t2)"
    )
    parser.add_argument("--case-prefix", default="wmh", help="case ids are PREFIX_NNNN[_variant] (default wmh)")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    parser.add_argument("--seed", type=int, default=12345, help="fold shuffling seed (default 12345)")
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
    parser.add_argument("--out", help="nnU-Net raw folder (default $nnUNet_raw)")
    parser.add_argument("--layout", choices=LAYOUTS, help="source layout (default: detected)")
    parser.add_argument(
        "--images", choices=("pre", "orig"), default="pre",
        help="WMH 2017 image folder (default pre: T1 registered to FLAIR)",
    )  # fmt: skip
    parser.add_argument("--derivatives", help="BIDS: folder with lesion/region maps (default SOURCE/derivatives)")
    parser.add_argument(
        "--regions", help="region maps: a folder, or a pattern with {subject}, {session}, {site}, {key}"
    )
    parser.add_argument("--region-table", help="region names: TSV/CSV (id,name), 'id name' text, or colour LUT")
    parser.add_argument("--test-source", help="cohort converted into imagesTs (any layout)")
    parser.add_argument("--test-layout", choices=LAYOUTS, help="layout of --test-source (default: detected)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing dataset")
    parser.set_defaults(handler=run_convert)


def run_convert(args: argparse.Namespace) -> int:
    from nnunet_wmh.dataset_conversion.convert import convert_dataset  # heavy: nnU-Net's dataset.json helper
    from nnunet_wmh.dataset_conversion.options import ConvertOptions

    options = ConvertOptions(
        mode=args.mode, dataset_id=args.dataset_id, name=args.name, inputs=args.inputs, variants=args.variants,
        train_variants=args.train_variants, modalities=args.modalities, fill_order=args.fill_order,
        channels=args.channels, fill_missing=args.fill_missing, encoding=args.encoding,
        other_pathology=args.other_pathology, drop_modality=args.drop_modality, case_prefix=args.case_prefix,
        folds=args.folds, seed=args.seed, coregister=args.coregister, skip_invalid=args.skip_invalid,
    )  # fmt: skip
    result = convert_dataset(
        args.source, options, out=args.out, layout=args.layout, images=args.images, derivatives=args.derivatives,
        regions=args.regions, region_table=args.region_table, test_source=args.test_source,
        test_layout=args.test_layout, jobs=args.jobs, overwrite=args.overwrite, progress=not args.quiet,
    )  # fmt: skip
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
    return EXIT_OK


def add_regions(subparsers) -> None:
    parser = subparsers.add_parser(
        "regions",
        help="register an atlas to each subject and write native-space region maps",
        description="Registers --atlas-image to the subject (Mattes mutual information, multi-resolution, "
        "centred initialisation) and resamples --atlas-labels with nearest neighbour onto the subject's exact "
        "grid. Writes the transform beside each map. With --source, every subject of a cohort (any layout "
        "convert reads) gets OUT_DIR/<subject>/regions.nii.gz, which convert --regions OUT_DIR finds. "
        "Without --atlas-* options the built-in atlas is used: nilearn's MNI152 template with a white matter "
        "parcellation (4 lobes x 2 hemispheres x depth shells, and infratentorial; 31 regions).",
    )
    parser.add_argument("--atlas-image", help="template image (e.g. MNI152 T1); default: the built-in atlas")
    parser.add_argument("--atlas-labels", help="region labels on the template grid")
    parser.add_argument("--region-table", help="region names (TSV/CSV, 'id name' text, LUT)")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--subject", dest="subject_image", help="one subject image (with --out)")
    target.add_argument("--source", help="a cohort: WMH 2017 tree, BIDS root or manifest (with --out-dir)")
    parser.add_argument("--out", help="output region map .nii.gz (with --subject)")
    parser.add_argument("--out-dir", help="output folder (with --source)")
    parser.add_argument("--layout", help="source layout (default: detected)")
    parser.add_argument(
        "--modality", choices=("t1", "flair"), default="t1", help="cohort image registered (default t1)"
    )
    parser.add_argument("--transform", choices=TRANSFORM_KINDS, default="affine", help="default affine")
    parser.add_argument("--wm-mask", help="with --subject: keep labels inside this mask only (off by default)")
    parser.add_argument(
        "--skip-invalid", action="store_true", help="with --source: write the subjects that succeed, list the others"
    )
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (with --source)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    parser.set_defaults(handler=run_regions)


def _regions_usage(args: argparse.Namespace) -> None:
    atlas = (args.atlas_image, args.atlas_labels, args.region_table)
    if any(a is not None for a in atlas) and any(a is None for a in atlas):
        raise UsageError("give --atlas-image, --atlas-labels and --region-table together (or none: built-in atlas)")
    if args.subject_image and not args.out:
        raise UsageError("--subject needs --out")
    if args.source and not args.out_dir:
        raise UsageError("--source needs --out-dir")
    if args.source and args.wm_mask:
        raise UsageError("--wm-mask applies to one --subject")
    if args.subject_image and (args.skip_invalid or args.out_dir):
        raise UsageError("--skip-invalid and --out-dir apply to a --source cohort")


def run_regions(args: argparse.Namespace) -> int:
    from nnunet_wmh.registration.atlas import load_atlas  # heavy: SimpleITK
    from nnunet_wmh.registration.builtin_atlas import load_builtin_atlas

    _regions_usage(args)
    if args.atlas_image is None:
        with tempfile.TemporaryDirectory(prefix="nnunet_wmh_atlas_") as folder:
            print("atlas: built-in (nilearn's MNI152 template, white matter parcellation of 31 regions)")
            return _register_regions(args, load_builtin_atlas(folder))
    return _register_regions(args, load_atlas(args.atlas_image, args.atlas_labels, args.region_table))


def _register_regions(args: argparse.Namespace, atlas: Atlas) -> int:
    from nnunet_wmh.registration.atlas import register_atlas  # heavy: SimpleITK
    from nnunet_wmh.registration.cohort_regions import register_atlas_to_cohort

    if args.subject_image:
        result = register_atlas(
            atlas, args.subject_image, args.out, transform=args.transform, wm_mask=args.wm_mask,
            overwrite=args.overwrite,
        )  # fmt: skip
        print(f"wrote {result.region_map} ({len(result.region_ids)} regions) and {result.transform}")
        print(f"  final mutual information {result.metric:.3f}; {result.inside_head:.0%} of the regions in the head")
        return EXIT_OK
    cohort = register_atlas_to_cohort(
        atlas, args.source, args.out_dir, layout=args.layout, modality=args.modality, transform=args.transform,
        skip_invalid=args.skip_invalid, jobs=args.jobs, overwrite=args.overwrite, progress=not args.quiet,
    )  # fmt: skip
    print(f"wrote region maps of {len(cohort.results)} subject(s) to {cohort.out_dir} (names: {cohort.region_table})")
    if cohort.skipped:
        print(f"  skipped: {len({p.subject for p in cohort.skipped})} subject(s):")
        for problem in cohort.skipped:
            print(f"    {problem}")
    print(f"next: nnunet_wmh convert {args.source} --mode multitask --regions {cohort.out_dir} ...")
    return EXIT_OK


def add_coregister(subparsers) -> None:
    parser = subparsers.add_parser(
        "coregister",
        help="register a T1 rigidly to the FLAIR and resample it onto the FLAIR's exact grid",
        description="Rigid registration (Mattes mutual information, multi-resolution), linear resampling of "
        "--moving onto the grid of --fixed, output with the FLAIR's header; the transform is written beside it.",
    )
    parser.add_argument("--fixed", required=True, help="the FLAIR (its grid is kept)")
    parser.add_argument("--moving", required=True, help="the T1 to move")
    parser.add_argument("--out", required=True, help="output .nii.gz, e.g. T1_in_FLAIR.nii.gz")
    parser.add_argument("--n4", action="store_true", help="N4 bias-field correction of both images first")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output")
    parser.set_defaults(handler=run_coregister)


def run_coregister(args: argparse.Namespace) -> int:
    from nnunet_wmh.registration.coregister import coregister  # heavy: SimpleITK

    result = coregister(args.fixed, args.moving, args.out, n4=args.n4, overwrite=args.overwrite)
    print(f"wrote {result.image} (T1 on the FLAIR grid) and {result.transform}")
    print(f"  final mutual information {result.metric:.3f}; {result.head_overlap:.0%} head overlap")
    return EXIT_OK
