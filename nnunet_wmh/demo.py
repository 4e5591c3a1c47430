"""``nnunet_wmh demo``: the whole pipeline on built-in synthetic data, on this machine, in one call.

Stages: synthetic cohort (training and test subjects, with the template they were made from) → atlas
regions by registration → ``convert`` (interchangeable, and multitask with the registered regions) →
``nnUNetv2_plan_and_preprocess`` → a short ``nnUNetv2_train`` (2-D configuration) with the modality-dropout
trainer →
``nnUNetv2_predict -f 0`` on the test subjects as FLAIR + T1, FLAIR only and T1 only → ``evaluate`` →
``report``. The nnU-Net steps run nnU-Net's own commands as subprocesses (their output goes to
``OUT/logs``); everything lives in ``OUT`` (nnU-Net's three folders included), nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnunet_wmh.errors import NnunetWmhError, UsageError
from nnunet_wmh.tables import read_tsv

INTERCHANGEABLE_ID, MULTITASK_ID = 901, 902
#: nnU-Net configuration of the demo: 2-D learns within minutes on a CPU; the 3-D one needs far longer.
CONFIGURATION = "2d"


class DemoStageError(NnunetWmhError):
    """A stage of the demo failed; the message names the stage and its log file."""


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


def _command(name: str) -> str:
    beside = Path(sys.executable).with_name(name)
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise UsageError(f"{name} not found; is nnunetv2 installed in this environment?")
    return found


def _environment(out: Path, jobs: int) -> dict[str, str]:
    from nnunet_wmh.trainers import trainers_path

    return {
        **os.environ,
        "nnUNet_raw": str(out / "nnUNet_raw"),
        "nnUNet_preprocessed": str(out / "nnUNet_preprocessed"),
        "nnUNet_results": str(out / "nnUNet_results"),
        "nnUNet_extTrainer": str(trainers_path()),
        "nnUNet_def_n_proc": str(jobs),
        "nnUNet_n_proc_DA": str(max(1, jobs - 1)),
        "nnUNet_compile": "false",
    }


def _run(stage: str, command: list[str], environment: dict[str, str], logs: Path) -> None:
    log = logs / f"{stage}.log"
    with log.open("w") as handle:
        handle.write("$ " + " ".join(command) + "\n")
        handle.flush()
        completed = subprocess.run(command, env=environment, stdout=handle, stderr=subprocess.STDOUT, check=False)
    if completed.returncode != 0:
        tail = "\n".join(log.read_text().splitlines()[-15:])
        raise DemoStageError(f"stage {stage} failed (exit {completed.returncode}); see {log}:\n{tail}")


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def run_demo(
    out: str | os.PathLike[str],
    *,
    quick: bool = False,
    overwrite: bool = False,
    jobs: int = 2,
    on_stage: Callable[[str], None] | None = None,
) -> DemoResult:
    """Run the whole pipeline on synthetic data in ``out``.

    Parameters
    ----------
    out
        Demo folder; refused if it is not empty, unless ``overwrite``.
    quick
        6 training and 3 test subjects, 10 epochs × 30 iterations (default: 10 and 5, 20 × 40).
    overwrite
        Replace an existing demo folder.
    jobs
        Worker processes for the steps that use them.
    on_stage
        Called with a one-line message when each stage starts and ends (the CLI prints them).

    Raises
    ------
    UsageError
        An existing folder, or nnU-Net's commands not found.
    DemoStageError
        A stage that failed (with its log).
    """
    from nnunet_wmh.dataset_conversion import convert_dataset
    from nnunet_wmh.evaluation.evaluate import evaluate_folder, write_evaluation
    from nnunet_wmh.registration.atlas import load_atlas, register_atlas_to_cohort
    from nnunet_wmh.report.run import make_report
    from nnunet_wmh.synthetic import make_synthetic_cohort

    out = Path(out).absolute()
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise UsageError(f"{out} is not empty; pass --overwrite to run the demo there again")
        shutil.rmtree(out)
    plan = PLANS["quick" if quick else "default"]
    commands = {name: _command(name) for name in ("nnUNetv2_plan_and_preprocess", "nnUNetv2_train", "nnUNetv2_predict")}
    logs = out / "logs"
    logs.mkdir(parents=True)
    environment = _environment(out, jobs)
    result = DemoResult(out=out, device=_device())
    say = on_stage or (lambda message: None)
    total = 8

    def stage(number: int, name: str, action: Callable[[], Any]) -> Any:
        say(f"[{number}/{total}] {name} ...")
        started = time.perf_counter()
        value = action()
        result.seconds[name] = time.perf_counter() - started
        say(f"[{number}/{total}] {name}: done in {result.seconds[name]:.0f} s")
        return value

    cohort = out / "cohort"
    stage(
        1,
        f"synthetic cohort ({plan.train_subjects} training, {plan.test_subjects} test subjects)",
        lambda: make_synthetic_cohort(
            cohort,
            subjects=plan.train_subjects,
            test_subjects=plan.test_subjects,
            size="small",
            seed=2017,
            jobs=jobs,
            progress=False,
        ),
    )
    template = cohort / "template"
    atlas = load_atlas(template / "template_T1w.nii.gz", template / "template_regions.nii.gz", template / "regions.tsv")
    regions = stage(
        2,
        "atlas regions by registration",
        lambda: register_atlas_to_cohort(atlas, cohort, out / "regions", jobs=jobs, progress=False),
    )
    raw = out / "nnUNet_raw"

    def convert() -> Path:
        common = {"out": raw, "preprocessed": out / "nnUNet_preprocessed", "results": out / "nnUNet_results"}
        convert_dataset(
            cohort,
            mode="multitask",
            dataset_id=MULTITASK_ID,
            regions=str(regions.out_dir),
            region_table=regions.region_table,
            jobs=jobs,
            progress=False,
            **common,
        )
        return convert_dataset(
            cohort, mode="interchangeable", dataset_id=INTERCHANGEABLE_ID, jobs=jobs, progress=False, **common
        ).dataset_dir

    dataset = stage(3, "convert (interchangeable and multitask)", convert)
    dataset_id = str(INTERCHANGEABLE_ID)
    stage(
        4,
        "nnUNetv2_plan_and_preprocess",
        lambda: _run(
            "plan_and_preprocess",
            [commands["nnUNetv2_plan_and_preprocess"], "-d", dataset_id, "-c", CONFIGURATION,
             "--verify_dataset_integrity", "-npfp", str(jobs), "-np", str(jobs)],
            environment,
            logs,
        ),
    )  # fmt: skip
    stage(
        5,
        f"nnUNetv2_train ({CONFIGURATION}, {plan.trainer}, {result.device})",
        lambda: _run(
            "train",
            [commands["nnUNetv2_train"], dataset_id, CONFIGURATION, "0", "-tr", plan.trainer, "-device", result.device],
            environment,
            logs,
        ),
    )
    predictions = out / "predictions"
    stage(
        6,
        "nnUNetv2_predict -f 0 (FLAIR + T1, FLAIR only, T1 only)",
        lambda: _run(
            "predict",
            [commands["nnUNetv2_predict"], "-i", str(dataset / "imagesTs"), "-o", str(predictions), "-d", dataset_id,
             "-c", CONFIGURATION, "-f", "0", "-tr", plan.trainer, "-device", result.device, "-npp", "1", "-nps", "1",
             "--disable_tta", "--disable_progress_bar"],
            environment,
            logs,
        ),
    )  # fmt: skip

    def evaluate() -> None:
        evaluation = evaluate_folder(
            predictions,
            dataset / "labelsTs",
            dataset_json=dataset / "dataset.json",
            conversion_tsv=dataset / "conversion.tsv",
            jobs=jobs,
            progress=False,
        )
        write_evaluation(evaluation, out / "evaluation" / "metrics.tsv")
        for row in evaluation.summary_rows():
            if row["grouping"] == "variant":
                result.dice_by_variant[row["variant"]] = row["dice_mean"]

    stage(7, "evaluate", evaluate)

    def report() -> None:
        # per-subject maps found through conversion.tsv: the atlas regions of stage 2 and the phantom's
        # anatomy (FreeSurfer-style labels: lateral ventricles 4 / 43, and the intracranial volume)
        anatomy = str(cohort / "test" / "{site}" / "{subject}" / "aseg.nii.gz")
        made = make_report(
            predictions,
            out / "report",
            regions=str(regions.out_dir / "{site}" / "{subject}" / "regions.nii.gz"),
            region_table=regions.region_table,
            conversion_tsv=dataset / "conversion.tsv",
            images=dataset / "imagesTs",
            ventricles=anatomy,
            brain_mask=anatomy,
            jobs=jobs,
            progress=False,
        )
        result.report_index = made.files.get("index.html")
        rows = read_tsv(out / "report" / "regions.tsv")
        result.subject = next(r["case"] for r in rows if r["case"].endswith("_paired"))
        result.subject_burden = [r for r in rows if r["case"] == result.subject]

    stage(8, "report", report)
    summary = {
        "dice_by_variant": result.dice_by_variant,
        "seconds": result.seconds,
        "device": result.device,
        "quick": quick,
        "report": str(result.report_index),
    }
    (out / "demo.json").write_text(json.dumps(summary, indent=2) + "\n")
    return result
