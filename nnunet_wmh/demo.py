"""``nnunet_wmh demo``: the whole pipeline on built-in synthetic data, on this machine, in one call.

:data:`STAGES`, in order: synthetic cohort (training and test subjects, brain-shaped: drawn from the MNI152
template, ``synth --anatomy mni152``) → the built-in atlas's regions by registration (what ``segment`` does on
real scans) → ``convert`` (interchangeable, and multitask with the registered
regions) → ``nnUNetv2_plan_and_preprocess`` → a short ``nnUNetv2_train`` (2-D configuration) with the
modality-dropout trainer → ``nnUNetv2_predict -f 0`` on the test subjects as FLAIR + T1, FLAIR only and T1 only
→ ``evaluate`` → ``report``. The nnU-Net steps run nnU-Net's own commands as subprocesses (their output goes
to ``OUT/logs``); everything lives in ``OUT`` (nnU-Net's three folders included), nothing is downloaded.

``OUT`` is built in place (nnU-Net's files record where they are): until the demo ends it holds a marker
file, a failed demo is removed and a previous demo put back, and a later run cleans up after a killed one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnunet_wmh.dataset_conversion.convert import convert_dataset
from nnunet_wmh.dataset_conversion.options import ConvertOptions
from nnunet_wmh.errors import NnunetWmhError
from nnunet_wmh.evaluation.files import evaluate_to_files
from nnunet_wmh.nnunet.commands import NNUNET_COMMANDS, NnunetCommandError, find_command, run_logged
from nnunet_wmh.nnunet.device import torch_device
from nnunet_wmh.nnunet.folders import NnunetFolders
from nnunet_wmh.registration.builtin_atlas import load_builtin_atlas
from nnunet_wmh.registration.cohort_regions import register_atlas_to_cohort
from nnunet_wmh.report.run import make_report
from nnunet_wmh.runs.options import RunOptions, resolve_options
from nnunet_wmh.runs.outputs import output_folder_in_place
from nnunet_wmh.runs.summary import RunSummary
from nnunet_wmh.synthetic import make_synthetic_cohort
from nnunet_wmh.tsv import read_tsv

INTERCHANGEABLE_ID, MULTITASK_ID = 901, 902
#: nnU-Net configuration of the demo: 2-D learns within minutes on a CPU; the 3-D one needs far longer.
CONFIGURATION = "2d"


class DemoStageError(NnunetWmhError):
    """A stage of the demo failed; the message names the stage and its log file."""


@dataclass(frozen=True)
class DemoOptions:
    """What the demo runs.

    Attributes
    ----------
    quick
        6 training and 3 test subjects, 10 epochs × 30 iterations (default: 10 and 5, 20 × 40).
    """

    quick: bool = False


@dataclass(frozen=True)
class DemoPlan:
    """Sizes of a demo run."""

    train_subjects: int
    test_subjects: int
    trainer: str


PLANS = {
    "quick": DemoPlan(train_subjects=6, test_subjects=3, trainer="nnUNetTrainerModalityDropout_demoQuick"),
    "default": DemoPlan(train_subjects=10, test_subjects=5, trainer="nnUNetTrainerModalityDropout_demo"),
}


@dataclass
class DemoResult:
    """What the demo made.

    Attributes
    ----------
    out
        The demo folder.
    dice_by_variant
        Mean Dice per input variant (``paired``, ``flair_only``, ``t1_only``) on the test subjects.
    subject_burden
        Rows of regions.tsv of one subject (paired input): region name, lesion volume (mL), lesion count.
    subject
        That subject's case id.
    report_index
        ``OUT/report/index.html``.
    seconds
        Wall time per stage.
    device
        ``cpu`` or ``cuda``.
    """

    out: Path
    dice_by_variant: dict[str, float] = field(default_factory=dict)
    subject_burden: list[dict[str, str]] = field(default_factory=list)
    subject: str = ""
    report_index: Path | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    device: str = "cpu"

    @property
    def run_summary(self) -> RunSummary:
        """What the demo did: its stages, and how long they took."""
        return RunSummary("demo", self.out, len(self.seconds), "stage", seconds=sum(self.seconds.values()))


@dataclass
class DemoRun:
    """What the stages share: the folder, the sizes, nnU-Net's commands and environment, and the results."""

    out: Path
    plan: DemoPlan
    jobs: int
    commands: dict[str, str]
    environment: dict[str, str]
    result: DemoResult
    made: dict[str, Any] = field(default_factory=dict)

    @property
    def dataset(self) -> Path:
        """The interchangeable dataset's raw folder."""
        return self.made["dataset"]

    def run_nnunet(self, stage: str, command: str, *arguments: str) -> None:
        """Run one of nnU-Net's commands, its output in ``OUT/logs/STAGE.log``.

        Raises
        ------
        DemoStageError
            If it fails (the message names a copy of the log kept outside the demo folder, which is rolled
            back, and shows its last lines).
        """
        log = self.out / "logs" / f"{stage}.log"
        try:
            run_logged(f"stage {stage}", [self.commands[command], *arguments], self.environment, log)
        except NnunetCommandError as exc:
            kept = Path(tempfile.mkdtemp(prefix="nnunet_wmh_demo_")) / log.name
            shutil.copyfile(log, kept)
            raise DemoStageError(f"stage {stage} failed (exit {exc.returncode}); see {kept}:\n{exc.tail}") from None


