"""nnU-Net's own commands as subprocesses: where they are, and a logged run in a process group of its own.

Used by ``study`` and ``demo``: nnU-Net runs exactly as a user would run it by hand (``nnUNetv2_train`` and
friends), each call's output in a log file of its own.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from nnunet_wmh.errors import NnunetWmhError, UsageError

NNUNET_COMMANDS = ("nnUNetv2_plan_and_preprocess", "nnUNetv2_train", "nnUNetv2_predict")
#: Lines of a failed command's log shown in its error.
LOG_TAIL_LINES = 15


class NnunetCommandError(NnunetWmhError):
    """An nnU-Net command failed; the message names the step, the exit status and the log (with its end)."""

    def __init__(self, step: str, returncode: int, log: Path) -> None:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]) if log.exists() else ""
        super().__init__(f"{step} failed (exit {returncode}); see {log}:\n{tail}")
        self.step, self.returncode, self.log, self.tail = step, returncode, log, tail


def find_command(name: str) -> str:
    """The path of one of nnU-Net's commands: beside this Python first, then on PATH.

    Raises
    ------
    UsageError
        Not found (nnunetv2 not installed in this environment).
    """
    beside = Path(sys.executable).with_name(name)
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise UsageError(f"{name} not found; is nnunetv2 installed in this environment?")
    return found


def run_logged(step: str, argv: Sequence[str], variables: Mapping[str, str], log: Path) -> None:
    """Run ``argv`` with ``variables`` added to this process's environment; its output goes to ``log``.

    Raises
    ------
    NnunetCommandError
        A non-zero exit status (the message shows the end of the log).
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as handle:
        handle.write("$ " + shlex.join(argv) + "\n")
        handle.flush()
        # its own process group, so that an interrupted run stops nnU-Net's worker processes too
        process = subprocess.Popen(
            list(argv), env={**os.environ, **variables}, stdout=handle, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            returncode = process.wait()
        except BaseException:
            stop_process_group(process)
            raise
    if returncode != 0:
        raise NnunetCommandError(step, returncode, log)


def stop_process_group(process: subprocess.Popen, *, grace_seconds: float = 10.0) -> None:
    """Stop a command started in its own session and every process it started: SIGTERM, then SIGKILL."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace_seconds)
            os.killpg(process.pid, 0)  # workers of the command may outlive it
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            pass
        time.sleep(0.5)
