"""The part of one ``segment`` subject that needs no model: images onto the FLAIR grid, the atlas registered.

It runs in ``jobs`` worker processes while the main process keeps the model loaded and predicts subject after
subject (:func:`nnunet_wmh.runs.parallel.pipelined`): a subject's registrations overlap other subjects'
inference. Everything it takes and returns is small and picklable (paths, figures); the images it makes are
written into the subject's BIDS folder:

* ``…_space-FLAIR_T1w.nii.gz`` (``_T2w``, ...): an image moved onto the FLAIR grid, with its transform;
* ``…_space-FLAIR_desc-regions_dseg.nii.gz``: the atlas registered to the subject (a lesion model's regions),
  or ``…_desc-regionsfailedqc_dseg.nii.gz`` when the registration failed its QC;
* ``…_space-FLAIR_desc-brain_mask.nii.gz``, ``…_desc-ventricles_mask.nii.gz``: the built-in atlas's zones.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nnunet_wmh.cohorts.bids import IMAGE_SUFFIXES
from nnunet_wmh.cohorts.subject import ZERO
from nnunet_wmh.dataset_conversion.coregistration import off_grid
from nnunet_wmh.errors import RegistrationError
from nnunet_wmh.io import compact_labels, load_nifti, save_nifti
from nnunet_wmh.report.bids import bids_entities
from nnunet_wmh.report.cohort_tables import FAILED_PREFIX
from nnunet_wmh.segment.routes import SubjectRoute
from nnunet_wmh.tsv import MISSING

#: The run's folders beside the report: the label maps the model predicted, and the logs of its commands.
PREDICTIONS_FOLDER, LOGS_FOLDER = "predictions", "logs"


@dataclass(frozen=True)
class RegionSource:
    """Where a lesion model's regions come from: an atlas to register (``name`` ``atlas`` or ``builtin``)."""

    name: str
    atlas: object  # nnunet_wmh.registration.atlas.Atlas (typed loosely: SimpleITK is imported late)
    transform: str


def bids_anat_folder(bids_dir: Path, route: SubjectRoute) -> tuple[Path, str]:
    """``(bids/sub-X[/ses-Y]/anat, "sub-X[_ses-Y]")`` of a subject."""
    participant, session = bids_entities(route.case, route.info())
    folder = bids_dir / participant / (session or "") / "anat"
    return folder, participant + (f"_{session}" if session else "")


@dataclass(frozen=True)
class GateResult:
    """How one quality gate of a subject ended: ``problem`` is None when it passed."""

    metric: float = math.nan
    problem: str | None = None

    def qc_text(self, ran: bool) -> str:
        """qc.tsv's text: ``pass``, ``failed: why``, or ``n/a`` when the gate did not run."""
        if not ran:
            return MISSING
        return "pass" if self.problem is None else f"{FAILED_PREFIX}{self.problem}"


def _on_flair_grid(route: SubjectRoute, modality: str, anat: Path, prefix: str) -> tuple[Path | None, GateResult]:
    """The subject's image of ``modality`` on its FLAIR grid (moved there when it is not; a move that fails its
    QC is used and flagged) and how the co-registration ended (metric NaN when not moved)."""
    from nnunet_wmh.registration.coregister import coregister  # heavy: SimpleITK

    subject = route.subject
    image = subject.image(modality)
    if image is None or not off_grid(subject, modality):
        return image, GateResult()
    anat.mkdir(parents=True, exist_ok=True)
    moved = anat / f"{prefix}_space-FLAIR{IMAGE_SUFFIXES[modality]}.nii.gz"
    result = coregister(subject.flair, image, moved, subject=subject.key, require_qc=False)
    return result.image, GateResult(result.metric, result.problem)


@dataclass(frozen=True)
class AtlasRegions:
    """The atlas regions on a subject's grid (None when the registration gave up) and how the QC ended."""

    labels: np.ndarray | None
    gate: GateResult
    inside_head: float = math.nan
    #: The atlas's zones on the subject grid (1 brain, 2 lateral ventricles; the built-in atlas), or None.
    zones: np.ndarray | None = None


def _atlas_regions(source: RegionSource, image: Path, subject: str) -> AtlasRegions:
    """The atlas registered to the subject; a registration that gives up or fails its QC is returned with its
    problem (the subject is flagged, its lesion mask still written)."""
    from nnunet_wmh.registration.atlas import map_atlas  # heavy: SimpleITK

    try:
        mapping = map_atlas(source.atlas, image, subject=subject, transform=source.transform, require_qc=False)  # type: ignore[arg-type]
    except RegistrationError as exc:
        return AtlasRegions(None, GateResult(problem=exc.problem))
    return AtlasRegions(mapping.labels, GateResult(mapping.metric, mapping.problem), mapping.inside_head, mapping.zones)


