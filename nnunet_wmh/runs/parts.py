"""A run in parts: nnU-Net's interleaved sharding, the files of a part, and the merge of the parts.

A run with ``num_parts > 1`` does the items ``sorted(items)[part_id::num_parts]`` and writes its part into
``OUT/parts/part-I-of-N/``: tables (TSV) and ``part.json`` (the run's record, this part's items, the run folder
it was made for, and the checksum of every file of the part), beside any files of its own. :func:`read_parts`
checks that the parts make up one run (the same run fields and run folder, every part present, every file it
lists present and unchanged, every item once) and builds the final
output from them (:func:`merged_output`); a run of one part builds the final output from its one part the
same way (in the staging folder of :func:`part_output`, then :func:`remove_parts`), so a single run and a merge
give the same files.

What a part holds is the command's: its :class:`PartSchema` names the tables, their columns and the fields
every part of one run shares (``report`` and ``segment`` use the report's).

A run folder can be copied or moved before its merge: a part records paths inside the run relative to it
(:func:`recorded_location`), and the merge writes only inside the folder it was given; the run folder a part
was made for (``run_folder``) tells the parts of two runs apart and a moved run from one in place
(:func:`made_in`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nnunet_wmh.errors import InputDataError, InvalidInputsError, OutputExistsError, UsageError
from nnunet_wmh.io import link_or_copy
from nnunet_wmh.runs.options import RunOptions, check_parts
from nnunet_wmh.runs.outputs import OWNER_FILE, SLURM_FOLDER, atomic_output_folder
from nnunet_wmh.tsv import read_tsv, write_tsv

PARTS_FOLDER = "parts"
PART_FILE = "part.json"
PART_NAME = re.compile(r"part-(\d+)-of-(\d+)")
#: The field of ``part.json`` naming the run folder the part was made for (absolute, as it was then).
RUN_FOLDER = "run_folder"
#: Bytes read at a time when a file's checksum is taken.
_CHUNK = 1 << 20
#: What the merge keeps of ``OUT``: the SLURM jobs' scripts, records and logs (the merge job's own among them).
KEPT_ON_MERGE = (SLURM_FOLDER,)


def part_cases(cases: Sequence[str], part_id: int, num_parts: int) -> list[str]:
    """nnU-Net's interleaved sharding: ``sorted(cases)[part_id::num_parts]``."""
    check_parts(part_id, num_parts)
    return sorted(cases)[part_id::num_parts]


def part_folder(out_dir: Path, part_id: int, num_parts: int) -> Path:
    """Where part ``part_id`` of ``num_parts`` writes its files."""
    return out_dir / PARTS_FOLDER / f"part-{part_id}-of-{num_parts}"


def cases_digest(cases: Sequence[str]) -> str:
    """A fingerprint of the run's item list (parts of one run share it)."""
    return hashlib.sha256("\n".join(sorted(cases)).encode()).hexdigest()


@dataclass(frozen=True)
class PartSchema:
    """What the parts of a command hold.

    Attributes
    ----------
    tables
        The TSV tables of every part (``NAME.tsv``).
    run_fields
        Fields of ``part.json`` that every part of one run shares (options, inputs, the item digest, ...).
    columns
        The columns of a table, given its name and the part's metadata.
    """

    tables: tuple[str, ...]
    run_fields: tuple[str, ...]
    columns: Callable[[str, Mapping[str, Any]], list[str]]


@dataclass
class PartData:
    """The rows (as text, as the part's TSV files hold them), the metadata and the folder of one part."""

    rows: dict[str, list[dict[str, str]]]
    meta: dict[str, Any]
    folder: Path


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write_part(part: PartData, schema: PartSchema, *, run_folder: Path) -> None:
    """Write a part's TSV files and ``part.json`` into its folder.

    ``part.json`` holds the part's metadata, ``run_folder`` (the run's final folder, which the merge compares
    with the folder it is given) and, for every file of the part (its own files and the tables; paths relative
    to the part's folder), its checksum, with each table's row count.
    """
    rows = {}
    for name, table_rows in part.rows.items():
        path = write_tsv(part.folder / f"{name}.tsv", table_rows, schema.columns(name, part.meta))
        rows[path.name] = len(table_rows)
    files = {}
    for path in sorted(part.folder.rglob("*")):
        relative = path.relative_to(part.folder).as_posix()
        if path.is_file() and relative not in (PART_FILE, OWNER_FILE):
            files[relative] = {"sha256": _digest(path), **({"rows": rows[relative]} if relative in rows else {})}
    record = {**part.meta, RUN_FOLDER: str(Path(run_folder).absolute()), "files": files}
    (part.folder / PART_FILE).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")


