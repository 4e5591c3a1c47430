"""Tab-separated tables as BIDS writes them: a header row, ``n/a`` for missing or undefined values.

Written with the standard library so that commands which only evaluate or report do not pay pandas'
import time; :func:`read_tsv` returns plain rows for the same reason.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

#: How a missing or undefined (NaN) value is written (BIDS convention; pandas reads it as NaN).
MISSING = "n/a"


def format_cell(value: Any) -> str:
    """One cell: ``n/a`` for None and NaN, up to 10 significant digits for floats, ``str`` otherwise."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return MISSING if math.isnan(value) else f"{value:.10g}"
    return str(value)


def number_cell(text: str | None) -> float:
    """A cell read back as a number: NaN for ``n/a``, an empty cell or None."""
    if text is None or text == "" or text == MISSING:
        return math.nan
    return float(text)


def write_tsv(path: str | os.PathLike[str], rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> Path:
    """Write rows (mappings with at least ``columns``) as a TSV file; returns the path."""
    path = Path(path)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([format_cell(row.get(column)) for column in columns])
    return path


def read_tsv(path: str | os.PathLike[str]) -> list[dict[str, str]]:
    """Read a TSV file with a header row into a list of ``{column: text}``."""
    with Path(path).open(newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))
