"""A hand-made cohort of predictions with region, ventricle and brain maps, for the report tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.helpers.images import oblique_affine, save

SHAPE = (12, 10, 4)
AFFINE = oblique_affine(spacing=(1.0, 1.0, 3.0))  # 3 mm³ voxels


def write_hand_cohort(tmp_path: Path) -> dict[str, Path]:
    """Three cases with hand-placed lesions, regions (ids 3 and 8), ventricles and brain masks.

    case_a: a 2 × 2 × 1 lesion (12 mm³) in region 3 touching the ventricle, and one voxel (3 mm³) in
            region 8; brain mask 400 voxels (1200 mm³).
    case_b: no lesion.
    case_c: one voxel in no region, 2 mm from region 8 (assigned by --outside nearest).
    """
    folders = {name: tmp_path / name for name in ("pred", "regions", "ventricles", "brain", "images")}
    regions = np.zeros(SHAPE, dtype=np.uint8)
    regions[:6, :, :] = 3  # 6 × 10 × 4 = 240 voxels
    regions[6:10, :, :2] = 8  # 4 × 10 × 2 = 80 voxels
    ventricles = np.zeros(SHAPE, dtype=np.uint8)
    ventricles[0, 0:3, 1] = 4  # FreeSurfer left lateral ventricle
    ventricles[11, 9, 3] = 43
    brain = np.zeros(SHAPE, dtype=np.uint8)
    brain[:10, :10, :] = 1  # 400 voxels
    lesions = {case: np.zeros(SHAPE, dtype=np.uint8) for case in ("case_a", "case_b", "case_c")}
    lesions["case_a"][1:3, 1:3, 1] = 1
    lesions["case_a"][8, 5, 0] = 1
    lesions["case_c"][11, 5, 1] = 1  # x = 11: 2 mm from region 8 (x = 6..9)
    rng = np.random.default_rng(0)
    for case, lesion in lesions.items():
        save(lesion, folders["pred"] / f"{case}.nii.gz", AFFINE)
        save(regions, folders["regions"] / f"{case}.nii.gz", AFFINE)
        save(ventricles, folders["ventricles"] / f"{case}.nii.gz", AFFINE)
        save(brain, folders["brain"] / f"{case}.nii.gz", AFFINE)
        save(rng.uniform(0, 100, SHAPE).astype(np.float32), folders["images"] / f"{case}_0000.nii.gz", AFFINE)
    table = tmp_path / "regions.tsv"
    table.write_text("index\tname\n3\tfrontal\n8\toccipital\n")
    folders["table"] = table
    return folders
