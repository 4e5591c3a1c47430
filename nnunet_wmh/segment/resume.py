"""A stopped ``segment`` run continues where it stopped.

Each part of a run works in ``OUT.partial/part-K-of-N/`` (beside ``OUT``, which stays untouched until the run is
complete): the subjects' masks, region maps and moved images, and one ledger record per finished subject
(:class:`~nnunet_wmh.runs.ledger.Ledger`). A record is written only once the subject's files are, with a digest
of what decides them: the subject's input files (path, size, modification time), the model (its description
and checkpoint files) and the run's options. A rerun of the same command skips every subject whose record
matches and redoes the others; the tables, pictures and page are rebuilt from all subjects at the end, the
work folder's files are linked into the output, and ``OUT.partial`` is removed once ``OUT`` is in place.
``overwrite`` starts over.
"""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

from nnunet_wmh.cohorts.subject import ZERO
from nnunet_wmh.nnunet.model import TrainedModel
from nnunet_wmh.report.bids import bids_entities
from nnunet_wmh.report.inputs import CaseInputs
from nnunet_wmh.runs.ledger import Ledger, digest_of
from nnunet_wmh.segment.prepare import LOGS_FOLDER, PREDICTIONS_FOLDER, bids_anat_folder
from nnunet_wmh.segment.routes import SubjectRoute

#: The work folder of a run ``OUT`` is ``OUT`` + this suffix.
RESUME_SUFFIX = ".partial"
#: The ledger's folder inside a part's work folder.
LEDGER_FOLDER = "done"
#: The CaseInputs fields a record keeps (paths relative to the work folder; ``other_images`` too, where inside it).
RECORDED_FILES = ("prediction", "regions", "ventricles", "brain_mask")


def work_root(out_dir: Path) -> Path:
    """``OUT.partial``: where every part of the run ``out_dir`` works until the run is complete."""
    return out_dir.with_name(out_dir.name + RESUME_SUFFIX)


def work_folder(out_dir: Path, part_id: int, num_parts: int) -> Path:
    """The work folder of one part: ``OUT.partial/part-K-of-N``."""
    return work_root(out_dir) / f"part-{part_id}-of-{num_parts}"


def _file_stamp(path: Path | None) -> list[Any] | None:
    if path is None:
        return None
    status = path.stat()
    return [str(path.absolute()), status.st_size, status.st_mtime_ns]


def model_stamp(model: TrainedModel) -> dict[str, Any]:
    """The model as a digest sees it: its description, and the size and time of its zip file or of its
    checkpoint files (a zip is unpacked anew by each run)."""
    source = Path(model.source)
    if source.is_file():
        return {**model.describe(), "files": [_file_stamp(source)]}
    checkpoints = sorted(Path(model.folder).glob(f"fold_*/{model.checkpoint}"))
    return {**model.describe(), "files": [_file_stamp(path) for path in checkpoints]}


def case_digest(route: SubjectRoute, model: dict[str, Any], options: dict[str, Any]) -> str:
    """The fingerprint of what decides one subject's files: its images, the model, the options."""
    images = {modality: _file_stamp(route.subject.image(modality)) for modality in dict.fromkeys(route.channels)
              if modality != ZERO}  # fmt: skip
    return digest_of({"case": route.case, "channels": route.channels, "images": images, "model": model,
                      "options": options})  # fmt: skip


