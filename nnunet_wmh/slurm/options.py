"""``SlurmOptions``: the resources and settings of the SLURM jobs that ``segment`` and ``study`` submit."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from nnunet_wmh.errors import UsageError

#: sbatch's ``--mem``: a whole number with an optional unit (K, M, G, T).
MEMORY = re.compile(r"\d+[KMGT]?")
#: sbatch's ``--time``: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS, or UNLIMITED.
TIME = re.compile(r"(\d+|\d+:\d{2}|\d+:\d{2}:\d{2}|\d+-\d+|\d+-\d+:\d{2}|\d+-\d+:\d{2}:\d{2}|UNLIMITED|INFINITE)")
#: A partition, account or gres value: no spaces, quotes or shell characters.
WORD = re.compile(r"[A-Za-z0-9_.:,+=@/-]+")


def _check_word(value: str | None, parameter: str) -> None:
    if value is not None and not WORD.fullmatch(value):
        raise UsageError(f"`{parameter}` {value!r}: expected one word (letters, digits, _.:,+=@/-)", parameter)


def sbatch_line(text: str) -> str:
    """``--qos=high``, ``#SBATCH --qos=high`` or ``qos=high`` → ``#SBATCH --qos=high``.

    Raises
    ------
    UsageError
        An empty line, a line break, or something that is not an sbatch option.
    """
    line = text.strip()
    if line.startswith("#SBATCH"):
        line = line[len("#SBATCH") :].strip()
    if line and not line.startswith("-"):
        line = "--" + line
    if not re.fullmatch(r"--?[A-Za-z][A-Za-z0-9-]*(?:[= ]\S.*)?", line) or "\n" in text:
        raise UsageError(f"`extra` {text!r}: expected an sbatch option such as --qos=high", "extra")
    return f"#SBATCH {line}"


@dataclass(frozen=True)
class SlurmOptions:
    """How the jobs are submitted.

    Attributes
    ----------
    partition
        Partition of the CPU jobs (conversion, planning, merging, tables); None: the cluster's default.
    gpu_partition
        Partition of the GPU jobs (training, prediction, ``segment``'s parts); None: ``partition``.
    gres
        Generic resources of the GPU jobs, e.g. ``gpu:1``; None: none asked for.
    cpus
        CPUs per job (``--cpus-per-task``); None: the command's ``jobs``.
    mem
        Memory per job (``--mem``), e.g. ``16G``; None: the cluster's default.
    time
        Time limit per job (``--time``), e.g. ``04:00:00`` or ``1-00:00:00``; None: the partition's.
    account
        Account charged (``--account``).
    extra
        More ``#SBATCH`` lines for every job (``--qos=high``, ``#SBATCH --constraint=a100``).
    setup
        Shell lines run first in every job (``module load cuda``, ``source ~/venv/bin/activate``).
    submit
        Submit the jobs with sbatch; False: only write the scripts.
    """

    partition: str | None = None
    gpu_partition: str | None = None
    gres: str | None = None
    cpus: int | None = None
    mem: str | None = None
    time: str | None = None
    account: str | None = None
    extra: Sequence[str] = ()
    setup: Sequence[str] = ()
    submit: bool = True

    def check(self) -> None:
        """Raise UsageError for a value sbatch would not take."""
        for parameter in ("partition", "gpu_partition", "gres", "account"):
            _check_word(getattr(self, parameter), parameter)
        if self.cpus is not None and (isinstance(self.cpus, bool) or not isinstance(self.cpus, int) or self.cpus < 1):
            raise UsageError(f"`cpus` must be at least 1, got {self.cpus}", "cpus")
        if self.mem is not None and not MEMORY.fullmatch(self.mem):
            raise UsageError(f"`mem` {self.mem!r}: expected a size such as 16G or 8000M", "mem")
        if self.time is not None and not TIME.fullmatch(self.time):
            raise UsageError(f"`time` {self.time!r}: expected minutes, HH:MM:SS or D-HH:MM:SS", "time")
        for line in self.extra:
            sbatch_line(line)
        for line in self.setup:
            if "\n" in line or not line.strip():
                raise UsageError(f"`setup` {line!r}: give one shell line per entry", "setup")

    def directives(self, *, gpu: bool, cpus: int) -> list[str]:
        """The ``#SBATCH`` lines of a job (GPU jobs: the GPU partition and ``gres``); ``cpus`` is used unless
        ``self.cpus`` is set."""
        partition = (self.gpu_partition or self.partition) if gpu else self.partition
        values = {
            "partition": partition,
            "cpus-per-task": str(self.cpus or cpus),
            "mem": self.mem,
            "time": self.time,
            "account": self.account,
            "gres": self.gres if gpu else None,
        }
        lines = [f"#SBATCH --{name}={value}" for name, value in values.items() if value]
        return lines + [sbatch_line(line) for line in self.extra]
