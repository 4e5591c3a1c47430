"""The phantom: lesions bright on FLAIR and dark on T1, regions inside white matter."""

import json

import nibabel as nib
import numpy as np

from nnunet_wmh.synthetic import SYNTHETIC_REGION_TABLE, make_synthetic_cohort
from nnunet_wmh.synthetic.anatomy import WHITE_MATTER, grid_world_points, tissue_classes
from tests.helpers.images import read_labels


def test_lesions_are_bright_on_flair_and_dark_on_t1_relative_to_white_matter(tmp_path):
    make_synthetic_cohort(tmp_path / "c", subjects=1, seed=3, progress=False)
    subject = tmp_path / "c/training/Utrecht/0"
    flair, t1 = (np.asanyarray(nib.load(subject / f"pre/{m}.nii.gz").dataobj) for m in ("FLAIR", "T1"))
    lesion = read_labels(subject / "wmh.nii.gz") == 1
    regions = read_labels(subject / "regions.nii.gz")
    white_matter = (regions > 0) & ~lesion & (read_labels(subject / "wmh.nii.gz") == 0)
    assert np.median(flair[lesion]) > 1.5 * np.median(flair[white_matter])
    assert np.median(t1[lesion]) < 0.8 * np.median(t1[white_matter])


def test_region_map_has_all_16_left_right_regions_inside_white_matter(tmp_path):
    make_synthetic_cohort(tmp_path / "c", subjects=1, seed=3, progress=False)
    image = nib.load(tmp_path / "c/training/Utrecht/0/regions.nii.gz")
    regions = np.asanyarray(image.dataobj)
    assert set(np.unique(regions).tolist()) == {0, *SYNTHETIC_REGION_TABLE}
    assert sum(name.endswith("_L") for name in SYNTHETIC_REGION_TABLE.values()) == 8
    inside = regions > 0
    world = grid_world_points(regions.shape, image.affine)[inside.ravel()]
    # Every region voxel is white matter of the phantom seen through the subject's transform.
    provenance = json.loads((tmp_path / "c/synth.json").read_text())["subjects"][0]
    from nnunet_wmh.synthetic.phantom import SubjectTransform

    affine = np.array(provenance["world_to_template_affine"])
    transform = SubjectTransform(
        affine[:3, :3], affine[:3, 3], provenance["warp_mm"], np.array(provenance["warp_phase"])
    )
    assert (tissue_classes(transform(world)) == WHITE_MATTER).all()