def _zone_masks(zones: np.ndarray | None, anat: Path, prefix: str, reference) -> tuple[Path | None, Path | None]:
    """The brain and ventricle masks of the atlas's zones, written as ``…_space-FLAIR_desc-brain_mask`` and
    ``…_desc-ventricles_mask`` (uint8 0/1, the FLAIR's header); ``(None, None)`` without zones."""
    if zones is None:
        return None, None
    from nnunet_wmh.registration.builtin_atlas import VENTRICLE_ZONE  # heavy: nibabel, the built-in atlas

    brain = anat / f"{prefix}_space-FLAIR_desc-brain_mask.nii.gz"
    ventricles = anat / f"{prefix}_space-FLAIR_desc-ventricles_mask.nii.gz"
    save_nifti((zones > 0).astype(np.uint8), brain, reference=reference, description="nnunet_wmh atlas brain")
    ventricle_mask = (zones == VENTRICLE_ZONE).astype(np.uint8)
    save_nifti(ventricle_mask, ventricles, reference=reference, description="nnunet_wmh atlas ventricles")
    return brain, ventricles


@dataclass(frozen=True)
class PreparedSubject:
    """What :func:`prepare_subject` made of one subject (picklable: paths and figures).

    Attributes
    ----------
    images
        The image of each modality the route reads, on the FLAIR grid (None where absent).
    coregistration
        How the T1's co-registration ended (metric NaN when it was not moved).
    moved_t1
        Whether the T1 was moved onto the FLAIR grid.
    regions
        How the atlas registration ended (a lesion model's regions; metric NaN for a multitask model).
    inside_head
        Share of the atlas regions inside the head (NaN without an atlas).
    region_map, brain_mask, ventricles
        The files written: the region map when it passed its QC, the zones' masks (None where absent).
    seconds
        Wall time per stage (``coregister``, ``register``).
    """

    images: dict[str, Path | None]
    coregistration: GateResult
    moved_t1: bool
    regions: GateResult
    inside_head: float = math.nan
    region_map: Path | None = None
    brain_mask: Path | None = None
    ventricles: Path | None = None
    seconds: dict[str, float] = field(default_factory=dict)


def prepare_subject(route: SubjectRoute, folder: Path, regions: RegionSource | None) -> PreparedSubject:
    """Move the route's images onto the FLAIR grid and register the atlas (``regions``; None for a multitask
    model); write their files into ``folder/bids``. A registration that fails its QC is kept and flagged.

    Raises
    ------
    InputDataError
        An image that cannot be read, or a co-registration SimpleITK gives up on (names subject and file).
    """
    subject, started = route.subject, time.perf_counter()
    anat, prefix = bids_anat_folder(folder / "bids", route)
    t1, coregistration = _on_flair_grid(route, "t1", anat, prefix) if route.uses_t1 else (None, GateResult())
    images: dict[str, Path | None] = {"flair": subject.flair, "t1": t1}
    for modality in dict.fromkeys(c for c in route.channels if c not in ("flair", "t1", ZERO)):
        images[modality] = _on_flair_grid(route, modality, anat, prefix)[0]
    moved_t1 = bool(t1 and subject.flair and not math.isnan(coregistration.metric))
    seconds = {"coregister": time.perf_counter() - started}
    if regions is None:
        return PreparedSubject(images, coregistration, moved_t1, GateResult(), seconds=seconds)
    started = time.perf_counter()
    registered = t1 if t1 is not None else subject.reference_image  # the template is a T1: its best match
    mapped = _atlas_regions(regions, registered, subject.key)  # type: ignore[arg-type]
    reference = load_nifti(subject.reference_image)  # type: ignore[arg-type]
    passed = mapped.gate.problem is None
    region_map = anat / f"{prefix}_space-FLAIR_desc-{'regions' if passed else 'regionsfailedqc'}_dseg.nii.gz"
    if mapped.labels is not None:
        anat.mkdir(parents=True, exist_ok=True)
        save_nifti(compact_labels(mapped.labels), region_map, reference=reference, description="nnunet_wmh regions")
    brain, ventricles = _zone_masks(mapped.zones if passed else None, anat, prefix, reference)
    seconds["register"] = time.perf_counter() - started
    return PreparedSubject(images, coregistration, moved_t1, mapped.gate, mapped.inside_head,
                           region_map if passed else None, brain, ventricles, seconds)  # fmt: skip
