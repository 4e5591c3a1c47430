"""Source readers: each turns a cohort layout into :class:`~nnunet_wmh.cohorts.subject.Subject`
records. Adding a layout means adding one module here and one entry in :data:`READERS`."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from nnunet_wmh.cohorts.bids import looks_like_bids, read_bids
from nnunet_wmh.cohorts.contents import SourceContents
from nnunet_wmh.cohorts.manifest import looks_like_manifest, read_manifest
from nnunet_wmh.cohorts.subject import Subject
from nnunet_wmh.cohorts.wmh2017 import looks_like_wmh2017, read_wmh2017
from nnunet_wmh.errors import SourceLayoutError, UsageError

LAYOUTS = ("wmh2017", "bids", "manifest")
_DETECTORS: tuple[tuple[str, Callable[[Path], bool]], ...] = (
    ("manifest", looks_like_manifest),
    ("bids", looks_like_bids),
    ("wmh2017", looks_like_wmh2017),
)

__all__ = ["LAYOUTS", "SourceContents", "apply_regions_override", "detect_layout", "read_source"]


def detect_layout(source: Path) -> str:
    """Tell the layout of a source: ``"manifest"`` (a .csv/.tsv file), ``"bids"`` or ``"wmh2017"``.

    Raises
    ------
    SourceLayoutError
        If the path does not exist or matches no layout.
    """
    if not source.exists():
        raise SourceLayoutError(f"{source}: no such file or folder")
    for layout, looks_like in _DETECTORS:
        if looks_like(source):
            return layout
    raise SourceLayoutError(
        f"{source}: cannot tell the layout (no training/ or test/ folder or <site>/<id>/pre/ subject folders "
        "of the WMH 2017 tree, no sub-* folders of BIDS, not a .csv/.tsv manifest); pass --layout"
    )


def read_source(
    source: str | os.PathLike[str],
    *,
    layout: str | None = None,
    images: str = "pre",
    derivatives: str | os.PathLike[str] | None = None,
) -> SourceContents:
    """Read a cohort into subject records.

    Parameters
    ----------
    source
        WMH 2017 tree, BIDS root or manifest file.
    layout
        One of :data:`LAYOUTS`; detected when None.
    images
        WMH 2017 only: ``"pre"`` or ``"orig"``.
    derivatives
        BIDS only: where lesion and region maps are; default ``source/derivatives``.
    """
    path = Path(source).expanduser().absolute()
    layout = layout or detect_layout(path)
    if layout not in LAYOUTS:
        raise UsageError(f"unknown layout {layout!r}; choose from {', '.join(LAYOUTS)}")
    if images not in ("pre", "orig"):
        raise UsageError(f"--images must be 'pre' or 'orig', got {images!r}")
    if not path.exists():
        raise SourceLayoutError(f"{path}: no such file or folder")
    if derivatives is not None and layout != "bids":
        raise UsageError(f"--derivatives applies to BIDS sources; {path} is read as {layout}")
    if images != "pre" and layout != "wmh2017":
        raise UsageError(f"--images applies to the WMH 2017 layout; {path} is read as {layout}")
    if layout == "manifest":
        return read_manifest(path)
    if layout == "bids":
        return read_bids(path, derivatives=Path(derivatives).absolute() if derivatives else None)
    return read_wmh2017(path, images=images)


def _region_candidates(location: str, subject: Subject) -> list[Path]:
    if "{" in location:
        fields = {
            "subject": subject.subject,
            "session": subject.session or "",
            "site": subject.site,
            "key": subject.key,
        }
        try:
            return [Path(location.format(**fields)).expanduser().absolute()]
        except (KeyError, IndexError, ValueError) as exc:
            raise UsageError(
                f"--regions pattern {location!r}: {exc}; use {{subject}}, {{session}}, {{site}} or {{key}}"
            ) from None
    folder = Path(location).expanduser().absolute()
    flat = subject.key.replace("/", "_")
    names = [f"{subject.key}/regions", flat, subject.subject]
    if subject.session:
        names.append(f"{subject.subject}_{subject.session}")
    return [folder / f"{name}{ending}" for name in names for ending in (".nii.gz", ".nii")]


def apply_regions_override(subjects: list[Subject], location: str) -> list[Subject]:
    """Point every subject's region map at ``location`` (``--regions``).

    ``location`` is either a pattern with ``{subject}``, ``{session}``, ``{site}`` or ``{key}``
    placeholders, or a folder searched for ``<key>/regions.nii.gz``, ``<key with _>.nii.gz``,
    ``<subject>.nii.gz`` and ``<subject>_<session>.nii.gz``. A subject whose map is not found keeps
    the first candidate, so validation names the path it expected.
    """
    if "{" not in location and not Path(location).expanduser().is_dir():
        raise UsageError(f"--regions {location}: not a folder, and not a pattern with {{subject}} etc.")
    updated = []
    for subject in subjects:
        candidates = _region_candidates(location, subject)
        found = next((c for c in candidates if c.is_file()), candidates[0])
        updated.append(replace(subject, regions=found))
    return updated