def _changed_files(folder: Path, files: Mapping[str, Mapping[str, Any]]) -> list[InputDataError]:
    """Every file a part lists that is missing or not as it was written."""
    return [
        InputDataError(folder.name, str(folder / name), "missing, truncated or changed since the part was written")
        for name, recorded in files.items()
        if not (folder / name).is_file() or _digest(folder / name) != recorded.get("sha256")
    ]


def _load_part(folder: Path, schema: PartSchema) -> tuple[PartData | None, list[InputDataError]]:
    """Read one part folder; problems if it is not a complete, unchanged part."""
    name = folder.name
    meta_path = folder / PART_FILE
    try:
        meta = json.loads(meta_path.read_text())
        required = (*schema.run_fields, RUN_FOLDER, "part_id", "cases", "files")
        if not isinstance(meta, dict) or not all(k in meta for k in required):
            raise ValueError("fields are missing")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        return None, [InputDataError(name, str(meta_path), f"not a readable part file ({exc}); rerun this part")]
    found = PART_NAME.fullmatch(name)
    if found is None or (int(found[1]), int(found[2])) != (meta["part_id"], meta["num_parts"]):
        made = f"part {meta['part_id']} of {meta['num_parts']}"
        return None, [InputDataError(name, str(folder), f"was made as {made}; the folder was renamed or copied")]
    tables = {f"{table}.tsv": {} for table in schema.tables}
    problems = _changed_files(folder, {**tables, **meta["files"]})
    if problems:
        return None, problems
    return PartData({table: read_tsv(folder / f"{table}.tsv") for table in schema.tables}, meta, folder), []


def _run_problems(parts: Sequence[PartData], run_fields: Sequence[str]) -> list[InputDataError]:
    """Parts that belong to another run than the largest group of parts."""
    keys = [json.dumps({k: p.meta[k] for k in run_fields}, sort_keys=True) for p in parts]
    reference_key, _ = Counter(keys).most_common(1)[0]
    reference = parts[keys.index(reference_key)]
    problems = []
    for part, key in zip(parts, keys, strict=True):
        if key != reference_key:
            differing = [k for k in run_fields if part.meta[k] != reference.meta[k]]
            if differing == [RUN_FOLDER]:
                mine, theirs = part.meta[RUN_FOLDER], reference.meta[RUN_FOLDER]
                why = f"made for the run in {mine}, {reference.folder.name} for the run in {theirs}"
            else:
                why = f"made by another run than {reference.folder.name} (different {', '.join(differing)})"
            advice = "remove the parts of the run you do not want"
            problems.append(InputDataError(part.folder.name, str(part.folder), f"{why}; {advice}"))
    return problems


def _coverage_problems(parts: Sequence[PartData], folder: Path) -> list[InputDataError]:
    """Missing parts, and items that are not exactly the run's, once each."""
    num_parts = parts[0].meta["num_parts"]
    present = {p.meta["part_id"] for p in parts}
    problems = [
        InputDataError(f"part-{i}-of-{num_parts}", str(folder), f"missing; run part_id {i} of {num_parts} first")
        for i in range(num_parts)
        if i not in present
    ]
    cases = [case for p in parts for case in p.meta["cases"]]
    doubled = sorted(case for case, n in Counter(cases).items() if n > 1)
    if doubled:
        problems.append(
            InputDataError("parts", str(folder), f"case(s) in more than one part: {', '.join(doubled[:5])}")
        )
    if not problems and cases_digest(cases) != parts[0].meta["cases_digest"]:
        problems.append(InputDataError("parts", str(folder), "the parts' cases do not make up the run's cohort"))
    return problems


def read_parts(out_dir: Path, schema: PartSchema) -> list[PartData]:
    """Read and check every part of ``OUT/parts`` (see the module docstring), in part order.

    Raises
    ------
    UsageError
        If there are no parts.
    InvalidInputsError
        Every problem of every part (nothing is merged; the parts are kept).
    """
    folder = out_dir / PARTS_FOLDER
    candidates = sorted(p for p in folder.iterdir() if not p.name.startswith(".")) if folder.is_dir() else []
    if not candidates:
        raise UsageError(f"`out` {folder} holds no parts; run with `part_id` and `num_parts` first", "out")
    loaded, problems = [], []
    for candidate in candidates:
        part, found = _load_part(candidate, schema)
        problems += found
        if part is not None:
            loaded.append(part)
    if loaded and not problems:
        problems += _run_problems(loaded, (*schema.run_fields, RUN_FOLDER)) or _coverage_problems(loaded, folder)
    if problems:
        raise InvalidInputsError(problems, consequence="nothing was merged; the parts are kept")
    return sorted(loaded, key=lambda p: p.meta["part_id"])


