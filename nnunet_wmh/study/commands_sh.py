"""``commands.sh``: the study's steps as shell commands, resumable, ending with the tables.

The script and ``nnunet_wmh study`` keep one record of finished steps (``DIR/steps/KEY.json``, the run
machinery's :class:`~nnunet_wmh.runs.ledger.Ledger`, with the same digests): each block of the script skips
a step recorded as finished and records the step once its commands succeed, so the script and the command
continue each other's work, and a rerun of the script skips what is done. ``nnUNetv2_train`` is always given
``--c`` (nnU-Net continues from the fold's checkpoint, or starts afresh when there is none). The last block
is ``nnunet_wmh study ... --tables-only``: the tables, figures and page from the recorded steps.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path

from nnunet_wmh import __version__
from nnunet_wmh.runs.options import RunOptions
from nnunet_wmh.slurm.scripts import nnunet_wmh_command
from nnunet_wmh.study.configs import resolve_configs
from nnunet_wmh.study.options import StudyOptions
from nnunet_wmh.study.steps import STEPS_FOLDER, Step

#: StudyOptions field → the study command's flag (``None``: a positional or a list handled apart).
FLAGS = {
    "configs": "--configs", "profile": "--profile", "configuration": "--configuration", "folds": "--folds",
    "cv_folds": "--cv-folds", "dataset_id_base": "--dataset-id-base", "test_source": "--test-source",
    "layout": "--layout", "test_layout": "--test-layout", "atlas_image": "--atlas-image",
    "atlas_labels": "--atlas-labels", "region_table": "--region-table", "trainers": "--trainer",
    "trainer_paths": "--trainer-path", "seed": "--seed", "deterministic": "--deterministic",
}  # fmt: skip
PATH_FIELDS = ("test_source", "atlas_image", "atlas_labels", "region_table")
REPEATED = ("trainers", "trainer_paths")


def _flag_values(name: str, value) -> list[str]:
    flag = FLAGS[name]
    if isinstance(value, bool):
        return [flag] if value else []
    if name in REPEATED:
        paths = name == "trainer_paths"
        return [item for v in value for item in (flag, str(Path(v).absolute()) if paths else str(v))]
    if name == "configs":  # canonical names (interchangeable_dropout_flair_t1_t2) read back without ambiguity
        return [flag, ",".join(c.name for c in resolve_configs(value))]
    if name == "folds":
        return [flag, *(str(v) for v in value)]
    if name in PATH_FIELDS:
        return [flag, str(Path(value).expanduser().absolute())]
    return [flag, str(value)]


def _comparable(value):
    """Lists as tuples, so that ``["flair"]`` and ``("flair",)`` are the same option value."""
    return tuple(value) if isinstance(value, list | tuple) else value


def study_command(
    source: str | os.PathLike[str], out: str | os.PathLike[str], options: StudyOptions, run: RunOptions
) -> list[str]:
    """``nnunet_wmh study SOURCE --out OUT`` with the flags of the options (and of the run's jobs and device)
    that differ from the defaults (paths absolute), as the jobs run it."""
    default = StudyOptions()
    argv = [*nnunet_wmh_command(), "study", str(Path(source).expanduser().absolute()), "--out",
            str(Path(out).expanduser().absolute())]  # fmt: skip
    for field in fields(StudyOptions):
        value = getattr(options, field.name)
        if _comparable(value) not in (_comparable(getattr(default, field.name)), None, ()):
            argv += _flag_values(field.name, value)
    if run.device != RunOptions().device:
        argv += ["--device", run.device]
    return argv + (["--jobs", str(run.jobs)] if run.jobs != RunOptions().jobs else [])


#: Shell functions of the script: is a step finished (its record has this digest), and record one.
_SHELL_FUNCTIONS = r"""step_done() { [ -f "$STEPS/$1.json" ] && grep -q "\"digest\": \"$2\"" "$STEPS/$1.json"; }
step_finished() {  # RECORD KEY DIGEST STARTED
  mkdir -p "$STEPS"
  printf '{\n "key": "%s",\n "digest": "%s",\n "seconds": %s,\n "finished": "%s",\n "by": "commands.sh"\n}\n' \
    "$2" "$3" "$((SECONDS - $4))" "$(date +%Y-%m-%dT%H:%M:%S%z)" > "$STEPS/$1.json.tmp"
  mv "$STEPS/$1.json.tmp" "$STEPS/$1.json"
}"""


def _step_block(number: int, total: int, step: Step) -> list[str]:
    record = step.key.replace("/", "__")
    lines = ["", f"# [{number}/{total}] {step.title} (step {step.key})", f"if ! step_done {record} {step.digest}; then"]
    lines.append("  started=$SECONDS")
    lines += [f"  {shlex.join([*argv, *(['--c'] if step.resumes else [])])}" for argv in step.commands]
    lines += [f'  step_finished {record} {shlex.quote(step.key)} {step.digest} "$started"', "fi"]
    return lines


def write_commands(path: Path, steps: Sequence[Step], variables: dict[str, str], *, tables: Sequence[str]) -> Path:
    """Write ``commands.sh`` (module docstring): the environment, every step's block, then ``tables``.

    Parameters
    ----------
    path
        ``DIR/commands.sh`` (replaced atomically).
    steps
        The study's steps, in order.
    variables
        The environment nnU-Net's commands get.
    tables
        The command that writes the tables (``nnunet_wmh study ... --tables-only``).
    """
    lines = [
        "#!/usr/bin/env bash",
        f"# nnunet_wmh study: every step as a command (nnunet_wmh {__version__}). Run it on its own or continue",
        "# it with nnunet_wmh study: both record finished steps in STEPS, and each skips what the other finished.",
        "set -euo pipefail",
        *(f"export {name}={shlex.quote(value)}" for name, value in variables.items()),
        f"STEPS={shlex.quote(str(path.parent / STEPS_FOLDER))}",
        _SHELL_FUNCTIONS,
    ]
    for number, step in enumerate(steps, start=1):
        lines += _step_block(number, len(steps), step)
    lines += ["", "# results.tsv, tables, comparisons, figures, study.json and index.html", shlex.join(tables)]
    temporary = path.with_suffix(f".tmp{os.getpid()}")
    temporary.write_text("\n".join(lines) + "\n")
    temporary.chmod(0o755)
    os.replace(temporary, path)
    return path
