"""BIDS derivative files of the report (``bids_derivatives``).

Per case, in ``DIR/sub-X[/ses-Y]/anat/``:

* ``sub-X[_ses-Y]_space-FLAIR_desc-wmh_mask.nii.gz``: the lesion mask used for the tables (after the
  minimum-size filter), on the prediction's grid and header;
* ``sub-X[_ses-Y]_space-FLAIR_desc-wmhregions_dseg.nii.gz`` (with regions): every lesion voxel labelled
  with its region id (after the ``outside`` policy), lesion voxels in no region with 65535 (``outside_regions``).

At the top of DIR: ``desc-wmhregions_dseg.tsv`` (``index``, ``name``; it applies to every dseg file by
BIDS inheritance) and ``dataset_description.json`` with ``GeneratedBy``.

Participants and sessions come from ``conversion.tsv`` (``conversion_tsv``); without it the case id
is the participant label. Several cases of one participant and session (the input variants of an
interchangeable dataset) get the variant in ``desc``: ``desc-wmhPaired``, ``desc-wmhFLAIRonly``,
``desc-wmhT1only``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nnunet_wmh import __version__
from nnunet_wmh.conversion_table import FLAIR_ONLY, PAIRED, T1_ONLY, CaseInfo
from nnunet_wmh.errors import UsageError
from nnunet_wmh.io import save_nifti
from nnunet_wmh.labels.joint import OUTSIDE_REGIONS_NAME
from nnunet_wmh.modalities import MODALITY_NAMES
from nnunet_wmh.runs.outputs import atomic_output_folder, check_output
from nnunet_wmh.tsv import MISSING, write_tsv

if TYPE_CHECKING:
    import nibabel as nib

    from nnunet_wmh.report.burden import CaseRegions
    from nnunet_wmh.report.lesions import LesionVoxels

OUTSIDE_INDEX = 65535
BIDS_VERSION = "1.9.0"
VARIANT_DESC = {PAIRED: "Paired", FLAIR_ONLY: "FLAIRonly", T1_ONLY: "T1only"}


def _label(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", value)


def variant_desc(variant: str) -> str:
    """The ``desc`` suffix of an input variant: ``Paired``, ``FLAIRonly``, ``T1only``; ``FLAIRT2`` for
    ``flair+t2``."""
    if variant in VARIANT_DESC:
        return VARIANT_DESC[variant]
    names = [MODALITY_NAMES.get(m, m) for m in variant.split("+")]
    return _label("".join(names)) + ("only" if len(names) == 1 else "")


def bids_entities(case: str, info: CaseInfo | None) -> tuple[str, str | None]:
    """``(sub-X, ses-Y or None)`` of a case."""
    participant = (info.participant_id if info else "") or f"sub-{_label(case)}"
    session = info.session_id if info else None
    return participant, session if session not in (None, "", MISSING) else None


def bids_prefixes(cases: Sequence[str], info: Mapping[str, CaseInfo]) -> dict[str, tuple[str, str | None, str]]:
    """``{case: (sub-X, ses-Y or None, desc)}`` for all cases of the cohort.

    Raises
    ------
    UsageError
        If two cases would get the same file names.
    """
    entities = {case: bids_entities(case, info.get(case)) for case in cases}
    shared = Counter(entities.values())
    names: dict[str, tuple[str, str | None, str]] = {}
    for case in cases:
        desc = "wmh"
        if shared[entities[case]] > 1:
            known = info.get(case)
            desc += variant_desc(known.variant) if known and known.variant else _label(case)
        names[case] = (*entities[case], desc)
    clashes = [key for key, n in Counter(names.values()).items() if n > 1]
    if clashes:
        shown = ", ".join(f"{s}{'_' + ses if ses else ''}_desc-{d}" for s, ses, d in clashes[:5])
        raise UsageError(
            f"several cases would write the same BIDS files ({shown}); check `conversion_tsv`", "conversion_tsv"
        )
    return names


def write_case_derivatives(
    bids_dir: Path,
    names: tuple[str, str | None, str],
    image: nib.Nifti1Image,
    lesions: LesionVoxels,
    regions: CaseRegions | None,
    classes: np.ndarray | None,
) -> list[Path]:
    """Write one case's mask (and region dseg); returns the paths."""
    participant, session, desc = names
    folder = bids_dir / participant / (session or "") / "anat"
    folder.mkdir(parents=True, exist_ok=True)
    prefix = participant + (f"_{session}" if session else "")
    mask_path = folder / f"{prefix}_space-FLAIR_desc-{desc}_mask.nii.gz"
    mask = lesions.mask(image.shape[:3]).astype(np.uint8)
    save_nifti(mask, mask_path, reference=image, description="nnunet_wmh lesions")
    written = [mask_path]
    if regions is not None and classes is not None:
        ids = np.array((OUTSIDE_INDEX, *regions.index.region_ids), dtype=np.int64)
        if ids.max() > OUTSIDE_INDEX:
            raise UsageError(
                f"region ids above {OUTSIDE_INDEX - 1} cannot be written as a BIDS dseg map (`bids_derivatives`)",
                "bids_derivatives",
            )
        labels = np.zeros(image.shape[:3], dtype=np.uint16)
        labels[tuple(lesions.indices.T)] = ids[classes]
        dseg_path = folder / f"{prefix}_space-FLAIR_desc-{desc}regions_dseg.nii.gz"
        save_nifti(labels, dseg_path, reference=image, description="nnunet_wmh lesions by region")
        written.append(dseg_path)
    return written


