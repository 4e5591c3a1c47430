"""One subject through ``segment``'s main process: predict with the loaded model, write the mask, measure the
uncertainty; the report measures the case afterwards. The registrations came before
(:mod:`nnunet_wmh.segment.prepare`, in worker processes).

Files of a case, inside the run's (or part's) folder:

* ``predictions/CASE.nii.gz``: the lesion mask (uint8 0/1) of a lesion model, or the joint lesion × region
  labels of a multitask model (decoded as ``decode`` does: separate outputs, or a joint softmax through its
  lesion and region marginals), on the subject's FLAIR grid with the FLAIR's header;
* ``bids/sub-X[/ses-Y]/anat/…_space-FLAIR_desc-regions_dseg.nii.gz``: a multitask model's regions (a lesion
  model's atlas regions are written by :func:`~nnunet_wmh.segment.prepare.prepare_subject`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nnunet_wmh.decode.decoding import decode_probabilities
from nnunet_wmh.io import compact_labels, load_nifti, save_nifti
from nnunet_wmh.labels.joint import decode_joint_labels
from nnunet_wmh.nnunet.predictor import ModelRunner
from nnunet_wmh.report.bids import bids_entities
from nnunet_wmh.report.burden import MM3_PER_ML
from nnunet_wmh.report.cohort_tables import EXTRA_FLAGS, REGIONS_QC
from nnunet_wmh.report.inputs import CaseInputs
from nnunet_wmh.segment.prepare import PREDICTIONS_FOLDER, GateResult, PreparedSubject, bids_anat_folder
from nnunet_wmh.segment.routes import SubjectRoute
from nnunet_wmh.segment.uncertainty import lesion_probability, uncertainty_figures
from nnunet_wmh.tsv import MISSING, format_cell

#: A total lesion volume above this (mL) is flagged as implausible (the largest WMH loads reported are ~100 mL).
IMPLAUSIBLE_LESION_ML = 150.0
#: A mean lesion entropy above this (bits) flags the case as uncertain.
UNCERTAIN_ENTROPY_BITS = 0.4


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


def _model_output(runner: ModelRunner, predicted) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``(labels to write, lesion mask, the model's region map or None)`` of one prediction, shapes (X, Y, Z): a
    multitask model's joint labels and regions (separate outputs, or the joint softmax read through its
    marginals, as ``decode``), or a lesion model's mask."""
    model = runner.model
    if model.route.has_regions:
        labels = decode_probabilities(predicted.probabilities, model.dataset_json)
        written = np.asarray(labels).transpose(2, 1, 0)
        decoded = decode_joint_labels(written, model.encoding)
        return written, decoded.lesion, decoded.regions
    lesion = predicted.labels.transpose(2, 1, 0) == model.route.lesion_label
    return lesion.astype(np.uint8), lesion, None


def segment_subject(
    route: SubjectRoute, runner: ModelRunner, folder: Path, prepared: PreparedSubject, regions_name: str | None
) -> CaseInputs:
    """Predict one prepared subject and write its mask (and a multitask model's regions) into ``folder``.

    The lesion mask is always written; a co-registration or an atlas registration that failed its QC flags the
    subject (``coregistration_qc``, ``regions_qc`` in qc.tsv) and its regions are left out (the report's region
    rows say n/a). With the built-in atlas, the brain and ventricle masks let the report split periventricular
    / deep and give %ICV.

    Parameters
    ----------
    regions_name
        Where a lesion model's regions come from (``atlas``, ``builtin``); None for a multitask model.

    Returns the case's inputs for the report, with the route, the gates and the uncertainty as extra qc columns.
    """
    subject, model = route.subject, runner.model
    reference_path = subject.reference_image
    assert reference_path is not None, "routes serve subjects with an image"
    reference = load_nifti(reference_path)
    predicted = runner.predict(subject.key, [prepared.images.get(c) for c in route.channels])
    probability = lesion_probability(predicted.probabilities, model.route, model.dataset_json, runner.label_values)
    written, lesion, model_regions = _model_output(runner, predicted)
    prediction_path = folder / PREDICTIONS_FOLDER / f"{route.case}.nii.gz"
    prediction_path.parent.mkdir(parents=True, exist_ok=True)
    save_nifti(compact_labels(written), prediction_path, reference=reference, description="nnunet_wmh segment")
    if model_regions is not None:
        anat, prefix = bids_anat_folder(folder / "bids", route)
        anat.mkdir(parents=True, exist_ok=True)
        dseg = anat / f"{prefix}_space-FLAIR_desc-regions_dseg.nii.gz"
        save_nifti(compact_labels(model_regions), dseg, reference=reference, description="nnunet_wmh regions")
    voxel_mm3 = float(np.prod(reference.header.get_zooms()[:3]))
    figures = uncertainty_figures(probability.transpose(2, 1, 0), lesion, voxel_mm3)
    lesion_ml = float(np.count_nonzero(lesion)) * voxel_mm3 / MM3_PER_ML
    t1 = prepared.images.get("t1")
    gates = (prepared.coregistration, prepared.regions)
    extra = {
        "inputs_used": route.inputs_used,
        "t1_coregistered": format_cell(prepared.moved_t1) if t1 and subject.flair else MISSING,
        "coregistration_metric": format_cell(prepared.coregistration.metric),
        "coregistration_qc": prepared.coregistration.qc_text(prepared.moved_t1),
        "regions_from": regions_name or "model",
        "regions_metric": format_cell(prepared.regions.metric),
        "regions_inside_head": format_cell(prepared.inside_head),
        REGIONS_QC: prepared.regions.qc_text(regions_name is not None),
        "zones_from": "atlas" if prepared.brain_mask is not None else MISSING,
        **{name: format_cell(value) for name, value in figures.items()},
        EXTRA_FLAGS: _flags(lesion_ml, figures["lesion_entropy_bits"], *gates),
    }
    return CaseInputs(
        case=route.case,
        prediction=prediction_path,
        regions=prepared.region_map,
        ventricles=prepared.ventricles,
        brain_mask=prepared.brain_mask,
        image=reference_path,
        info=route.info(),
        bids=(*bids_entities(route.case, route.info()), "wmh"),
        qc_extra=tuple(extra.items()),
        other_images=tuple(path for path in prepared.images.values() if path is not None and path != reference_path),
    )
