"""Fixtures of the registration tests: a tiny hand-made atlas whose labels can be put on another grid."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest

from tests.helpers.images import oblique_affine, save


class AtlasFiles(NamedTuple):
    image: Path
    labels: Path
    table: Path


@pytest.fixture
def atlas_pair(tmp_path):
    """``write(...)`` writes a template of 10 × 10 × 4 voxels of 1 × 1 × 3 mm (oblique, its origin not a float32
    number), its labels (two halves: 1 and 2) and their table into ``tmp_path/atlas``. The labels are on the
    template's grid unless moved (``shift_mm``, world mm), turned about z (``turn_rad``), given another slice
    thickness (``slice_mm``) or another shape (``labels_shape``)."""

    def write(*, shift_mm=(0.0, 0.0, 0.0), turn_rad=0.0, slice_mm=3.0, labels_shape=(10, 10, 4)) -> AtlasFiles:
        folder = tmp_path / "atlas"
        origin = np.array([-90.3, -126.7, -72.1])
        template = oblique_affine(spacing=(1.0, 1.0, 3.0), origin=tuple(origin), degrees=10)
        labels_grid = oblique_affine(spacing=(1.0, 1.0, slice_mm), origin=tuple(origin + shift_mm),
                                     degrees=10 + np.rad2deg(turn_rad))  # fmt: skip
        rng = np.random.default_rng(0)
        image = save(rng.uniform(100, 200, (10, 10, 4)).astype(np.float32), folder / "template.nii.gz", template)
        labels = np.zeros(labels_shape, np.uint8)
        labels[:5], labels[5:] = 1, 2
        labels_path = save(labels, folder / "labels.nii.gz", labels_grid)
        table = folder / "regions.tsv"
        table.write_text("index\tname\n1\tleft\n2\tright\n")
        return AtlasFiles(image, labels_path, table)

    return write
