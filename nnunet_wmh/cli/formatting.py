"""Small helpers for what the commands print and parse."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nnunet_wmh.runs.summary import RunSummary

#: Exit codes: success; bad input data, an existing output or one that cannot be written; usage error; interrupted;
#: with ``--strict``, a finished run with flagged cases (every output written).
EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_FLAGGED = 0, 1, 2, 130, 3

#: A parameter name as library messages write it: in backticks.
PARAMETER = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)`")
#: A boolean parameter turned off, as library messages say it: "`submit` off".
OFF = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)` off")


def human_bytes(count: int) -> str:
    """``1234567`` → ``"1.2 MB"`` (powers of 1000)."""
    size = float(count)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1000
    return f"{size:.1f} TB"


def comma_list(text: str) -> list[str]:
    """``"a, b,,c"`` → ``["a", "b", "c"]`` (argparse ``type``)."""
    return [item.strip() for item in text.split(",") if item.strip()]


def with_flags(message: str, flags: Mapping[str, str]) -> str:
    """A library message with each backticked parameter name shown as the command's flag (others unchanged);
    "`submit` off" is the flag alone where the flag is the switch that turns it off (``--no-submit``)."""

    def switched_off(match: re.Match[str]) -> str:
        flag = flags.get(match.group(1), "")
        return flag if flag.startswith("--no-") else match.group(0)

    return PARAMETER.sub(lambda match: flags.get(match.group(1), match.group(0)), OFF.sub(switched_off, message))


def aligned(table: list[list[str]]) -> list[str]:
    """Rows of cells as lines with aligned columns."""
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in table]


def finished(summary: RunSummary, *, strict: bool = False) -> int:
    """Print a command's last line, the run's summary, and return the exit code: of success, or with ``strict``
    :data:`EXIT_FLAGGED` when the run flagged any case."""
    print(summary.line())
    if strict and summary.flagged:
        print(f"--strict: {summary.flagged} flagged case(s); exit status {EXIT_FLAGGED}")
        return EXIT_FLAGGED
    return EXIT_OK