def _synthesize(run: DemoRun) -> None:
    make_synthetic_cohort(
        run.out / "cohort", subjects=run.plan.train_subjects, test_subjects=run.plan.test_subjects, size="small",
        anatomy="mni152", seed=2017, jobs=run.jobs, progress=False,
    )  # fmt: skip


def _register_regions(run: DemoRun) -> None:
    # the built-in atlas, as segment uses it on real scans: the brain-shaped phantoms are drawn from its template
    atlas = load_builtin_atlas(run.out / "atlas")
    run.made["regions"] = register_atlas_to_cohort(
        atlas, run.out / "cohort", run.out / "regions", jobs=run.jobs, progress=False
    )


def _convert(run: DemoRun) -> None:
    regions = run.made["regions"]
    nnunet = NnunetFolders.inside(run.out)
    folders = {"out": str(nnunet.raw), "preprocessed": str(nnunet.preprocessed), "results": str(nnunet.results)}
    multitask = ConvertOptions(mode="multitask", dataset_id=MULTITASK_ID, **folders)
    convert_dataset(
        run.out / "cohort", multitask, regions=str(regions.out_dir), region_table=str(regions.region_table),
        jobs=run.jobs, progress=False,
    )  # fmt: skip
    interchangeable = ConvertOptions(mode="interchangeable", dataset_id=INTERCHANGEABLE_ID, **folders)
    converted = convert_dataset(run.out / "cohort", interchangeable, jobs=run.jobs, progress=False)
    run.made["dataset"] = converted.dataset_dir


def _plan_and_preprocess(run: DemoRun) -> None:
    run.run_nnunet(
        "plan_and_preprocess", "nnUNetv2_plan_and_preprocess", "-d", str(INTERCHANGEABLE_ID), "-c", CONFIGURATION,
        "--verify_dataset_integrity", "-npfp", str(run.jobs), "-np", str(run.jobs),
    )  # fmt: skip


def _train(run: DemoRun) -> None:
    run.run_nnunet(
        "train", "nnUNetv2_train", str(INTERCHANGEABLE_ID), CONFIGURATION, "0", "-tr", run.plan.trainer,
        "-device", run.result.device,
    )  # fmt: skip


def _predict(run: DemoRun) -> None:
    run.run_nnunet(
        "predict", "nnUNetv2_predict", "-i", str(run.dataset / "imagesTs"), "-o", str(run.out / "predictions"),
        "-d", str(INTERCHANGEABLE_ID), "-c", CONFIGURATION, "-f", "0", "-tr", run.plan.trainer,
        "-device", run.result.device, "-npp", "1", "-nps", "1", "--disable_tta", "--disable_progress_bar",
    )  # fmt: skip


def _evaluate(run: DemoRun) -> None:
    evaluation, _ = evaluate_to_files(
        run.out / "predictions", run.dataset / "labelsTs", run.out / "evaluation",
        dataset_json=run.dataset / "dataset.json", conversion_tsv=run.dataset / "conversion.tsv", jobs=run.jobs,
        progress=False,
    )  # fmt: skip
    for row in evaluation.summary_rows():
        if row["grouping"] == "variant":
            run.result.dice_by_variant[row["variant"]] = row["dice_mean"]