class SubjectLedger:
    """The finished subjects of one part's work folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.ledger = Ledger(folder / LEDGER_FOLDER)

    def restore(self, route: SubjectRoute, digest: str) -> tuple[CaseInputs, dict[str, float]] | None:
        """The case inputs and stage seconds of a subject finished with this digest whose files are all there;
        None otherwise (the subject is done again)."""
        record = self.ledger.record(route.case)
        if record is None or record.get("digest") != digest:
            return None
        files = {name: None if record[name] is None else self.folder / record[name] for name in RECORDED_FILES}
        others = tuple(self.folder / path for path in record.get("other_images", []))  # absolute paths stay so
        if any(path is not None and not path.is_file() for path in [*files.values(), *others]):
            return None
        inputs = CaseInputs(
            case=route.case, image=route.subject.reference_image, info=route.info(),
            bids=(*bids_entities(route.case, route.info()), "wmh"),
            qc_extra=tuple((str(k), str(v)) for k, v in record["qc_extra"]), other_images=others, **files,
        )  # fmt: skip
        return inputs, dict(record.get("stage_seconds", {}))

    def finish(self, route: SubjectRoute, digest: str, inputs: CaseInputs, seconds: dict[str, float]) -> None:
        """Record a subject whose files are all written."""
        files = {name: None if getattr(inputs, name) is None else str(getattr(inputs, name).relative_to(self.folder))
                 for name in RECORDED_FILES}  # fmt: skip
        others = [str(_inside(path, self.folder)) for path in inputs.other_images]
        details = {**files, "other_images": others, "qc_extra": [list(pair) for pair in inputs.qc_extra],
                   "stage_seconds": seconds}  # fmt: skip
        self.ledger.finish(route.case, digest, seconds=sum(seconds.values()), details=details)


def _inside(path: Path, folder: Path) -> Path:
    """``path`` relative to ``folder`` when inside it, else as it is."""
    return path.relative_to(folder) if path.is_relative_to(folder) else path


def relocated(inputs: CaseInputs, source: Path, target: Path) -> CaseInputs:
    """A case's inputs with its files in the work folder ``source`` named at their place in ``target``, where
    :func:`link_cases` linked them (the work folder goes once the run is complete; the page shows the run's own
    files)."""

    def moved(path: Path | None) -> Path | None:
        return None if path is None or not path.is_relative_to(source) else target / path.relative_to(source)

    fields = {name: moved(getattr(inputs, name)) or getattr(inputs, name) for name in RECORDED_FILES}
    others = tuple(moved(path) or path for path in inputs.other_images)
    return replace(inputs, other_images=others, **fields)


def case_files(folder: Path, route: SubjectRoute) -> list[Path]:
    """Every file a subject has in a work folder: its prediction and the files of its BIDS folder that carry its
    prefix (moved images, transforms, region maps, masks)."""
    anat, prefix = bids_anat_folder(folder / "bids", route)
    found = sorted(anat.glob(f"{prefix}_*")) if anat.is_dir() else []
    prediction = folder / PREDICTIONS_FOLDER / f"{route.case}.nii.gz"
    return [*([prediction] if prediction.is_file() else []), *found]


def clear_case(folder: Path, route: SubjectRoute) -> None:
    """Remove a subject's files from a work folder before it is done again (an earlier run's left-overs, say a
    region map that failed its QC then, must not reach the output)."""
    for path in case_files(folder, route):
        path.unlink()


def link_cases(
    source: Path, target: Path, routes: list[SubjectRoute], folders: tuple[str, ...] = (LOGS_FOLDER,)
) -> None:
    """Hard-link the files of ``routes`` (and every file of ``folders``) from the work folder ``source`` into the
    part's folder ``target`` (copied where a link cannot be made, e.g. across file systems); nothing else of the
    work folder reaches the output."""
    files = [path for route in routes for path in case_files(source, route)]
    files += [path for name in folders for path in sorted((source / name).rglob("*")) if path.is_file()]
    for path in files:
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            destination.hardlink_to(path)
        except OSError:
            shutil.copy2(path, destination)


def remove_work(out_dir: Path, part_id: int, num_parts: int) -> None:
    """Remove a finished part's work folder, and ``OUT.partial`` once no part is left in it."""
    shutil.rmtree(work_folder(out_dir, part_id, num_parts), ignore_errors=True)
    root = work_root(out_dir)
    if root.is_dir() and not any(root.iterdir()):
        with contextlib.suppress(OSError):  # another part (a concurrent participant run) has just begun in it
            root.rmdir()


def keep_only_finished_work(out_dir: Path, part_id: int, num_parts: int) -> None:
    """After a run that stopped: keep the work folder only if it holds a finished subject (something to resume);
    a run that failed before any subject (a bad model, a bad option) leaves nothing behind."""
    ledger = work_folder(out_dir, part_id, num_parts) / LEDGER_FOLDER
    if not any(ledger.glob("*.json")):
        remove_work(out_dir, part_id, num_parts)
