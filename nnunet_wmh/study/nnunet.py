"""nnU-Net's own commands as subprocesses: where they are, the environment they need, a logged run.

Used by ``study`` and ``demo``: nnU-Net runs exactly as a user would run it by hand (``nnUNetv2_train``
and friends), each call's output in a log file of its own.
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
from dataclasses import dataclass
from pathlib import Path

from nnunet_wmh.errors import NnunetWmhError, UsageError
from nnunet_wmh.trainers import trainers_path

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


@dataclass(frozen=True)
class NnunetFolders:
    """nnU-Net's three folders, all inside one working folder."""

    raw: Path
    preprocessed: Path
    results: Path

    @classmethod
    def inside(cls, root: Path) -> NnunetFolders:
        """``root/nnUNet_raw``, ``root/nnUNet_preprocessed``, ``root/nnUNet_results``."""
        return cls(root / "nnUNet_raw", root / "nnUNet_preprocessed", root / "nnUNet_results")


def trainer_search_path(extra: Sequence[str | os.PathLike[str]] = ()) -> str:
    """``nnUNet_extTrainer``: nnunet_wmh's trainer folder, then ``extra`` folders, joined by os.pathsep."""
    return os.pathsep.join([str(trainers_path()), *(str(Path(p).absolute()) for p in extra)])


def nnunet_variables(
    folders: NnunetFolders, *, jobs: int, trainer_paths: Sequence[str | os.PathLike[str]] = ()
) -> dict[str, str]:
    """The variables nnU-Net's commands read: its folders, ``nnUNet_extTrainer``, worker counts, no compile."""
    return {
        "nnUNet_raw": str(folders.raw),
        "nnUNet_preprocessed": str(folders.preprocessed),
        "nnUNet_results": str(folders.results),
        "nnUNet_extTrainer": trainer_search_path(trainer_paths),
        "nnUNet_def_n_proc": str(jobs),
        "nnUNet_n_proc_DA": str(max(1, jobs - 1)),
        "nnUNet_compile": "false",
    }


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


def torch_device(device: str) -> str:
    """``auto`` → ``cuda`` when torch sees a GPU, else ``cpu``; ``cpu``/``cuda`` as given.

    Raises
    ------
    UsageError
        Another value.
    """
    if device not in ("auto", "cpu", "cuda"):
        raise UsageError(f"`device` must be auto, cpu or cuda, got {device!r}", "device")
    if device != "auto":
        return device
    import torch  # heavy: only to tell whether there is a GPU

    return "cuda" if torch.cuda.is_available() else "cpu"
