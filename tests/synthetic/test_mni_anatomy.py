"""Brain-shaped phantoms: subjects drawn from nilearn's MNI152 template (``synth --anatomy mni152``)."""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from nnunet_wmh.errors import UsageError
from nnunet_wmh.labels.region_table import read_region_table
from nnunet_wmh.registration.builtin_atlas import builtin_region_table
from nnunet_wmh.synthetic import make_synthetic_cohort
from nnunet_wmh.synthetic.anatomy import BACKGROUND, SCALP, SKULL, VENTRICLE, WHITE_MATTER
from nnunet_wmh.synthetic.mni_anatomy import (
    SCALP_MM,
    SKULL_MM,
    Mni152Anatomy,
    build_mni152_anatomy,
)
from nnunet_wmh.synthetic.options import SynthOptions


@pytest.fixture(scope="module")
def anatomy(tmp_path_factory) -> Mni152Anatomy:
    return Mni152Anatomy(build_mni152_anatomy(tmp_path_factory.mktemp("mni") / "maps.npz"))


@pytest.fixture(scope="module")
def cohort(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("mni_cohort") / "bids"
    make_synthetic_cohort(root, subjects=3, size="small", layout="bids", anatomy="mni152", seed=2, progress=False)
    return root


def _voxels(path: Path) -> np.ndarray:
    return np.asanyarray(nib.load(path).dataobj)


def _derivative(cohort: Path, subject: str, desc: str) -> Path:
    return cohort / "derivatives/synth" / subject / "anat" / f"{subject}_space-FLAIR_desc-{desc}.nii.gz"


def test_tissue_outside_the_brain_is_skull_then_scalp_then_background(anatomy):
    """Walking out of the brain along +x from the deepest white matter point of the left hemisphere."""
    brain_edge = None
    for x in np.arange(0.0, 100.0, 0.5):
        if anatomy.tissue_classes(np.array([[x, -18.0, 30.0]]))[0] in (SKULL, SCALP, BACKGROUND):
            brain_edge = x
            break
    assert brain_edge is not None and 55 < brain_edge < 75  # mm: half an adult brain's width
    at = [[brain_edge + d, -18.0, 30.0] for d in (1.0, SKULL_MM - 1.0, SKULL_MM + 1.5, SCALP_MM + 2.0)]
    assert anatomy.tissue_classes(np.array(at)).tolist() == [SKULL, SKULL, SCALP, BACKGROUND]


def test_caps_touch_the_ventricles_and_lesion_centres_lie_deep_in_white_matter(anatomy):
    caps = np.array(anatomy.cap_centres())
    assert caps.shape == (4, 3) and (caps[:2, 0] < 0).all() and (caps[2:, 0] > 0).all()
    assert caps[0, 1] > caps[1, 1] and caps[2, 1] > caps[3, 1]  # front, then back
    assert anatomy.rim(caps, 2.5).all()  # within 2.5 mm of a ventricle
    points = anatomy.white_matter_points(np.random.default_rng(0), 200, 0.8)
    assert (anatomy.tissue_classes(points) == WHITE_MATTER).mean() > 0.95  # jittered within their voxel
    assert (anatomy.region_map(points, anatomy.tissue_classes(points)) > 0).mean() > 0.95


def test_regions_are_the_builtin_atlas_ids_and_cover_exactly_the_white_matter(anatomy):
    grid = np.stack(np.meshgrid(np.arange(-70, 70, 3.0), np.arange(-100, 70, 3.0), np.arange(-40, 80, 3.0)), -1)
    points = grid.reshape(-1, 3)
    tissue = anatomy.tissue_classes(points)
    regions = anatomy.region_map(points, tissue)
    assert set(np.unique(regions)) - {0} <= set(builtin_region_table())
    assert len(set(np.unique(regions)) - {0}) >= 28
    assert ((regions > 0) == (tissue == WHITE_MATTER)).mean() > 0.999
    assert not regions[tissue == VENTRICLE].any()


def test_a_bids_cohort_has_31_true_regions_in_white_matter_and_lesions_in_white_matter(cohort):
    assert read_region_table(cohort / "derivatives/synth/desc-regions_dseg.tsv") == builtin_region_table()
    provenance = json.loads((cohort / "synth.json").read_text())
    assert provenance["anatomy"] == "mni152" and {s["anatomy"] for s in provenance["subjects"]} == {"mni152"}
    assert not list(cohort.rglob("*.npz"))  # the tissue maps are scratch
    for subject in ("sub-001", "sub-002", "sub-003"):
        regions = _voxels(_derivative(cohort, subject, "regions_dseg"))
        aseg = _voxels(_derivative(cohort, subject, "aseg_dseg"))
        lesion = _voxels(_derivative(cohort, subject, "wmh_mask"))
        white = np.isin(aseg, (2, 41))
        assert np.array_equal(regions > 0, white)
        assert np.count_nonzero(lesion == 1) > 0 and not np.any((lesion == 1) & ~white)
        assert np.isin(aseg, (4, 43)).any()


def test_the_true_icv_is_the_template_brain_scaled_by_the_subject_affine(cohort, anatomy):
    """The phantom's intracranial volume (aseg > 0, in mL) is the template brain's volume divided by the
    determinant of the subject's world → template matrix (the smooth warp changes it by well under 2 %)."""
    template = _voxels(cohort / "derivatives/synth/template/template_aseg.nii.gz")
    template_zooms = nib.load(cohort / "derivatives/synth/template/template_aseg.nii.gz").header.get_zooms()
    template_ml = np.count_nonzero(template) * float(np.prod(template_zooms)) / 1000
    records = json.loads((cohort / "synth.json").read_text())["subjects"]
    for record in records:
        aseg = nib.load(cohort / record["files"]["anatomy"])
        native_ml = np.count_nonzero(np.asanyarray(aseg.dataobj)) * float(np.prod(aseg.header.get_zooms())) / 1000
        determinant = abs(np.linalg.det(np.array(record["world_to_template_affine"])[:3, :3]))
        assert native_ml == pytest.approx(template_ml / determinant, rel=0.03), record["subject"]
    assert 1300 < template_ml < 2100


def test_the_analytic_phantom_stays_the_default_and_an_unknown_anatomy_is_refused():
    assert SynthOptions(subjects=1).anatomy == "phantom"
    with pytest.raises(UsageError, match="`anatomy`"):
        SynthOptions(subjects=1, anatomy="colin27").check()
