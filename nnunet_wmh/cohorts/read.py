"""Reading a cohort in any supported layout: detection, then the layout's reader."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from nnunet_wmh.cohorts.bids import looks_like_bids, read_bids
from nnunet_wmh.cohorts.contents import SourceContents
from nnunet_wmh.cohorts.manifest import looks_like_manifest, read_manifest
from nnunet_wmh.cohorts.subject import Modality, parse_modalities
from nnunet_wmh.cohorts.wmh2017 import looks_like_wmh2017, read_wmh2017
from nnunet_wmh.errors import SourceLayoutError, UsageError

LAYOUTS = ("wmh2017", "bids", "manifest")
_DETECTORS: tuple[tuple[str, Callable[[Path], bool]], ...] = (
    ("manifest", looks_like_manifest),
    ("bids", looks_like_bids),
    ("wmh2017", looks_like_wmh2017),
)


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
        "of the WMH 2017 tree, no sub-* folders of BIDS, not a .csv/.tsv manifest); give its `layout`"
    )


def read_source(
    source: str | os.PathLike[str],
    *,
    layout: str | None = None,
    images: str = "pre",
    derivatives: str | os.PathLike[str] | None = None,
    modalities: str | Sequence[Modality] | None = None,
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
    modalities
        The images to read (``flair,t1,t2`` or a sequence); default FLAIR and T1. Each layout finds a contrast
        its own way: BIDS suffix (``_T2w``), challenge file name (``T2.nii.gz``), manifest column (``t2``).
    """
    wanted = parse_modalities(modalities)
    path = Path(source).expanduser().absolute()
    layout = layout or detect_layout(path)
    if layout not in LAYOUTS:
        raise UsageError(f"unknown `layout` {layout!r}; choose from {', '.join(LAYOUTS)}", "layout")
    if images not in ("pre", "orig"):
        raise UsageError(f"`images` must be 'pre' or 'orig', got {images!r}", "images")
    if not path.exists():
        raise SourceLayoutError(f"{path}: no such file or folder")
    if derivatives is not None and layout != "bids":
        raise UsageError(f"`derivatives` applies to BIDS sources; {path} is read as {layout}", "derivatives")
    if images != "pre" and layout != "wmh2017":
        raise UsageError(f"`images` applies to the WMH 2017 layout; {path} is read as {layout}", "images")
    if layout == "manifest":
        return read_manifest(path, modalities=wanted)
    if layout == "bids":
        return read_bids(path, derivatives=Path(derivatives).absolute() if derivatives else None, modalities=wanted)
    return read_wmh2017(path, images=images, modalities=wanted)
