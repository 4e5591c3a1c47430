"""Resumable steps: each records its completion, so a rerun redoes nothing that is done.

A :class:`Step` has a fingerprint: the options that decide its result plus the digests of the steps it
depends on, so a changed option invalidates that step and everything downstream of it. The run machinery's
:class:`~nnunet_wmh.runs.ledger.Ledger` keeps one JSON record per finished step in ``DIR/steps``; a rerun skips
a step whose record
has the same digest, refuses (naming them) steps whose record differs unless ``overwrite``, and redoes a
step that never finished (its partial outputs are removed first, unless the step resumes them itself, as
nnU-Net's training does with ``--c``).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnunet_wmh.errors import NnunetWmhError
from nnunet_wmh.runs.ledger import Ledger, digest_of

STEPS_FOLDER = "steps"


class StudyConflictError(NnunetWmhError):
    """Finished steps would be invalidated by changed options (the message names them)."""

    def __init__(self, keys: Sequence[str], folder: Path) -> None:
        listed = ", ".join(keys[:8]) + (f" and {len(keys) - 8} more" if len(keys) > 8 else "")
        super().__init__(
            f"{folder}: the options differ from those of finished step(s) {listed}; rerun with the same options "
            "to continue, or pass `overwrite` to redo them"
        )
        self.keys = list(keys)


@dataclass
class Step:
    """One step of the study.

    Attributes
    ----------
    key
        Unique name, e.g. ``flair_t1/train_fold0`` (also its record's name).
    title
        What it does, for progress messages.
    options
        What decides its result (JSON-able).
    after
        Steps it depends on.
    commands
        The shell commands that do the same by hand (``commands.sh``), one argv per command.
    run
        Does the work (None: a step with nothing to run here).
    outputs
        Files or folders it writes; removed before it runs again.
    resumes
        Keep ``outputs`` of an unfinished run (the step continues them).
    """

    key: str
    title: str
    options: dict[str, Any]
    after: list[Step] = field(default_factory=list)
    commands: list[list[str]] = field(default_factory=list)
    run: Callable[[], None] | None = None
    outputs: list[Path] = field(default_factory=list)
    resumes: bool = False

    @property
    def digest(self) -> str:
        """sha256 of the options and the digests of the steps it depends on."""
        return digest_of({"options": self.options, "after": [s.digest for s in self.after]})


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def study_ledger(folder: Path) -> Ledger:
    """The records of a study's finished steps: ``folder/steps``."""
    return Ledger(folder / STEPS_FOLDER)


def forget_step(ledger: Ledger, step: Step) -> None:
    """Drop a step's record and outputs."""
    ledger.forget(step.key)
    for output in step.outputs:
        _remove(output)


def conflicting_steps(ledger: Ledger, steps: Sequence[Step]) -> list[str]:
    """Keys of the steps finished with another digest (their options changed)."""
    return ledger.conflicts((step.key, step.digest) for step in steps)


def run_steps(
    steps: Sequence[Step], ledger: Ledger, *, overwrite: bool = False, on_step: Callable[[str], None] | None = None
) -> dict[str, str]:
    """Run the steps in order, skipping those done.

    Returns
    -------
    dict
        Key → ``"done earlier"`` or ``"ran"``.

    Raises
    ------
    StudyConflictError
        Finished steps whose options changed, without ``overwrite`` (checked before anything runs).
    """
    conflicts = conflicting_steps(ledger, steps)
    if conflicts and not overwrite:
        raise StudyConflictError(conflicts, ledger.folder.parent)
    for step in steps:
        if step.key in conflicts:
            forget_step(ledger, step)
    say = on_step or (lambda message: None)
    status = {}
    for number, step in enumerate(steps, start=1):
        prefix = f"[{number}/{len(steps)}] {step.title}"
        if ledger.is_done(step.key, step.digest):
            status[step.key] = "done earlier"
            say(f"{prefix}: done earlier")
            continue
        if not step.resumes:
            for output in step.outputs:
                _remove(output)
        say(f"{prefix} ...")
        started = time.perf_counter()
        if step.run is not None:
            step.run()
        seconds = time.perf_counter() - started
        ledger.finish(step.key, step.digest, seconds=seconds, details={"options": step.options})
        status[step.key] = "ran"
        say(f"{prefix}: done in {seconds:.0f} s")
    return status
