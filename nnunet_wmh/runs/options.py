"""The options every long command shares (:class:`RunOptions`), and the one way a command takes its options.

Every command's library function has the same shape::

    function(INPUTS..., options=None, run=None, **fields) -> Result

``options`` is the command's own frozen options (``ReportOptions``, ``ConvertOptions``, ...), ``run`` the
:class:`RunOptions`; ``fields`` are keywords of either, by name (``make_report(pred, out, regions="r",
jobs=4)``), applied on top of the objects given. A keyword that neither has is a
:class:`~nnunet_wmh.errors.UsageError` naming it and the valid ones (:func:`resolve_options`), and so is a
value out of range (each options class's ``check``).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from nnunet_wmh.errors import UsageError

#: The values of every ``device`` option: ``auto`` is a GPU when torch sees one.
DEVICES = ("auto", "cpu", "cuda")
#: The defaults every command shares (the command line shows them in ``--help``).
DEFAULT_JOBS = 1
DEFAULT_SEED = 12345

Options = TypeVar("Options")

logger = logging.getLogger(__name__)


def check_choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    """Raise UsageError naming parameter ``name`` unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise UsageError(f"`{name}` must be one of {', '.join(choices)}, got {value!r}", name)


def check_trainer_paths(paths: Sequence[str]) -> None:
    """Raise UsageError naming every path of ``trainer_paths`` that is not a folder (they are handed to nnU-Net
    as ``nnUNet_extTrainer``, where a missing folder would only show as an unknown trainer much later)."""
    missing = [str(path) for path in paths if not Path(path).expanduser().is_dir()]
    if missing:
        raise UsageError(
            f"`trainer_paths` {', '.join(missing)}: no such folder (a folder of trainer class files is expected)",
            "trainer_paths",
        )


def check_device(device: str) -> None:
    """Raise UsageError unless ``device`` is one of :data:`DEVICES`."""
    check_choice("device", device, DEVICES)


def check_jobs(jobs: int) -> None:
    """Raise UsageError unless ``jobs`` is a whole number of at least 1."""
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise UsageError(f"`jobs` must be at least 1, got {jobs}", "jobs")


def check_parts(part_id: int, num_parts: int) -> None:
    """Raise UsageError unless ``0 <= part_id < num_parts``."""
    if isinstance(num_parts, bool) or not isinstance(num_parts, int) or num_parts < 1:
        raise UsageError(f"`num_parts` must be at least 1, got {num_parts}", "num_parts")
    if isinstance(part_id, bool) or not isinstance(part_id, int) or not 0 <= part_id < num_parts:
        raise UsageError(f"`part_id` must be in 0..{num_parts - 1} (`num_parts` {num_parts}), got {part_id}", "part_id")


def check_threshold(threshold: float) -> None:
    """Raise UsageError unless ``threshold`` lies strictly between 0 and 1 (a probability)."""
    if not 0 < threshold < 1:
        raise UsageError(f"`threshold` must be between 0 and 1 (exclusive), got {threshold}", "threshold")


@dataclass(frozen=True)
class RunOptions:
    """How a long command runs: the same names, meanings and defaults in every command.

    Attributes
    ----------
    jobs
        Worker processes (1: everything in this process).
    overwrite
        Replace an existing output (once the new one is complete); without it an existing output is refused.
    progress
        Show progress bars (on stderr).
    part_id, num_parts
        nnU-Net's interleaved sharding: this run does ``sorted(cases)[part_id::num_parts]`` (``report``,
        ``segment``; the parts are joined by ``report-merge``).
    device
        Where nnU-Net runs: ``auto`` (a GPU when torch sees one), ``cpu`` or ``cuda`` (``segment``, ``study``,
        ``demo``).
    """

    jobs: int = DEFAULT_JOBS
    overwrite: bool = False
    progress: bool = True
    part_id: int = 0
    num_parts: int = 1
    device: str = "auto"

    @property
    def single(self) -> bool:
        """Whether the run is not split into parts."""
        return self.num_parts == 1

    def check(self, *, parts: bool = False, device: bool = False) -> RunOptions:
        """Raise UsageError for a value out of range, or for parts or a device given to a command that takes
        neither (``parts``, ``device``: whether it does); returns itself."""
        check_jobs(self.jobs)
        check_parts(self.part_id, self.num_parts)
        check_device(self.device)
        if not parts and (self.part_id, self.num_parts) != (0, 1):
            raise UsageError("this command does not run in parts; leave out `part_id` and `num_parts`", "num_parts")
        if not device and self.device != "auto":
            raise UsageError("this command runs no model; leave out `device`", "device")
        return self


def option_names(kind: type) -> tuple[str, ...]:
    """The field names of an options dataclass."""
    return tuple(f.name for f in dataclasses.fields(kind))


def _with_fields(kind: type[Options], given: Options | None, fields: Mapping[str, Any]) -> Options:
    if given is not None and not isinstance(given, kind):
        raise UsageError(f"expected {kind.__name__}, got {type(given).__name__}", "options")
    if given is not None:
        return dataclasses.replace(given, **fields)  # type: ignore[type-var]
    required = [f.name for f in dataclasses.fields(kind) if f.default is f.default_factory is dataclasses.MISSING]
    missing = [name for name in required if name not in fields]
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        raise UsageError(f"{', '.join(f'`{n}`' for n in missing)} {verb} required ({kind.__name__})", missing[0])
    return kind(**fields)


def _renamed(kind: type, fields: Mapping[str, Any]) -> dict[str, Any]:
    """``fields`` with the old names of ``kind.RENAMED`` (``{old: new}``, kept for one release) replaced, each
    with a deprecation warning."""
    renamed: Mapping[str, str] = getattr(kind, "RENAMED", {})
    result = {}
    for name, value in fields.items():
        if name in renamed:
            logger.warning("`%s` is deprecated and goes in the next release; use `%s`", name, renamed[name])
        result[renamed.get(name, name)] = value
    return result


def resolve_options(
    kind: type[Options], options: Options | None, run: RunOptions | None, fields: Mapping[str, Any]
) -> tuple[Options, RunOptions]:
    """The command's options and run options, with ``fields`` applied to whichever of them has each.

    Parameters
    ----------
    kind
        The command's options dataclass.
    options, run
        Objects given (None: the defaults).
    fields
        Keywords naming fields of ``kind`` or of :class:`RunOptions`.

    Raises
    ------
    UsageError
        A keyword neither has (named, with the valid names), or a required field of ``kind`` missing.
    """
    fields = _renamed(kind, fields)
    own, shared = set(option_names(kind)), set(option_names(RunOptions))
    unknown = sorted(name for name in fields if name not in own | shared)
    if unknown:
        valid = ", ".join(sorted(own | shared))
        raise UsageError(f"unknown option(s) {', '.join(f'`{n}`' for n in unknown)}; valid: {valid}", unknown[0])
    chosen = _with_fields(kind, options, {k: v for k, v in fields.items() if k in own})
    run_options = _with_fields(RunOptions, run, {k: v for k, v in fields.items() if k in shared and k not in own})
    return chosen, run_options
