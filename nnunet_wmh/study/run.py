"""``run_study``: the paper's comparison on a cohort in one resumable call.

Flow: check the options and the source → the steps (:mod:`~nnunet_wmh.study.plan`) → ``commands.sh`` →
(``dry_run``: stop here) → run the steps not done yet (:mod:`~nnunet_wmh.study.steps`) → tables, figures,
``index.html`` and ``study.json``.

The study folder is built in place (nnU-Net's files record where they are) and is its own record: a
rerun of the same call continues where the last one stopped and redoes nothing that is done.

:func:`plan_study` builds the steps without running anything; :func:`run_study_steps` runs some of them and
:func:`finish_study` writes the tables of a finished study: what the SLURM jobs of
:mod:`~nnunet_wmh.study.slurm` run.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from nnunet_wmh import __version__
from nnunet_wmh.cohorts.identity import require_distinct_ids
from nnunet_wmh.cohorts.read import read_source
from nnunet_wmh.errors import OutputError, OutputExistsError, UsageError
from nnunet_wmh.nnunet.device import torch_device
from nnunet_wmh.nnunet.trainer_search import TRAINER_PATH_VARIABLE
from nnunet_wmh.registration.atlas_grid import check_atlas_grid
from nnunet_wmh.runs.ledger import Ledger
from nnunet_wmh.runs.options import RunOptions, resolve_options
from nnunet_wmh.runs.outputs import check_output, folder_lock
from nnunet_wmh.runs.summary import RunSummary, Stopwatch
from nnunet_wmh.slurm.submit import check_not_running
from nnunet_wmh.study.commands_sh import study_command, write_commands
from nnunet_wmh.study.configs import StudyConfig, resolve_configs, select_configs
from nnunet_wmh.study.input_check import check_study_inputs
from nnunet_wmh.study.layout import COMMANDS_SH, STUDY_JSON, StudyLayout
from nnunet_wmh.study.options import StudyOptions
from nnunet_wmh.study.outputs import StudyTables, compute_tables, write_figures, write_tables
from nnunet_wmh.study.page import write_study_page
from nnunet_wmh.study.plan import StudyPlanner
from nnunet_wmh.study.profiles import Profile, check_profile, parse_trainers
from nnunet_wmh.study.steps import STEPS_FOLDER, Step, run_steps, study_ledger
from nnunet_wmh.study.subjects import subject_shortfalls
from nnunet_wmh.study.trainer_lookup import trainer_problems
from nnunet_wmh.study.training_logs import LearningCurve, read_model_curves
from nnunet_wmh.training.seeding import SEED_VARIABLE


@dataclass
class StudyResult:
    """What :func:`run_study` did.

    Attributes
    ----------
    out
        The study folder.
    commands
        ``commands.sh``.
    configs
        The configurations, in order.
    status
        Step key → ``ran`` or ``done earlier`` (empty for a dry run).
    seconds
        Step key → wall time of the run that finished it.
    tables
        The tables (None for a dry run).
    index
        ``index.html`` (None for a dry run).
    uses
        Configuration → what it uses: subjects (and those left out), trainer, regions.
    """

    out: Path
    commands: Path
    configs: list[str]
    status: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    tables: StudyTables | None = None
    index: Path | None = None
    wall_seconds: float = 0.0
    uses: dict[str, str] = field(default_factory=dict)

    @property
    def run_summary(self) -> RunSummary:
        """What this run did: steps run now and steps an earlier run had finished."""
        ran = sum(1 for status in self.status.values() if status == "ran")
        return RunSummary("study", self.out, ran, "step", earlier=len(self.status) - ran, seconds=self.wall_seconds)


def _source_facts(source: Path, options: StudyOptions) -> tuple[int, bool]:
    """Number of test subjects and whether every subject has a region map of its own; ids that clash once
    cleaned are refused (:func:`~nnunet_wmh.cohorts.identity.require_distinct_ids`)."""
    contents = read_source(source, layout=options.layout)
    subjects = [*contents.train, *contents.test]
    require_distinct_ids(subjects, consequence="the study was not started")
    test = len(contents.test)
    if options.test_source:  # a second cohort may reuse the training ids (convert tells them apart)
        test_contents = read_source(options.test_source, layout=options.test_layout)
        test = len(test_contents.train) + len(test_contents.test)
        require_distinct_ids([*test_contents.train, *test_contents.test], consequence="the study was not started")
        subjects += [*test_contents.train, *test_contents.test]
    if test == 0:
        raise UsageError(f"`source` {source} has no test subjects; give a `test_source`", "test_source")
    return test, bool(subjects) and all(s.regions is not None for s in subjects)


def prepare_study_folder(out: Path, *, overwrite: bool) -> None:
    """Create the study folder; refuse a folder that holds something else, unless ``overwrite``."""
    if out.exists() and not out.is_dir():
        raise OutputError(out, "is a file; the study needs a folder")
    check_output(out, overwrite=True, kind="folder")  # its parent can be written
    is_study = (out / STEPS_FOLDER).is_dir() or (out / COMMANDS_SH).is_file()
    if out.is_dir() and any(out.iterdir()) and not is_study:
        if not overwrite:
            raise OutputExistsError(out)
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def _steps(planner: StudyPlanner, configs: Sequence[StudyConfig]) -> list[Step]:
    """Every step of the configurations (:func:`_runnable` checked their subjects)."""
    regions = [planner.regions_step()] if planner.needs_atlas_regions(list(configs)) else []
    for config in configs:
        if config.trained:
            planner.config_steps(config, regions)
    return planner.steps


def learning_curves(planner: StudyPlanner, configs: Sequence[StudyConfig]) -> dict[str, dict[int, LearningCurve]]:
    """Configuration → fold → curves read from nnU-Net's training logs (configurations without a log left out)."""
    curves = {}
    for config in configs:
        if config.trained:
            folder = planner.layout.model_dir(config, planner.trainer(config), planner.configuration)
            if found := read_model_curves(folder, list(planner.options.folds)):
                curves[config.name] = found
    return curves