def write_dataset_files(
    bids_dir: Path,
    region_names: Mapping[int, str],
    *,
    generated_by: Mapping[str, object] | None = None,
    atlas_regions: Mapping[str, str] | None = None,
) -> None:
    """Write ``dataset_description.json`` and, with regions, ``desc-wmhregions_dseg.tsv``.

    Parameters
    ----------
    generated_by
        Replaces the report's ``GeneratedBy`` entry (``segment`` names itself and its model).
    atlas_regions
        ``{id: name}`` of whole region maps (``desc-regions_dseg``) written beside the masks: adds
        ``desc-regions_dseg.tsv``.
    """
    bids_dir.mkdir(parents=True, exist_ok=True)
    default = {
        "Name": "nnunet_wmh",
        "Version": __version__,
        "Description": "nnunet_wmh report: lesion masks and lesion-by-region maps from nnU-Net predictions",
    }
    description = {
        "Name": "nnunet_wmh: white matter hyperintensity segmentation and localization",
        "BIDSVersion": BIDS_VERSION,
        "DatasetType": "derivative",
        "GeneratedBy": [dict(generated_by) if generated_by else default],
    }
    if atlas_regions:
        rows = [{"index": int(i), "name": name} for i, name in sorted(atlas_regions.items(), key=lambda x: int(x[0]))]
        write_tsv(bids_dir / "desc-regions_dseg.tsv", rows, ["index", "name"])
    (bids_dir / "dataset_description.json").write_text(json.dumps(description, indent=2) + "\n")
    if region_names:
        rows = [{"index": i, "name": region_names[i]} for i in sorted(region_names)]
        rows.append({"index": OUTSIDE_INDEX, "name": OUTSIDE_REGIONS_NAME})
        write_tsv(bids_dir / "desc-wmhregions_dseg.tsv", rows, ["index", "name"])


def check_bids_output(bids: str | os.PathLike[str] | None, out_dir: Path, *, overwrite: bool) -> None:
    """The output rule for a BIDS folder of its own (one inside the report is built with the report)."""
    if bids is not None and not Path(bids).expanduser().absolute().is_relative_to(out_dir):
        check_output(bids, overwrite=overwrite)


@contextlib.contextmanager
def bids_folder(
    bids: str | os.PathLike[str] | None, out_dir: Path, staging: Path, *, overwrite: bool
) -> Iterator[Path | None]:
    """Where the BIDS files go while the report is built in ``staging``: a folder of their own, built and moved
    into place like the report, or, when it lies inside the report, its place inside ``staging``."""
    if bids is None:
        yield None
        return
    bids = Path(bids).expanduser().absolute()
    if bids.is_relative_to(out_dir):
        inside = staging / bids.relative_to(out_dir)
        inside.mkdir(parents=True, exist_ok=True)
        yield inside
        return
    with atomic_output_folder(bids, overwrite=overwrite) as folder:
        yield folder
