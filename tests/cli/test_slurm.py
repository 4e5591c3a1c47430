"""The SLURM flags on the command line and ``nnunet_wmh jobs`` (sbatch stand-in; the real scheduler is
tested end to end)."""

import argparse

import pytest

from nnunet_wmh.cli import main
from nnunet_wmh.cli.slurm import add_slurm_arguments, slurm_options
from nnunet_wmh.slurm.options import SlurmOptions
from tests.helpers.fake_slurm import FakeSlurm
from tests.helpers.models import write_model_folder

MODEL_JSON = {"channel_names": {"0": "FLAIR"}, "labels": {"background": 0, "wmh": 1},
              "nnunet_wmh": {"inputs": "flair", "channels": 1, "encoding": "lesion"}}  # fmt: skip


@pytest.fixture
def model(tmp_path):
    return str(write_model_folder(tmp_path / "models", MODEL_JSON))


def test_slurm_options_without_slurm_are_refused_by_their_flag(small_cohort_template, model, tmp_path, capsys):
    out = str(tmp_path / "out")
    assert main(["segment", str(small_cohort_template), "--model", model, "--out", out, "--slurm-mem", "8G"]) == 2
    assert "usage error: --slurm-mem needs --slurm" in capsys.readouterr().err
    assert main(["study", str(small_cohort_template), "--out", out, "--slurm", "--dry-run"]) == 2
    assert "--slurm and --dry-run do not go together" in capsys.readouterr().err
    assert main(["segment", str(small_cohort_template), "--model", model, "--out", out, "--slurm", "--part-id",
                 "1", "--num-parts", "2"]) == 2  # fmt: skip
    assert "leave out --part-id" in capsys.readouterr().err
    assert main(["segment", str(small_cohort_template), "--model", model, "--out", out, "--slurm", "--slurm-time",
                 "4 hours"]) == 2  # fmt: skip
    assert "usage error: --slurm-time '4 hours': expected minutes" in capsys.readouterr().err


def test_no_submit_writes_the_scripts_and_says_how_to_submit_them(small_cohort_template, model, tmp_path, capsys,
                                                                  monkeypatch):  # fmt: skip
    fake = FakeSlurm(tmp_path / "fake", monkeypatch)
    out = tmp_path / "out"
    assert main(["segment", str(small_cohort_template), "--model", model, "--out", str(out), "--slurm",
                 "--num-parts", "2", "--no-submit", "--slurm-setup", "module load cuda"]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "2 job(s) written (not submitted)" in printed and f"bash {out}/slurm/submit.sh" in printed
    assert fake.calls() == [] and "module load cuda" in (out / "slurm/segment.part.sbatch").read_text()
    assert main(["jobs", str(out)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["segment.part[0]", "-", "missing", "(scripts", "written,", "not", "submitted)"]
    assert lines[-1] == f"3 missing  ({out})"


def test_jobs_prints_each_task_with_its_state_and_the_log_of_a_failure(small_cohort_template, model, tmp_path,
                                                                        capsys, monkeypatch):  # fmt: skip
    fake = FakeSlurm(tmp_path / "fake", monkeypatch)
    out = tmp_path / "out"
    assert main(["segment", str(small_cohort_template), "--model", model, "--out", str(out), "--slurm",
                 "--num-parts", "2"]) == 0  # fmt: skip
    assert "job 101 tasks [0, 1]" in capsys.readouterr().out
    (out / "slurm/exit/segment.part_101_0").write_text("1\n")
    (out / "slurm/logs/segment.part_101_0.out").write_text("error\n")
    (out / "parts/part-1-of-2").mkdir(parents=True)
    (out / "parts/part-1-of-2/part.json").write_text("{}")
    fake.answer("squeue", "102|PENDING|Dependency\n")
    assert main(["jobs", str(out)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"segment.part[0]       101  failed (exit 1)  log: {out}/slurm/logs/segment.part_101_0.out"
    assert lines[1] == "segment.part[1]       101  done"
    assert lines[2] == "segment.merge         102  pending (Dependency)"
    assert lines[3] == f"1 done, 1 pending, 1 failed  ({out})"
    assert main(["jobs", str(tmp_path)]) == 2
    assert "no SLURM submission" in capsys.readouterr().err


def test_every_slurm_flag_reaches_its_option():
    parser = argparse.ArgumentParser()
    add_slurm_arguments(parser, gpu_jobs="the parts")
    args = parser.parse_args(["--slurm", "--slurm-partition", "c", "--slurm-gpu-partition", "g", "--slurm-gres",
                              "gpu:2", "--slurm-cpus", "4", "--slurm-mem", "8G", "--slurm-time", "1:00:00",
                              "--slurm-account", "lab", "--slurm-extra=--qos=high", "--slurm-setup", "module load x",
                              "--slurm-setup", "source venv/bin/activate", "--no-submit"])  # fmt: skip
    assert slurm_options(args) == SlurmOptions("c", "g", "gpu:2", 4, "8G", "1:00:00", "lab", ("--qos=high",),
                                               ("module load x", "source venv/bin/activate"), False)  # fmt: skip
    assert slurm_options(parser.parse_args([])) == SlurmOptions()
