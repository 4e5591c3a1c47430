"""nnU-Net's commands: where they are found, a failing command's log, an interrupted command stopped whole."""

import signal
import sys
import time
from pathlib import Path

import pytest

from nnunet_wmh.errors import UsageError
from nnunet_wmh.nnunet.commands import NnunetCommandError, find_command, run_logged


def test_commands_are_found_beside_this_python_or_refused_by_name():
    assert find_command("nnUNetv2_train").endswith("nnUNetv2_train")
    with pytest.raises(UsageError, match="nnUNetv2_nothing not found; is nnunetv2 installed"):
        find_command("nnUNetv2_nothing")


def test_a_failing_command_names_its_step_exit_status_and_log_with_its_end(tmp_path):
    log = tmp_path / "logs" / "x.log"
    script = "import os, sys; print('line one'); print(os.environ['nnUNet_raw']); sys.exit(3)"
    with pytest.raises(NnunetCommandError, match=r"flair: train failed \(exit 3\); see .*x\.log") as raised:
        run_logged("flair: train", [sys.executable, "-c", script], {"nnUNet_raw": "/raw"}, log)
    assert "/raw" in str(raised.value) and raised.value.returncode == 3
    assert log.read_text().splitlines()[0].startswith("$ ")
    run_logged("ok", [sys.executable, "-c", "print('fine')"], {}, tmp_path / "ok.log")
    assert (tmp_path / "ok.log").read_text().splitlines()[-1] == "fine"


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "State:\tZ" in state  # a zombie has stopped; only its parent's wait is missing


def test_an_interrupted_command_is_stopped_with_every_process_it_started(tmp_path):
    pids = tmp_path / "pids"
    script = (
        "import subprocess, sys, time\n"
        "worker = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pids)!r}, 'w').write(f'{{__import__(\"os\").getpid()}} {{worker.pid}}')\n"
        "time.sleep(60)\n"
    )

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 2.0)
    try:
        with pytest.raises(KeyboardInterrupt):
            run_logged("train", [sys.executable, "-c", script], {}, tmp_path / "x.log")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    command, worker = (int(p) for p in pids.read_text().split())
    deadline = time.time() + 5
    while time.time() < deadline and not (_gone(command) and _gone(worker)):
        time.sleep(0.1)
    assert _gone(command) and _gone(worker)
