"""``regions`` given apart from the source: a folder or a file-name pattern that every subject's region map
is looked up in (``convert`` and ``regions`` write and read maps this way)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from nnunet_wmh.cohorts.subject import Subject
from nnunet_wmh.errors import UsageError

#: Placeholders of a region-map pattern.
PATTERN_FIELDS = ("subject", "session", "site", "key")
PLACEHOLDERS = ", ".join(f"{{{field}}}" for field in PATTERN_FIELDS[:-1]) + f" or {{{PATTERN_FIELDS[-1]}}}"


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
            raise UsageError(f"`regions` pattern {location!r}: {exc}; use {PLACEHOLDERS}", "regions") from None
    folder = Path(location).expanduser().absolute()
    flat = subject.key.replace("/", "_")
    names = [f"{subject.key}/regions", flat, subject.subject]
    if subject.session:
        names.append(f"{subject.subject}_{subject.session}")
    return [folder / f"{name}{ending}" for name in names for ending in (".nii.gz", ".nii")]


def apply_regions_override(subjects: list[Subject], location: str) -> list[Subject]:
    """Point every subject's region map at ``location``.

    ``location`` is either a pattern with ``{subject}``, ``{session}``, ``{site}`` or ``{key}``
    placeholders, or a folder searched for ``<key>/regions.nii.gz``, ``<key with _>.nii.gz``,
    ``<subject>.nii.gz`` and ``<subject>_<session>.nii.gz``. A subject whose map is not found keeps
    the first candidate, so validation names the path it expected.
    """
    if "{" not in location and not Path(location).expanduser().is_dir():
        raise UsageError(
            f"`regions` {location}: not a folder, and not a pattern with {PLACEHOLDERS}",
            "regions",
        )
    updated = []
    for subject in subjects:
        candidates = _region_candidates(location, subject)
        found = next((c for c in candidates if c.is_file()), candidates[0])
        updated.append(replace(subject, regions=found))
    return updated
