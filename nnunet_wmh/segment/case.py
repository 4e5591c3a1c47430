"""One subject through ``segment``: co-register, predict, regions, files; the report measures it afterwards.

Files of a case, inside the run's (or part's) folder:

* ``predictions/CASE.nii.gz``: the lesion mask (uint8 0/1) of a lesion model, or the joint lesion × region
  labels of a multitask model (decoded as ``decode`` does: separate outputs, or a joint softmax through its
  lesion and region marginals), on the subject's FLAIR grid with the FLAIR's header;
* ``bids/sub-X[/ses-Y]/anat/``: ``…_space-FLAIR_desc-regions_dseg.nii.gz`` (the whole region map: the
  multitask model's regions, or the atlas registered to the subject) and, for a T1 (T2, PD, ...) that was
  moved onto the FLAIR grid, ``…_space-FLAIR_T1w.nii.gz`` (``_T2w``, ``_PDw``, ...) with its transform.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnunet_wmh.cohorts.bids import IMAGE_SUFFIXES
from nnunet_wmh.cohorts.subject import ZERO
from nnunet_wmh.dataset_conversion.coregistration import off_grid
from nnunet_wmh.decode.decoding import decode_probabilities
from nnunet_wmh.errors import RegistrationError
from nnunet_wmh.io import compact_labels, load_nifti, save_nifti
from nnunet_wmh.labels.joint import decode_joint_labels
from nnunet_wmh.nnunet.predictor import ModelRunner
from nnunet_wmh.report.bids import bids_entities
from nnunet_wmh.report.burden import MM3_PER_ML
from nnunet_wmh.report.cohort_tables import EXTRA_FLAGS, FAILED_PREFIX, REGIONS_QC
from nnunet_wmh.report.inputs import CaseInputs
from nnunet_wmh.segment.routes import SubjectRoute
from nnunet_wmh.segment.uncertainty import lesion_probability, uncertainty_figures
from nnunet_wmh.tsv import MISSING, format_cell

#: The run's folders beside the report: nnU-Net's label maps, and the logs of its commands.
PREDICTIONS_FOLDER, LOGS_FOLDER = "predictions", "logs"
#: A total lesion volume above this (mL) is flagged as implausible (the largest WMH loads reported are ~100 mL).
IMPLAUSIBLE_LESION_ML = 150.0
#: A mean lesion entropy above this (bits) flags the case as uncertain.
UNCERTAIN_ENTROPY_BITS = 0.4


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


def _flags(lesion_ml: float, entropy: float, coregistration: GateResult, regions: GateResult) -> str:
    flags = []
    if coregistration.problem is not None:
        flags.append(f"co-registration failed QC: {coregistration.problem}")
    if regions.problem is not None:
        flags.append(f"regions failed QC: {regions.problem}")
    if lesion_ml > IMPLAUSIBLE_LESION_ML:
        flags.append(f"implausible lesion volume ({lesion_ml:.0f} mL > {IMPLAUSIBLE_LESION_ML:.0f} mL)")
    if entropy > UNCERTAIN_ENTROPY_BITS:
        flags.append(f"uncertain (lesion entropy {entropy:.2f} bits > {UNCERTAIN_ENTROPY_BITS})")
    return "; ".join(flags)


def _lesion_and_regions(route: SubjectRoute, runner: ModelRunner, predicted, t1: Path | None, regions):
    """``(labels to write, lesion mask, AtlasRegions)`` of one prediction, shapes (X, Y, Z): a multitask model's
    joint labels and regions (separate outputs, or the joint softmax read through its marginals, as ``decode``),
    or a lesion model's mask and the atlas registered to the subject."""
    model = runner.model
    if model.route.has_regions:
        labels = decode_probabilities(predicted.probabilities, model.dataset_json)
        written = np.asarray(labels).transpose(2, 1, 0)
        decoded = decode_joint_labels(written, model.encoding)
        return written, decoded.lesion, AtlasRegions(decoded.regions, GateResult())
    lesion = predicted.labels.transpose(2, 1, 0) == model.route.lesion_label
    assert regions is not None, "lesion models get an atlas"
    registered = t1 if t1 is not None else route.subject.reference_image  # the template is a T1: its best match
    return lesion.astype(np.uint8), lesion, _atlas_regions(regions, registered, route.subject.key)


