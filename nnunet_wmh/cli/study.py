"""The paper's comparison on a cohort, in one resumable command. For each input configuration: convert ->
nnUNetv2_plan_and_preprocess -> nnUNetv2_train -> nnUNetv2_predict on the test subjects in every input the model
accepts -> evaluate; then results.tsv, table_segmentation.tsv/.md, table_localization.tsv, comparisons.tsv, figures
and index.html in OUT. Every step is also written to OUT/commands.sh. Rerun the same command to continue an
interrupted study: finished steps are not redone."""

from __future__ import annotations

import argparse
import sys

from nnunet_wmh.cli.flags import (
    add_atlas_flags,
    add_option,
    add_run_flags,
    add_seed_flag,
    comma_or_spaces,
    default_of,
    options_from,
    run_options,
)
from nnunet_wmh.cli.formatting import EXIT_OK, comma_list
from nnunet_wmh.cli.signals import stopped_by
from nnunet_wmh.cli.slurm import add_slurm_arguments, check_slurm_flags, print_submission, slurm_options
from nnunet_wmh.cohorts.read import LAYOUTS
from nnunet_wmh.errors import UsageError
from nnunet_wmh.study.configs import CONFIGS, join_config_tokens
from nnunet_wmh.study.options import StudyOptions
from nnunet_wmh.study.profiles import CONFIGURATIONS, PROFILES

NAME = "study"
SUMMARY = "the paper's comparison study on a cohort: train, predict, evaluate, compare (resumable)"


def _folds(values: list[str]) -> list[int]:
    try:
        return [int(value) for value in comma_or_spaces(values)]
    except ValueError:
        raise UsageError(f"--folds are whole numbers, e.g. -f 0 or -f 0 1 2 3 4; got {' '.join(values)}") from None