def _report(run: DemoRun) -> None:
    # per-subject maps found through conversion.tsv: the atlas regions of stage 2 and the phantom's anatomy
    # (FreeSurfer-style labels: lateral ventricles 4 / 43, and the intracranial volume)
    regions = run.made["regions"]
    anatomy = str(run.out / "cohort" / "test" / "{site}" / "{subject}" / "aseg.nii.gz")
    made = make_report(
        run.out / "predictions", run.out / "report", regions=str(regions.out_dir / "{site}" / "{subject}" /
        "regions.nii.gz"), region_table=regions.region_table, conversion_tsv=run.dataset / "conversion.tsv",
        images=run.dataset / "imagesTs", ventricles=anatomy, brain_mask=anatomy, jobs=run.jobs, progress=False,
    )  # fmt: skip
    run.result.report_index = made.files.get("index.html")
    rows = read_tsv(run.out / "report" / "regions.tsv")
    run.result.subject = next(r["case"] for r in rows if r["case"].endswith("_paired"))
    run.result.subject_burden = [r for r in rows if r["case"] == run.result.subject]


#: The demo's stages: a name (with ``{train}``, ``{test}``, ``{trainer}``, ``{device}`` filled in) and a step.
STAGES: tuple[tuple[str, Callable[[DemoRun], None]], ...] = (
    ("synthetic cohort ({train} training, {test} test subjects)", _synthesize),
    ("atlas regions by registration", _register_regions),
    ("convert (interchangeable and multitask)", _convert),
    ("nnUNetv2_plan_and_preprocess", _plan_and_preprocess),
    (f"nnUNetv2_train ({CONFIGURATION}, {{trainer}}, {{device}})", _train),
    ("nnUNetv2_predict -f 0 (FLAIR + T1, FLAIR only, T1 only)", _predict),
    ("evaluate", _evaluate),
    ("report", _report),
)


def run_demo(
    out: str | os.PathLike[str],
    options: DemoOptions | None = None,
    run: RunOptions | None = None,
    *,
    on_stage: Callable[[str], None] | None = None,
    **fields: Any,
) -> DemoResult:
    """Run the whole pipeline on synthetic data in ``out``.

    Parameters
    ----------
    out
        Demo folder; refused if it exists, unless ``overwrite`` (the previous demo is kept until the new one
        is complete).
    options
        :class:`DemoOptions` (``quick``).
    run
        Jobs (for the steps that use them), overwrite and device (:class:`~nnunet_wmh.runs.options.RunOptions`).
    on_stage
        Called with a one-line message when each stage starts and ends (the CLI prints them).
    **fields
        Fields of either, by name: ``run_demo("demo", quick=True, jobs=2)``.

    Raises
    ------
    OutputExistsError
        An existing folder, without ``overwrite``.
    UsageError
        nnU-Net's commands not found.
    DemoStageError
        A stage that failed (with its log).
    """
    options, run_options = resolve_options(DemoOptions, options, run, fields)
    run_options.check(device=True)
    commands = {name: find_command(name) for name in NNUNET_COMMANDS}
    plan = PLANS["quick" if options.quick else "default"]
    say = on_stage or (lambda message: None)
    jobs = run_options.jobs
    with output_folder_in_place(out, overwrite=run_options.overwrite) as folder:
        (folder / "logs").mkdir()
        run = DemoRun(
            folder,
            plan,
            jobs,
            commands,
            NnunetFolders.inside(folder).environment(jobs=jobs),
            DemoResult(out=folder, device=torch_device(run_options.device)),
        )
        names = {"train": plan.train_subjects, "test": plan.test_subjects, "trainer": plan.trainer}
        for number, (title, step) in enumerate(STAGES, start=1):
            name = title.format(**names, device=run.result.device)
            say(f"[{number}/{len(STAGES)}] {name} ...")
            started = time.perf_counter()
            step(run)
            run.result.seconds[name] = time.perf_counter() - started
            say(f"[{number}/{len(STAGES)}] {name}: done in {run.result.seconds[name]:.0f} s")
        summary = {
            "dice_by_variant": run.result.dice_by_variant,
            "seconds": run.result.seconds,
            "device": run.result.device,
            "quick": options.quick,
            "report": str(run.result.report_index),
        }
        (folder / "demo.json").write_text(json.dumps(summary, indent=2) + "\n")
    return run.result
