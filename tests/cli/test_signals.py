"""SIGTERM (a scheduler's time limit, scancel, kill) stops a command as Ctrl-C does: one line, exit 143, no
traceback, the outputs as they were, no scratch folder and no worker process left behind."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from nnunet_wmh.cli import main
from nnunet_wmh.cli.formatting import EXIT_INTERRUPTED
from nnunet_wmh.cli.signals import EXIT_TERMINATED, Terminated, sigterm_as_interrupt, stopped_by

CONSOLE_SCRIPT = Path(sys.executable).parent / "nnunet_wmh"
STOPPED = "nnunet_wmh: stopped: terminated (SIGTERM); the outputs are as they were before this run\n"


def test_inside_the_block_sigterm_raises_an_interrupt_and_afterwards_the_handler_is_as_before():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated), sigterm_as_interrupt():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler runs at once; never reached
    assert signal.getsignal(signal.SIGTERM) is before
    assert issubclass(Terminated, KeyboardInterrupt)  # every cleanup written for Ctrl-C runs for SIGTERM too


def test_sigterm_exits_143_and_ctrl_c_130_each_with_its_words():
    assert stopped_by(Terminated()) == ("terminated (SIGTERM)", 143) == ("terminated (SIGTERM)", EXIT_TERMINATED)
    assert stopped_by(KeyboardInterrupt()) == ("interrupted", EXIT_INTERRUPTED)


def test_a_command_sent_sigterm_returns_143_with_one_line(tmp_path, monkeypatch, capsys):
    def terminated(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)

    monkeypatch.setattr("nnunet_wmh.synthetic.cohort.make_synthetic_cohort", terminated)
    before = signal.getsignal(signal.SIGTERM)
    assert main(["synth", "--out", str(tmp_path / "cohort"), "--subjects", "1"]) == EXIT_TERMINATED
    assert capsys.readouterr().err == STOPPED
    assert signal.getsignal(signal.SIGTERM) is before


def _children(pid: int) -> list[int]:
    """The processes ``pid`` started (Linux: /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def _left_running(group: int) -> bool:
    """Whether a process of the group is left (one that ended but is not reaped yet counts as left)."""
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def _stop_with_sigterm(command: list[str], folder: Path, scratch: Path, ready) -> tuple[int, str, str, bool]:
    """Run ``command`` in its own process group with ``TMPDIR`` set to ``scratch``, send it SIGTERM once
    ``ready(pid)``, and wait for it; returns its exit code, stdout, stderr and whether a process it started was
    left running (any left is killed)."""
    stdout, stderr = folder / "stdout.txt", folder / "stderr.txt"
    with stdout.open("w") as out, stderr.open("w") as err:
        process = subprocess.Popen(command, env={**os.environ, "TMPDIR": str(scratch)}, stdout=out, stderr=err,
                                   start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not ready(process.pid) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert process.poll() is None, f"the command ended (exit {process.returncode}) before it was stopped"
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        time.sleep(0.2)  # for the system to reap a worker that outlived the command, were there one
        left = _left_running(process.pid)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    return process.returncode, stdout.read_text(), stderr.read_text(), left


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_synth_with_two_workers_stopped_by_sigterm_leaves_nothing_and_no_process(tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    out = tmp_path / "runs" / "cohort"
    out.parent.mkdir()
    command = [str(CONSOLE_SCRIPT), "synth", "--out", str(out), "--subjects", "40", "--jobs", "2", "-q"]
    started: list[float] = []

    def writing(pid: int) -> bool:  # a second after the workers started writing subjects into the partial folder
        if not started and any(out.parent.iterdir()) and len(_children(pid)) >= 2:
            started.append(time.monotonic())
        return bool(started) and time.monotonic() > started[0] + 1

    code, stdout, stderr, left = _stop_with_sigterm(command, tmp_path, scratch, writing)
    assert (code, stderr, stdout, left) == (EXIT_TERMINATED, STOPPED, "", False)
    assert list(out.parent.iterdir()) == []  # no output, no partial folder
    assert list(scratch.iterdir()) == []


#: ``python DRIVER MARKERS nnunet_wmh-arguments...``: the command line's ``segment`` with a model that loads
#: nothing and a subject preparation that writes its process id into MARKERS, then waits to be stopped.
SEGMENT_DRIVER = """
import os, sys, time
from pathlib import Path

import nnunet_wmh.segment.run as segment_run
from nnunet_wmh.cli.main import main


def waiting_preparation(route, folder, regions):
    (Path(sys.argv[1]) / str(os.getpid())).write_text(route.case)
    time.sleep(300)


class NoModel:
    def __init__(self, *args, **kwargs):
        pass


if __name__ == "__main__":
    segment_run.prepare_subject = waiting_preparation
    segment_run.ModelRunner = NoModel
    segment_run._region_source = lambda *args: None
    sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize("jobs", [1, 2])
def test_segment_stopped_by_sigterm_removes_its_scratch_and_work_folders_and_its_workers(
    small_cohort, model, tmp_path, jobs
):
    driver, markers, scratch = tmp_path / "driver.py", tmp_path / "markers", tmp_path / "tmp"
    driver.write_text(textwrap.dedent(SEGMENT_DRIVER))
    markers.mkdir()
    scratch.mkdir()
    out = tmp_path / "segmented"
    command = [sys.executable, str(driver), str(markers), "segment", str(small_cohort), "--model", model, "--out",
               str(out), "--device", "cpu", "--jobs", str(jobs), "-q"]  # fmt: skip
    scratch_while_running = []

    def preparing(pid: int) -> bool:
        scratch_while_running[:] = [p.name for p in scratch.glob("nnunet_wmh_segment_*")]
        return len(list(markers.iterdir())) >= jobs

    code, stdout, stderr, left = _stop_with_sigterm(command, tmp_path, scratch, preparing)
    assert (code, stderr, stdout, left) == (EXIT_TERMINATED, STOPPED, "", False)
    assert len(scratch_while_running) == 1  # the run's scratch folder, while it ran
    assert list(scratch.glob("nnunet_wmh_*")) == []
    assert not out.exists() and not out.with_name(f"{out.name}.partial").exists()
    pids = {int(marker.name) for marker in markers.iterdir()}
    assert len(pids) == jobs  # with two jobs, the subjects were being prepared in two worker processes


def test_study_sent_sigterm_keeps_its_finished_steps_and_says_so(tmp_path, monkeypatch, capsys):
    def terminated(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)

    monkeypatch.setattr("nnunet_wmh.study.run.run_study", terminated)
    assert main(["study", str(tmp_path / "cohort"), "--out", str(tmp_path / "study"), "-q"]) == EXIT_TERMINATED
    assert capsys.readouterr().err == (
        "nnunet_wmh: stopped: terminated (SIGTERM); finished steps are kept; rerun the same command to continue\n"
    )
