"""``nnunet_wmh jobs``: each job and task with its state, after ``segment --slurm`` (sbatch stand-in)."""

from nnunet_wmh.cli import main
from nnunet_wmh.cli.jobs import EXIT_NOT_DONE
from tests.helpers.fake_slurm import FakeSlurm


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
    assert main(["jobs", str(out)]) == EXIT_NOT_DONE
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"segment.part[0]       101  failed (exit 1)  log: {out}/slurm/logs/segment.part_101_0.out"
    assert lines[1] == "segment.part[1]       101  done"
    assert lines[2] == "segment.merge         102  pending (Dependency)"
    assert lines[3] == f"1 done, 1 pending, 1 failed  ({out})"
    assert main(["jobs", str(tmp_path)]) == 2
    assert "no SLURM submission" in capsys.readouterr().err


def test_without_squeue_the_hint_names_no_query(tmp_path, monkeypatch, capsys):
    """The files of a submission are there but SLURM is not: the one-line error says which flag reads them."""
    import json

    from nnunet_wmh.cli import main

    (tmp_path / "slurm").mkdir()
    job = {"name": "seg.part", "title": "parts", "script": "s.sh", "log": "s.out", "gpu": False, "after": [],
           "after_any": False, "done": [], "job_id": "101"}  # fmt: skip
    record = {"kind": "segment", "fingerprint": [], "jobs": [job], "submitted": True, "written": "2026-12-05"}
    (tmp_path / "slurm" / "submission.json").write_text(json.dumps(record))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert main(["jobs", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "squeue not found on PATH" in err and "(--no-query)" in err and "False" not in err
