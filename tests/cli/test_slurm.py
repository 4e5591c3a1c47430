"""The SLURM flags on the command line (sbatch stand-in; the real scheduler is tested end to end)."""

import argparse

from nnunet_wmh.cli import main
from nnunet_wmh.cli.slurm import add_slurm_arguments, slurm_options
from nnunet_wmh.slurm.options import SlurmOptions
from tests.helpers.fake_slurm import FakeSlurm


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