def first_part_record(out_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``part.json`` of the first readable part in ``OUT/parts`` (empty when there is none): which command made
    the parts (``command``), before they are read and checked with that command's schema."""
    folder = Path(out_dir).expanduser().absolute() / PARTS_FOLDER
    for candidate in sorted(folder.glob("part-*")) if folder.is_dir() else []:
        try:
            record = json.loads((candidate / PART_FILE).read_text())
        except (OSError, ValueError, UnicodeDecodeError):
            continue
        if isinstance(record, dict):
            return record
    return {}


def made_in(parts: Sequence[PartData]) -> Path:
    """The run folder the (checked) parts were made for: not the folder they are in when the run was moved."""
    return Path(parts[0].meta[RUN_FOLDER])


def recorded_location(path: str | os.PathLike[str] | None, run_folder: Path) -> str | None:
    """How a part records ``path``: relative to ``run_folder`` when it lies inside it (``"."`` for the folder
    itself), so that the record holds when the run folder is copied or moved; absolute otherwise."""
    if path is None:
        return None
    path = Path(path).expanduser().absolute()
    return path.relative_to(run_folder).as_posix() if path.is_relative_to(run_folder) else str(path)


def gather_files(parts: Sequence[PartData], subfolder: str, target: Path | None) -> None:
    """Link every file of each part's ``subfolder`` into ``target`` (the parts stay as they are)."""
    if target is None:
        return
    for part in parts:
        source = part.folder / subfolder
        for path in sorted(source.rglob("*")) if source.is_dir() else []:
            if path.is_file():
                destination = target / path.relative_to(source)
                destination.parent.mkdir(parents=True, exist_ok=True)
                link_or_copy(path, destination)


def remove_parts(folder: Path) -> None:
    """Remove the parts folder inside a finished output being built."""
    if (folder / PARTS_FOLDER).exists():
        shutil.rmtree(folder / PARTS_FOLDER)


@dataclass(frozen=True)
class PartTarget:
    """Where one run writes: the final folder, the temporary folder it builds in, and this part's folder.

    Attributes
    ----------
    out_dir
        The run's final output folder.
    staging
        The temporary folder being built: the whole output (one part) or the part's folder (several parts).
    folder
        Where the part's own files go (inside ``staging``).
    part_id, num_parts
        Which part.
    """

    out_dir: Path
    staging: Path
    folder: Path
    part_id: int
    num_parts: int

    @property
    def single(self) -> bool:
        """Whether the run is not split into parts."""
        return self.num_parts == 1

    @property
    def final_part(self) -> Path:
        """Where this part's folder will be once the run is complete."""
        return part_folder(self.out_dir, self.part_id, self.num_parts)


@contextlib.contextmanager
def part_output(
    out: str | os.PathLike[str], run: RunOptions, *, finished: str, keep: Sequence[str] = ()
) -> Iterator[PartTarget]:
    """Build a run's output atomically: the whole output for one part, the part's folder for several.

    A part of a run whose output is finished (``OUT/finished`` exists) is refused unless ``run.overwrite``;
    ``keep`` names entries of an existing output that are not the run's (kept, as
    :func:`~nnunet_wmh.runs.outputs.atomic_output_folder` keeps them; one part only).

    Raises
    ------
    OutputExistsError, OutputError
        As :func:`~nnunet_wmh.runs.outputs.atomic_output_folder`.
    """
    out = Path(out).expanduser().absolute()
    if not run.single:
        refuse_finished(out, finished, overwrite=run.overwrite)
    final = out if run.single else part_folder(out, run.part_id, run.num_parts)
    with atomic_output_folder(final, overwrite=run.overwrite, keep=keep if run.single else ()) as staging:
        folder = part_folder(staging, 0, 1) if run.single else staging
        folder.mkdir(parents=True, exist_ok=True)
        yield PartTarget(out, staging, folder, run.part_id, run.num_parts)


def refuse_finished(out_dir: Path, finished: str, *, overwrite: bool) -> None:
    """Refuse to write into a run whose output is finished (``OUT/finished`` exists), unless ``overwrite``."""
    if (out_dir / finished).exists() and not overwrite:
        raise OutputExistsError(out_dir / finished)


@contextlib.contextmanager
def merged_output(out_dir: Path) -> Iterator[Path]:
    """Build the merged output of ``OUT``'s parts in a temporary folder that replaces ``OUT`` (parts included,
    its SLURM folder kept) only once complete; a failure keeps the parts."""
    with atomic_output_folder(out_dir, overwrite=True, keep=KEPT_ON_MERGE) as staging:
        yield staging