def _configs(value: str) -> list[str]:
    return join_config_tokens(comma_list(value))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``study``."""
    parser.add_argument("source", metavar="SOURCE", help="cohort with a test split: WMH 2017 tree, BIDS root, manifest")
    parser.add_argument("--out", required=True, help="study folder (continued if it holds this study)")
    parser.add_argument(
        "--configs", type=_configs,
        help=f"configurations: {', '.join(CONFIGS)}; or over a list of modalities (last, or joined by +): "
        "interchangeable_dropout:flair,t1,t2, interchangeable:LIST, fixed:LIST (default: the paper's eight, less "
        "those its subjects cannot serve)",
    )  # fmt: skip
    profiles = "; ".join(f"{p.name}: {p.summary}" for p in PROFILES.values())
    add_option(parser, StudyOptions, "profile", profiles, choices=list(PROFILES))
    parser.add_argument("-c", "--configuration", choices=CONFIGURATIONS,
                        help="nnU-Net configuration (default: the profile's)")  # fmt: skip
    parser.add_argument("-f", "--folds", nargs="+", metavar="FOLD",
                        help="folds trained per configuration and ensembled, e.g. -f 0 1 2 3 4 (default: "
                        "0)")  # fmt: skip
    add_option(parser, StudyOptions, "cv_folds", "cross-validation folds of the datasets", type=int)
    add_option(parser, StudyOptions, "dataset_id_base", "dataset ids are this + the configuration's index", type=int)
    parser.add_argument("--test-source", help="a separate test cohort (default: SOURCE's test split)")
    parser.add_argument("--layout", choices=LAYOUTS, help="layout of SOURCE (default: detected)")
    parser.add_argument("--test-layout", choices=LAYOUTS, help="layout of --test-source (default: detected)")
    add_atlas_flags(
        parser,
        what="none: the built-in atlas; regions for separate_models, and for multitask_* when the source has none",
    )
    parser.add_argument("--trainer", dest="trainers", action="append", default=[],
                        help="stock (nnU-Net's 1000-epoch trainers) or CONFIG=TRAINER; repeatable (default: the "
                        "profile's)")  # fmt: skip
    parser.add_argument("--trainer-path", dest="trainer_paths", action="append", default=[],
                        help="another folder of trainers (added to nnUNet_extTrainer); repeatable (default: "
                        "none)")  # fmt: skip
    add_seed_flag(parser, "seed of the split and the bootstrap")
    parser.add_argument("--deterministic", action="store_true",
                        help="seed training with --seed, augmentation in the training process: CPU training "
                        "repeats exactly (slower)")  # fmt: skip
    parser.add_argument("--dry-run", action="store_true", help="write OUT/commands.sh only")
    parser.add_argument("--only-steps", dest="steps", type=comma_list, metavar="KEYS",
                        help="run only these steps of an existing study (what each SLURM job runs), e.g. "
                        "flair/train_fold0 (default: every step)")  # fmt: skip
    parser.add_argument("--tables-only", action="store_true",
                        help="only the tables, figures and page of a study whose steps are finished")  # fmt: skip
    add_run_flags(
        parser,
        device=True,
        overwrite="redo finished steps whose options changed, or replace a folder that is not a study",
    )
    add_slurm_arguments(parser, gpu_jobs="training, prediction")


def study_options(args: argparse.Namespace) -> StudyOptions:
    """The :class:`~nnunet_wmh.study.options.StudyOptions` of the parsed flags."""
    args.folds = _folds(args.folds) if args.folds else default_of(StudyOptions, "folds")
    return options_from(StudyOptions, args)


def _modes(args: argparse.Namespace) -> None:
    modes = {"--slurm": args.slurm, "--only-steps": args.steps, "--tables-only": args.tables_only,
             "--dry-run": args.dry_run}  # fmt: skip
    chosen = [flag for flag, on in modes.items() if on]
    if len(chosen) > 1:
        raise UsageError(f"{' and '.join(chosen)} do not go together")


def _run_mode(args: argparse.Namespace, options, say) -> int:
    """--slurm, --only-steps or --tables-only."""
    from nnunet_wmh.study.run import finish_study, run_study_steps  # heavy: nnU-Net, SimpleITK, matplotlib
    from nnunet_wmh.study.slurm import submit_study

    run = run_options(args)
    if args.slurm:
        print_submission(submit_study(args.source, args.out, options, slurm_options(args), run))
        return EXIT_OK
    if args.steps:
        status = run_study_steps(args.source, args.out, options, args.steps, run, on_step=say)
        print(f"steps {', '.join(status)}: " + ", ".join(sorted(set(status.values()))))
        return EXIT_OK
    result = finish_study(args.source, args.out, options, run, on_step=say)
    _print_result(result)
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    """Run, continue, submit or finish the study; print its tables and findings."""
    from nnunet_wmh.study.run import run_study as study  # heavy: as above

    _modes(args)
    check_slurm_flags(args)
    options = study_options(args)
    say = None if args.quiet else (lambda message: print(message, flush=True))
    # Ctrl-C, or a scheduler's or kill's SIGTERM (cli.main turns it into an interrupt): the running nnU-Net command
    # is killed with it, the folder lock released, and finished steps kept
    try:
        if args.slurm or args.steps or args.tables_only:
            return _run_mode(args, options, say)
        result = study(args.source, args.out, options, run_options(args), dry_run=args.dry_run, on_step=say)
    except KeyboardInterrupt as exc:
        words, exit_code = stopped_by(exc)
        print(
            f"nnunet_wmh: stopped: {words}; finished steps are kept; rerun the same command to continue",
            file=sys.stderr,
        )
        return exit_code
    if args.dry_run:
        print(f"{len(result.configs)} configuration(s):")
        for name, uses in result.uses.items():
            print(f"  {name}: {uses}")
        print(f"commands: {result.commands}")
        return EXIT_OK
    _print_result(result)
    return EXIT_OK


def _print_result(result) -> None:
    print()
    print((result.out / "table_segmentation.md").read_text().rstrip())
    if result.tables and result.tables.findings:
        print("\nThe paper's findings on this cohort:")
        for finding in result.tables.findings:
            print(f"  {finding['finding']}: {finding['verdict']} ({finding['reason']})")
    for check in result.tables.model_checks.values() if result.tables else ():
        if not check.learned:
            print(f"nnunet_wmh: warning: {check.config} did not learn: {check.reason}", file=sys.stderr)
    if result.tables and result.tables.best_lesion_config:
        print(f"\nseparate_models uses the lesion model {result.tables.best_lesion_config}")
    print(f"\npage: {result.index}")
    print(f"tables: {result.out / 'results.tsv'}, {result.out / 'comparisons.tsv'}; commands: {result.commands}")
    print(result.run_summary.line())
