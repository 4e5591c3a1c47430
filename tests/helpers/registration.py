"""Images for registration tests: a FLAIR and a T1 of one phantom head, the T1's frame moved by a known
rigid motion."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nnunet_wmh.synthetic.anatomy import random_rotation
from nnunet_wmh.synthetic.cohort import native_affine, save_image
from nnunet_wmh.synthetic.phantom import SubjectTransform, random_pathology, sample_subject


def write_moved_pair(folder: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    """A FLAIR on a 2-D-like grid and a 3-D T1 of the same head in ``folder``, whose scanner frame moved by a
    known rigid motion M (5° and 4 mm): T1 world x is FLAIR world M(x). Returns the folder, M's rotation and
    its shift (mm)."""
    rng = np.random.default_rng(11)
    head = SubjectTransform(random_rotation(rng, 6) @ np.diag(rng.uniform(0.95, 1.05, 3)), rng.uniform(-4, 4, 3))
    pathology = random_pathology(rng)
    flair_shape, flair_spacing = (120, 120, 48), (1.916, 1.916, 3.0)
    flair_affine = native_affine(flair_shape, flair_spacing, "LAS", rng)
    flair = sample_subject(flair_shape, flair_affine, head, pathology, rng).flair
    rotation, shift = random_rotation(np.random.default_rng(5), 5.0), np.array([4.0, -3.0, 2.0])
    moved = SubjectTransform(head.matrix @ rotation, head.matrix @ shift + head.translation)
    t1_shape, t1_spacing = (100, 116, 96), (1.6, 1.6, 1.6)
    t1_affine = native_affine(t1_shape, t1_spacing, "RAS", rng)
    t1 = sample_subject(t1_shape, t1_affine, moved, pathology, rng).t1
    save_image(flair, flair_affine, folder / "FLAIR.nii.gz")
    save_image(t1, t1_affine, folder / "T1.nii.gz")
    return folder, rotation, shift
