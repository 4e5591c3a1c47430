"""Region tables: which integer value of a region map is which anatomical region.

Reads the formats found in the wild:

* delimited text with a header (TSV or CSV), an id column (``id``, ``index``, ``label``, ``value``) and a
  name column (``name``, ``region``, ``region_name``, ``label_name``, ``structure``) — BIDS ``dseg.tsv``
  is one of them;
* plain ``id name`` lines with ``#`` comments, as atlas repositories ship them (the name may contain
  spaces);
* Slicer / FreeSurfer colour look-up tables, ``index name R G B A``.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from nnunet_wmh.errors import RegionTableError

logger = logging.getLogger(__name__)

ID_COLUMNS = ("id", "index", "label", "value", "region_id", "label_id")
NAME_COLUMNS = ("name", "region", "region_name", "label_name", "structure", "labelname")
RESERVED_NAMES = frozenset({"background", "ignore", "wmh"})


def generated_region_name(region_id: int) -> str:
    """Name given to a region value that no table names: ``region_<id>``."""
    return f"region_{region_id}"


def read_region_table(path: str | os.PathLike[str]) -> dict[int, str]:
    """Read a region table file into ``{region id: name}``, in file order.

    Parameters
    ----------
    path
        TSV/CSV with a header, an ``id name`` text file, or a colour LUT (see module docstring).

    Raises
    ------
    RegionTableError
        Unreadable file, no rows, a non-integer id, an id listed twice, or id 0 given a name other
        than background.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RegionTableError(f"{path}: cannot be read ({exc})") from exc
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise RegionTableError(f"{path}: no region rows")
    first = lines[0]
    delimiter = "\t" if "\t" in first else ("," if "," in first else None)
    if delimiter is not None and not _starts_with_integer(first.split(delimiter)[0]):
        rows = _read_delimited(path, "\n".join(lines), delimiter)
    else:
        rows = [_parse_whitespace_line(path, number, line) for number, line in enumerate(lines, 1)]
    return _build_table(path, rows)


def _starts_with_integer(token: str) -> bool:
    return re.fullmatch(r"\s*-?\d+\s*", token) is not None


def _read_delimited(path: Path, text: str, delimiter: str) -> list[tuple[str, str]]:
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    fields = {name.strip().lower(): name for name in reader.fieldnames or []}
    id_column = next((fields[c] for c in ID_COLUMNS if c in fields), None)
    name_column = next((fields[c] for c in NAME_COLUMNS if c in fields), None)
    if id_column is None or name_column is None:
        raise RegionTableError(
            f"{path}: header {list(fields)} needs an id column ({', '.join(ID_COLUMNS)}) and a name "
            f"column ({', '.join(NAME_COLUMNS)})"
        )
    return [((row[id_column] or "").strip(), (row[name_column] or "").strip()) for row in reader]


def _parse_whitespace_line(path: Path, number: int, line: str) -> tuple[str, str]:
    tokens = line.split()
    if len(tokens) < 2:
        raise RegionTableError(f"{path}: line {number} {line!r} is not 'id name'")
    is_colour_lut = len(tokens) == 6 and all(_starts_with_integer(t) for t in tokens[2:])
    name = tokens[1] if is_colour_lut else " ".join(tokens[1:])
    return tokens[0], name


def _build_table(path: Path, rows: Iterable[tuple[str, str]]) -> dict[int, str]:
    table: dict[int, str] = {}
    for raw_id, name in rows:
        try:
            region_id = int(raw_id)
        except ValueError:
            raise RegionTableError(f"{path}: region id {raw_id!r} is not an integer") from None
        if region_id < 0:
            raise RegionTableError(f"{path}: region id {region_id} is negative")
        if region_id in table:
            raise RegionTableError(f"{path}: region id {region_id} is listed twice")
        if region_id == 0:
            if name.lower() not in {"background", "unknown", "clear label", "clear_label", ""}:
                raise RegionTableError(f"{path}: id 0 is background in region maps, but is named {name!r}")
            continue
        table[region_id] = name or generated_region_name(region_id)
    if not table:
        raise RegionTableError(f"{path}: no region rows besides background")
    return table


def complete_region_table(
    table: Mapping[int, str], region_ids: Iterable[int], *, source: str = "the region table", warn: bool = True
) -> dict[int, str]:
    """Return the table extended with generated names for values it does not list, sorted by id.

    Region values found in the maps but missing from the table get ``region_<id>`` and one warning.
    Duplicate or reserved names (``background``, ``ignore``, ``wmh``) get the id appended, so every name is
    unique, as nnU-Net's label dictionary needs.

    Parameters
    ----------
    table
        ``{region id: name}`` as read from a file (may be empty).
    region_ids
        Every non-zero value found in the region maps.
    source
        How the warning names the table.
    warn
        Log the warnings (callers that report them once for many maps pass False).
    """
    completed = dict(table)
    missing = sorted(set(int(i) for i in region_ids if int(i) != 0) - set(completed))
    if missing and warn:
        shown = ", ".join(f"{i} -> {generated_region_name(i)}" for i in missing[:20])
        shown += " ..." if len(missing) > 20 else ""
        logger.warning(
            "%d region value(s) found in the region maps are not in %s and get generated names: %s",
            len(missing),
            source,
            shown,
        )
    for region_id in missing:
        completed[region_id] = generated_region_name(region_id)
    result: dict[int, str] = {}
    seen: set[str] = set()
    for region_id in sorted(completed):
        name = completed[region_id]
        if name.lower() in RESERVED_NAMES or name in seen:
            renamed = f"{name}_{region_id}"
            if warn:
                logger.warning("region %d: name %r is reserved or used twice; using %r", region_id, name, renamed)
            name = renamed
        seen.add(name)
        result[region_id] = name
    return result


def write_region_table(table: Mapping[int, str], path: str | os.PathLike[str]) -> None:
    """Write ``{id: name}`` as a BIDS-style ``index<TAB>name`` TSV."""
    lines = ["index\tname"] + [f"{region_id}\t{name}" for region_id, name in sorted(table.items())]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
