"""sbatch scripts: the text a person reads, and what bash does with it (exit records, the task id)."""

import os
import subprocess
from pathlib import Path

from nnunet_wmh.slurm.options import SlurmOptions
from nnunet_wmh.slurm.scripts import TASK_ID, JobSpec, array_range, render_script, shell_command


def _job(**changes) -> JobSpec:
    fields = {
        "name": "segment.part",
        "title": "segment the part",
        "cpus": 2,
        "steps": [("part of 3", ["/venv/bin/nnunet_wmh", "segment", "/data/my cohort", "--part-id", TASK_ID])],
    }
    return JobSpec(**{**fields, **changes})  # fmt: skip


def test_array_ranges_are_written_as_sbatch_takes_them():
    assert array_range([0, 1, 2]) == "0-2"
    assert array_range([2, 0]) == "0,2"
    assert array_range([0, 1, 2, 3, 7, 9, 10]) == "0-3,7,9-10"


def test_the_task_id_is_expanded_by_the_shell_and_everything_else_is_quoted():
    line = shell_command(["nnunet_wmh", "segment", "/data/my cohort", "--part-id", TASK_ID])
    assert line == "nnunet_wmh segment '/data/my cohort' --part-id \"$SLURM_ARRAY_TASK_ID\""


def test_a_script_reads_top_down_resources_log_setup_environment_commands(tmp_path):
    options = SlurmOptions(partition="cpu", gpu_partition="gpu", gres="gpu:1", mem="8G", setup=("module load cuda",))
    text = render_script(_job(array=[0, 2], gpu=True), options, tmp_path / "slurm",
                         {"nnUNet_extTrainer": "/a b/trainers"}, what="nnunet_wmh segment into /out")  # fmt: skip
    lines = text.splitlines()
    assert lines[:7] == [
        "#!/bin/bash", "#SBATCH --job-name=segment.part", f"#SBATCH --output={tmp_path}/slurm/logs/%x_%A_%a.out",
        "#SBATCH --array=0,2", "#SBATCH --partition=gpu", "#SBATCH --cpus-per-task=2", "#SBATCH --mem=8G",
    ]  # fmt: skip
    assert "#SBATCH --gres=gpu:1" in lines
    assert "# nnunet_wmh segment into /out: segment the part" in lines
    order = [lines.index(line) for line in ("set -euo pipefail", "module load cuda",
             "export nnUNet_extTrainer='/a b/trainers'", "# part of 3")]  # fmt: skip
    assert order == sorted(order)
    assert lines[-1] == "/venv/bin/nnunet_wmh segment '/data/my cohort' --part-id \"$SLURM_ARRAY_TASK_ID\""


def test_a_single_job_logs_to_name_and_job_id(tmp_path):
    text = render_script(_job(name="segment.merge"), SlurmOptions(), tmp_path, {}, what="run")
    assert f"#SBATCH --output={tmp_path}/logs/%x_%j.out" in text and "--array" not in text


def _run_as_slurm(script: Path, **variables: str) -> int:
    environment = {**os.environ, **variables}
    return subprocess.run(["bash", str(script)], env=environment, capture_output=True).returncode


def test_the_script_records_its_exit_status_for_jobs(tmp_path):
    folder = tmp_path / "slurm"
    (folder / "exit").mkdir(parents=True)
    for name, command, expected in (("ok.job", ["true"], 0), ("bad.job", ["sh", "-c", "exit 3"], 3)):
        job = JobSpec(name, "a step", [("the step", command)], array=[4])
        script = tmp_path / f"{name}.sbatch"
        script.write_text(render_script(job, SlurmOptions(setup=("echo set-up",)), folder, {"X": "1"}, what="t"))
        code = _run_as_slurm(script, SLURM_ARRAY_JOB_ID="77", SLURM_JOB_ID="78", SLURM_ARRAY_TASK_ID="4")
        assert code == expected
        assert (folder / "exit" / f"{name}_77_4").read_text().strip() == str(expected)
    single = tmp_path / "single.sbatch"
    single.write_text(render_script(JobSpec("one", "t", [("s", ["true"])]), SlurmOptions(), folder, {}, what="t"))
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    assert subprocess.run(["bash", str(single)], env={**environment, "SLURM_JOB_ID": "90"}).returncode == 0
    assert (folder / "exit" / "one_90_none").read_text().strip() == "0"


def test_a_failing_setup_line_stops_the_job_before_its_commands(tmp_path):
    folder = tmp_path / "slurm"
    (folder / "exit").mkdir(parents=True)
    marker = tmp_path / "ran"
    job = JobSpec("setup.fails", "t", [("s", ["touch", str(marker)])])
    script = tmp_path / "job.sbatch"
    script.write_text(render_script(job, SlurmOptions(setup=("module_that_does_not_exist load x",)), folder, {},
                                    what="t"))  # fmt: skip
    assert _run_as_slurm(script, SLURM_JOB_ID="5") == 127
    assert not marker.exists() and (folder / "exit" / "setup.fails_5_none").read_text().strip() == "127"