def _versions() -> dict[str, str]:
    found = {"nnunet_wmh": __version__, "python": platform.python_version()}
    for package in ("nnunetv2", "torch", "numpy", "SimpleITK", "nibabel", "scipy"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def _study_json(
    result: StudyResult, options: StudyOptions, planner: StudyPlanner, ledger: Ledger, test_subjects: int
) -> dict[str, Any]:
    tables = result.tables
    return {
        "nnunet_wmh_version": __version__,
        "nnunet_version": _versions()["nnunetv2"],
        "versions": _versions(),
        "source": str(planner.source),
        "options": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(options).items()},
        "jobs": planner.jobs,
        "profile": planner.profile.name,
        "configuration": planner.configuration,
        "device": planner.device,
        "seeds": {"split": options.seed, "bootstrap": options.seed},
        "test_subjects": test_subjects,
        "configs": _config_facts(planner, result.configs, tables),
        "best_lesion_config": tables.best_lesion_config if tables else None,
        "findings": tables.findings if tables else [],
        "steps": [
            {"key": s.key, "title": s.title, "status": result.status.get(s.key, ""), "seconds": ledger.seconds(s.key)}
            for s in planner.steps
        ],
        "written": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _config_facts(planner: StudyPlanner, names: Sequence[str], tables: StudyTables | None) -> dict[str, Any]:
    """Per configuration: its trainer and, once evaluated, whether its model learned (and why not)."""
    facts: dict[str, Any] = {}
    for config in resolve_configs(names):
        facts[config.name] = {"trainer": planner.trainer(config) if config.trained else ""}
        if config.trained:
            facts[config.name]["subjects"] = planner.subjects(config).as_json()
        check = tables.model_checks.get(config.name) if tables else None
        if check is not None:
            facts[config.name].update(status=check.status, reason=check.reason)
    return facts


def _config_rows(study: dict[str, Any]) -> list[dict[str, Any]]:
    configs = {c.name: c for c in resolve_configs(list(study["configs"]))}
    seconds: dict[str, float] = {}
    for step in study["steps"]:
        config = step["key"].split("/")[0]
        seconds[config] = seconds.get(config, 0.0) + float(step["seconds"] or 0.0)
    return [
        {
            "config": name,
            "summary": configs[name].summary,
            "trainer": value["trainer"],
            "train": value.get("subjects", {}).get("train", ""),
            "test": value.get("subjects", {}).get("test", ""),
            "left out": len(value.get("subjects", {}).get("excluded", [])),
            "model": value.get("status", ""),
            "why": value.get("reason", ""),
            "minutes": round(seconds.get(name, 0.0) / 60, 1),
        }
        for name, value in study["configs"].items()
    ]


def _run_and_report(
    result: StudyResult, plan: StudyPlan, *, overwrite: bool, on_step: Callable[[str], None] | None
) -> None:
    """Run the steps not done yet, then write the tables, figures, study.json and index.html."""
    planner, steps = plan.planner, plan.steps
    options, layout, out = planner.options, planner.layout, result.out
    ledger = study_ledger(out)
    result.status = run_steps(steps, ledger, overwrite=overwrite, on_step=on_step)
    result.seconds = {s.key: ledger.seconds(s.key) or 0.0 for s in steps}
    if on_step:
        on_step("tables, figures and index.html ...")
    sources = [(str(planner.source), options.layout)]
    if options.test_source:
        sources.append((options.test_source, options.test_layout))
    configs = resolve_configs(result.configs)
    result.tables, burden = compute_tables(layout, configs, sources, seed=options.seed)
    write_tables(out, result.tables, burden)
    figures = write_figures(out, result.tables, burden, learning_curves(planner, configs))
    study = _study_json(result, options, planner, ledger, plan.test_subjects)
    (out / STUDY_JSON).write_text(json.dumps(study, indent=1, default=str) + "\n")
    result.index = write_study_page(
        out, study=study, segmentation=result.tables.segmentation, localization=result.tables.localization,
        comparisons=result.tables.comparisons, figures=figures, configs=_config_rows(study),
    )  # fmt: skip


@dataclass
class StudyPlan:
    """A study's steps before anything runs (:func:`plan_study`).

    Attributes
    ----------
    out
        The study folder (absolute).
    planner
        What the steps share (source, options, layout, environment).
    configs
        The configurations, in order.
    steps
        Every step, in order.
    test_subjects
        Number of test subjects.
    not_run
        Configurations of the default selection left out, and why (too few subjects have their inputs).
    """

    out: Path
    planner: StudyPlanner
    configs: list[StudyConfig]
    steps: list[Step]
    test_subjects: int
    not_run: dict[str, str] = field(default_factory=dict)

    @property
    def variables(self) -> dict[str, str]:
        """The environment nnU-Net's commands get."""
        return self.planner.variables

    def uses(self) -> dict[str, str]:
        """Configuration → one line on what it uses (``--dry-run`` prints them)."""
        planner, lines = self.planner, {}
        atlas = "the given atlas" if planner.options.has_atlas else "the built-in MNI152 atlas"
        for config in self.configs:
            if not config.trained:
                lines[config.name] = f"the best lesion model's lesions + regions of {atlas} registered to each subject"
                continue
            line = f"{planner.subjects(config).line()}; {planner.trainer(config)}"
            if config.regions:
                line += (
                    f"; regions of {atlas} registered" if planner.region_override(config) else "; the source's regions"
                )
            lines[config.name] = line
        return {**lines, **self.not_run}


def study_device(device: str, profile: Profile, *, here: bool) -> str:
    """The device nnU-Net's commands get: ``auto`` is a GPU when torch sees one here, and ``cuda`` for the gpu
    profile's commands run elsewhere (``dry_run``, SLURM jobs).

    Raises
    ------
    UsageError
        ``here`` (the steps run in this process) with ``cuda``, or the gpu profile, and no GPU torch can use:
        the gpu profile's 3-D training would take days on a CPU.
    """
    chosen = torch_device(device)
    if not here:
        return "cuda" if device == "auto" and profile.name == "gpu" else chosen
    if chosen == "cpu" and device == "auto" and profile.name == "gpu":
        raise UsageError(
            "`profile` gpu: torch sees no GPU here (3d_fullres, 250 epochs per configuration: days on a CPU); run it "
            "where a GPU is (SLURM, or `dry_run` for commands.sh), use the quick or cpu profile, or pass `device` "
            "cpu to train on the CPU anyway",
            "profile",
        )
    if chosen == "cuda":
        import torch  # heavy: only to tell whether there is a GPU

        if not torch.cuda.is_available():
            raise UsageError("`device` cuda: torch sees no GPU here (torch.cuda.is_available() is False)", "device")
    return chosen


def plan_study(
    source: str | os.PathLike[str],
    out: str | os.PathLike[str],
    options: StudyOptions,
    run: RunOptions,
    *,
    here: bool = False,
) -> StudyPlan:
    """Check the options, read the source and build the study's steps (nothing is written).

    ``here``: the steps will run in this process (so ``cuda``, or the gpu profile, needs a GPU here).

    Raises
    ------
    UsageError
        Bad options, configurations the source does not allow, too few subjects for a configuration (or, by
        default, for every one), no test subjects, trainers nnU-Net would not find (every such problem at once,
        one a line), no GPU for steps that need one here.
    """
    options.check()
    run.check(device=True)
    if options.has_atlas:
        check_atlas_grid(options.atlas_image, options.atlas_labels)  # type: ignore[arg-type]
    source_path = Path(source).expanduser().absolute()
    test_subjects, source_has_regions = _source_facts(source_path, options)
    configs = select_configs(options.configs)
    out_path = Path(out).expanduser().absolute()
    layout = StudyLayout(out_path, options.dataset_id_base)
    profile, configuration = check_profile(options.profile, options.configuration)
    variables = layout.nnunet.environment(jobs=run.jobs, trainer_paths=options.trainer_paths)
    if options.deterministic:
        variables[SEED_VARIABLE] = str(options.seed)
    planner = StudyPlanner(
        source_path, options, layout, profile, configuration, parse_trainers(options.trainers),
        study_device(run.device, profile, here=here), run.jobs, variables, source_has_regions,
    )  # fmt: skip
    configs, not_run = _runnable(planner, configs, chosen=bool(options.configs))
    return StudyPlan(out_path, planner, configs, _steps(planner, configs), test_subjects, not_run)


def check_plan_inputs(plan: StudyPlan, run: RunOptions) -> None:
    """Read and check every file the plan's conversions will read, before the first step
    (:func:`~nnunet_wmh.study.input_check.check_study_inputs`)."""
    conversions = [plan.planner.convert_options(config) for config in plan.configs if config.trained]
    check_study_inputs(plan.planner.source, conversions, jobs=run.jobs, progress=run.progress)


def _runnable(
    planner: StudyPlanner, configs: Sequence[StudyConfig], *, chosen: bool
) -> tuple[list[StudyConfig], dict[str, str]]:
    """The configurations to run and those left out: a configuration too few subjects can serve is refused
    when ``chosen``, else (the default selection) left out, saying why, unless none can be trained. Every
    trainer must be one nnU-Net will find (:mod:`~nnunet_wmh.study.trainer_lookup`).

    Raises
    ------
    UsageError
        Every problem at once, one a line: chosen configurations with too few subjects, a default selection
        that can train nothing, trainers nnU-Net would not find.
    """
    trained = [c for c in configs if c.trained]
    short = {c.name: subject_shortfalls(planner.subjects(c), planner.options.folds) for c in trained}
    kept = [c for c in configs if not short.get(c.name)]
    not_run = {c.name: f"not run: {planner.subjects(c).line()}" for c in trained if short[c.name]}
    subject_lines = []
    if chosen:
        subject_lines = [f"{line}; leave {names} out of `configs`" for line, names in _by_shortfall(short)]
    elif trained and not any(c.trained for c in kept):  # the default selection, and nothing left to train
        subject_lines = [f"`source` {planner.source}: no configuration of the study can be trained:"]
        subject_lines += [line for line, _ in _by_shortfall(short)]
    search_path = planner.variables.get(TRAINER_PATH_VARIABLE, "")
    trainer_lines = trainer_problems({c.name: planner.trainer(c) for c in trained}, search_path)
    if subject_lines or trainer_lines:
        parameter = None if subject_lines and trainer_lines else "trainers" if trainer_lines else "configs"
        raise UsageError("\n".join([*subject_lines, *trainer_lines]), parameter)
    if any(c.name == "separate_models" for c in kept) and not any(c.is_lesion_config for c in kept):
        kept = [c for c in kept if c.name != "separate_models"]
        not_run["separate_models"] = "not run: no lesion configuration to take its lesions from"
    return kept, not_run


def _by_shortfall(shortfalls: dict[str, list[str]]) -> list[tuple[str, str]]:
    """``("`configs` flair, t1: 1 training subject(s) ...", "flair, t1")``: the configurations that fall short
    the same way in one line each, in their order."""
    names: dict[str, list[str]] = {}
    for name, problems in shortfalls.items():
        for problem in problems:
            names.setdefault(problem, []).append(name)
    return [(f"`configs` {', '.join(listed)}: {problem}", ", ".join(listed)) for problem, listed in names.items()]


def run_study(
    source: str | os.PathLike[str],
    out: str | os.PathLike[str],
    options: StudyOptions | None = None,
    run: RunOptions | None = None,
    *,
    dry_run: bool = False,
    on_step: Callable[[str], None] | None = None,
    **fields: Any,
) -> StudyResult:
    """Run the paper's comparison study on a cohort, or continue one.

    Parameters
    ----------
    source
        Anything ``convert`` reads, with a test split (or ``test_source`` in the options).
    out
        The study folder. A folder holding another study's steps is continued; one holding anything else is
        refused unless ``overwrite``.
    options
        What the study runs (:class:`~nnunet_wmh.study.options.StudyOptions`).
    run
        Jobs, device and overwrite (:class:`~nnunet_wmh.runs.options.RunOptions`): ``overwrite`` redoes finished
        steps whose options changed (and everything after them), or replaces a folder that is not a study.
    dry_run
        Write only ``commands.sh``.
    on_step
        Called with a one-line message as each step starts and ends (the CLI prints them).
    **fields
        Fields of ``options`` or ``run``, by name: ``run_study("cohort", "study", configs=["flair"], jobs=2)``.

    Raises
    ------
    UsageError
        Bad options, configurations the source does not allow, too few training subjects, no test subjects,
        trainers nnU-Net would not find: all before anything is written, in ``dry_run`` too.
    InvalidInputsError
        Subject or session ids that clash, or any image or label map a configuration will convert that cannot be
        read or is not valid (:func:`~nnunet_wmh.study.input_check.check_study_inputs`): all at once, before
        anything is written, in ``dry_run`` too.
    StudyConflictError
        Finished steps whose options changed, without ``overwrite`` (nothing is run).
    NnunetCommandError
        An nnU-Net command failed (the message names its log); finished steps stay recorded.
    SlurmError
        Jobs of a SLURM submission of this study are still queued or running.
    """
    clock = Stopwatch()
    options, run = resolve_options(StudyOptions, options, run, fields)
    plan = plan_study(source, out, options, run, here=not dry_run)
    check_plan_inputs(plan, run)
    out_path, overwrite = plan.out, run.overwrite
    new = not out_path.exists()
    prepare_study_folder(out_path, overwrite=overwrite)
    try:
        with folder_lock(out_path):
            if shutil.which("squeue"):
                check_not_running(out_path)
            tables = [*study_command(plan.planner.source, out_path, options, run), "--tables-only"]
            commands = write_commands(out_path / COMMANDS_SH, plan.steps, plan.variables, tables=tables)
            result = StudyResult(out_path, commands, [c.name for c in plan.configs], uses=plan.uses())
            if not dry_run:
                _run_and_report(result, plan, overwrite=overwrite, on_step=on_step)
    except BaseException:
        if new and not (out_path / STEPS_FOLDER).is_dir():  # failed before any step finished: leave nothing
            shutil.rmtree(out_path, ignore_errors=True)
        raise
    result.wall_seconds = clock.seconds
    return result


def _selected(plan: StudyPlan, keys: Sequence[str]) -> list[Step]:
    """The steps named by ``keys`` (in the study's order), after checking that the steps they wait for and
    that are not among them are finished."""
    by_key = {step.key: step for step in plan.steps}
    unknown = [k for k in keys if k not in by_key]
    if unknown:
        raise UsageError(
            f"`steps` {', '.join(unknown)}: not steps of this study; its steps are {', '.join(by_key)}", "steps"
        )
    chosen = [step for step in plan.steps if step.key in set(keys)]
    ledger = study_ledger(plan.out)
    waiting = sorted(
        {a.key for s in chosen for a in s.after if a.key not in set(keys) and not ledger.is_done(a.key, a.digest)}
    )
    if waiting:
        raise UsageError(f"`steps` {', '.join(keys)} wait for step(s) not finished: {', '.join(waiting)}", "steps")
    return chosen


def _existing_study(out: Path) -> None:
    if not ((out / COMMANDS_SH).is_file() or (out / STEPS_FOLDER).is_dir()):
        raise UsageError(f"`out` {out}: not a study folder (no {COMMANDS_SH}); start the study first", "out")


def run_study_steps(
    source: str | os.PathLike[str],
    out: str | os.PathLike[str],
    options: StudyOptions,
    steps: Sequence[str],
    run: RunOptions | None = None,
    *,
    on_step: Callable[[str], None] | None = None,
) -> dict[str, str]:
    """Run some steps of a study whose folder exists (what each SLURM job of ``study --slurm`` does).

    Steps already finished are skipped; the steps they wait for must be finished. The folder is not locked:
    steps of one study run side by side in separate jobs, each writing only its own outputs and record.

    Returns
    -------
    dict
        Step key → ``ran`` or ``done earlier``.

    Raises
    ------
    UsageError
        Unknown step keys, steps waited for and not finished, or a folder that is not a study.
    StudyConflictError
        A chosen step finished earlier with other options.
    NnunetCommandError
        An nnU-Net command failed.
    """
    plan = plan_study(source, out, options, run or RunOptions())
    _existing_study(plan.out)
    return run_steps(_selected(plan, steps), study_ledger(plan.out), on_step=on_step)


def finish_study(
    source: str | os.PathLike[str],
    out: str | os.PathLike[str],
    options: StudyOptions,
    run: RunOptions | None = None,
    *,
    on_step: Callable[[str], None] | None = None,
) -> StudyResult:
    """The tables, figures, study.json and index.html of a study whose steps are all finished (the last job of
    ``study --slurm``).

    Raises
    ------
    UsageError
        Steps not finished (named), or a folder that is not a study.
    """
    clock = Stopwatch()
    plan = plan_study(source, out, options, run or RunOptions())
    _existing_study(plan.out)
    ledger = study_ledger(plan.out)
    missing = [s.key for s in plan.steps if not ledger.is_done(s.key, s.digest)]
    if missing:
        listed = ", ".join(missing[:7]) + (f" and {len(missing) - 7} more" if len(missing) > 7 else "")
        raise UsageError(f"`out` {plan.out}: step(s) not finished: {listed}; run them first", "out")
    result = StudyResult(plan.out, plan.out / COMMANDS_SH, [c.name for c in plan.configs], uses=plan.uses())
    _run_and_report(result, plan, overwrite=False, on_step=on_step)
    result.wall_seconds = clock.seconds
    return result