def segment_subject(route: SubjectRoute, runner: ModelRunner, folder: Path, regions: RegionSource | None) -> CaseInputs:
    """Co-register, predict and map the regions of one served subject; write its files into ``folder``.

    The lesion mask is always written; a co-registration or an atlas registration that fails its QC flags the
    subject (``coregistration_qc``, ``regions_qc`` in qc.tsv): its regions are then left out (the report's
    region rows say n/a) and the doubtful map is kept as ``…_desc-regionsfailedqc_dseg.nii.gz`` to look at.
    With the built-in atlas, its brain and ventricles come along (``…_desc-brain_mask``,
    ``…_desc-ventricles_mask``): the report then splits periventricular / deep and gives %ICV.

    Returns the case's inputs for the report, with the route, the gates and the uncertainty as extra qc columns.

    Raises
    ------
    InputDataError
        An image that cannot be read, or a co-registration SimpleITK gives up on (names subject and file).
    """
    subject, model = route.subject, runner.model
    reference_path = subject.reference_image
    assert reference_path is not None, "routes serve subjects with an image"
    reference = load_nifti(reference_path)
    anat, prefix = bids_anat_folder(folder / "bids", route)
    t1, coregistration = _on_flair_grid(route, "t1", anat, prefix) if route.uses_t1 else (None, GateResult())
    images = {"flair": subject.flair, "t1": t1}
    for modality in dict.fromkeys(c for c in route.channels if c not in ("flair", "t1", ZERO)):
        images[modality] = _on_flair_grid(route, modality, anat, prefix)[0]
    predicted = runner.predict(subject.key, [images.get(c) for c in route.channels])
    probability = lesion_probability(predicted.probabilities, model.route, model.dataset_json, runner.label_values)
    written, lesion, mapped = _lesion_and_regions(route, runner, predicted, t1, regions)
    prediction_path = folder / PREDICTIONS_FOLDER / f"{route.case}.nii.gz"
    prediction_path.parent.mkdir(parents=True, exist_ok=True)
    save_nifti(compact_labels(written), prediction_path, reference=reference, description="nnunet_wmh segment")
    regions_ok = mapped.gate.problem is None
    desc = "regions" if regions_ok else "regionsfailedqc"
    dseg = anat / f"{prefix}_space-FLAIR_desc-{desc}_dseg.nii.gz"
    if mapped.labels is not None:
        anat.mkdir(parents=True, exist_ok=True)
        save_nifti(compact_labels(mapped.labels), dseg, reference=reference, description="nnunet_wmh regions")
    brain, ventricles = _zone_masks(mapped.zones if regions_ok else None, anat, prefix, reference)
    voxel_mm3 = float(np.prod(reference.header.get_zooms()[:3]))
    figures = uncertainty_figures(probability.transpose(2, 1, 0), lesion, voxel_mm3)
    lesion_ml = float(np.count_nonzero(lesion)) * voxel_mm3 / MM3_PER_ML
    moved_t1 = bool(t1 and subject.flair and not math.isnan(coregistration.metric))
    extra = {
        "inputs_used": route.inputs_used,
        "t1_coregistered": format_cell(moved_t1) if t1 and subject.flair else MISSING,
        "coregistration_metric": format_cell(coregistration.metric),
        "coregistration_qc": coregistration.qc_text(moved_t1),
        "regions_from": "model" if model.route.has_regions else regions.name,  # type: ignore[union-attr]
        "regions_metric": format_cell(mapped.gate.metric),
        "regions_inside_head": format_cell(mapped.inside_head),
        "zones_from": "atlas" if brain is not None else MISSING,
        REGIONS_QC: mapped.gate.qc_text(not model.route.has_regions),
        **{name: format_cell(value) for name, value in figures.items()},
        EXTRA_FLAGS: _flags(lesion_ml, figures["lesion_entropy_bits"], coregistration, mapped.gate),
    }
    return CaseInputs(
        case=route.case,
        prediction=prediction_path,
        regions=dseg if not model.route.has_regions and regions_ok else None,
        ventricles=ventricles,
        brain_mask=brain,
        image=reference_path,
        info=route.info(),
        bids=(*bids_entities(route.case, route.info()), "wmh"),
        qc_extra=tuple(extra.items()),
    )
