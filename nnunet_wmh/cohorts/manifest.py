"""Reader for a CSV/TSV manifest, for every layout the other readers do not know.

Columns: ``subject`` (required), ``session``, ``flair``, ``t1``, ``lesion``, ``regions``, ``site``, ``split``
(``train``/``test``, default train), and a column per other modality (``t2``, ``pd``, ``t2star``, ``swi``),
read when asked for. Paths are relative to the manifest's folder unless absolute; an
empty cell means the file does not exist for that subject.
"""

from __future__ import annotations

import csv
from pathlib import Path

from nnunet_wmh.cohorts.contents import SourceContents
from nnunet_wmh.cohorts.subject import KNOWN_MODALITIES, MODALITIES, Modality, Subject, found_files
from nnunet_wmh.errors import InputDataError, SourceLayoutError

LABEL_COLUMNS = ("lesion", "regions")
KNOWN_COLUMNS = {"subject", "session", "site", "split", *KNOWN_MODALITIES, *LABEL_COLUMNS}
MANIFEST_SUFFIXES = (".csv", ".tsv")


def looks_like_manifest(path: Path) -> bool:
    """A manifest is a ``.csv`` or ``.tsv`` file."""
    return path.is_file() and path.suffix.lower() in MANIFEST_SUFFIXES


def read_manifest(path: Path, *, modalities: tuple[Modality, ...] = MODALITIES) -> SourceContents:
    """Read a manifest file; ``modalities`` are the image columns read (others are ignored).

    Raises
    ------
    SourceLayoutError
        If the file has no ``subject`` column, no image column, or an unknown column.
    """
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        columns = [c.strip().lower() for c in reader.fieldnames or []]
        rows = [{k.strip().lower(): (v or "").strip() for k, v in row.items() if k} for row in reader]
    if "subject" not in columns:
        raise SourceLayoutError(f"{path}: manifest needs a 'subject' column, found {columns}")
    if not set(modalities) & set(columns):
        wanted = " and/or a ".join(repr(m) for m in modalities)
        raise SourceLayoutError(f"{path}: manifest needs a {wanted} column, found {columns}")
    unknown = sorted(set(columns) - KNOWN_COLUMNS)
    if unknown:
        raise SourceLayoutError(f"{path}: unknown manifest column(s) {unknown}; known: {sorted(KNOWN_COLUMNS)}")

    contents = SourceContents(layout="manifest", root=path)
    base = path.parent
    seen: set[tuple[str, str]] = set()
    file_columns = (*modalities, *LABEL_COLUMNS)
    for line_number, row in enumerate(rows, start=2):
        subject, session = row.get("subject", ""), row.get("session", "") or None
        key = subject if session is None else f"{subject}/{session}"
        if not subject:
            contents.problems.append(InputDataError(f"line {line_number}", path.name, "empty subject"))
            continue
        if (subject, session or "") in seen:
            contents.problems.append(InputDataError(key, path.name, f"line {line_number}: listed twice"))
            continue
        seen.add((subject, session or ""))
        split = row.get("split", "") or "train"
        if split not in ("train", "test"):
            contents.problems.append(
                InputDataError(key, path.name, f"line {line_number}: split {split!r} is not 'train' or 'test'")
            )
            continue
        files = {c: (base / row[c]) if row.get(c) else None for c in file_columns}
        expected = tuple((c, f"{path.name}, line {line_number}: empty '{c}' cell") for c in file_columns)
        record = Subject(
            subject=subject,
            session=session,
            site=row.get("site", ""),
            root=base,
            key=key,
            group=subject,
            split=split,
            expected=expected,
            **found_files(files, modalities),
        )
        getattr(contents, split).append(record)
    return contents
