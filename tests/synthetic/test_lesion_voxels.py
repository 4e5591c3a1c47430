"""Voxel counts of the truth lesions: 26-connected components and volumes, by hand."""

from __future__ import annotations

import numpy as np

from nnunet_wmh.synthetic.lesion_voxels import component_count, component_volumes_mm3, volume_mm3


def test_components_and_volumes_of_chosen_lesion_ids():
    ids = np.zeros((6, 6, 3), np.uint16)
    ids[0:2, 0:2, 0] = 3  # 4 voxels
    ids[2, 2, 1] = 4  # touches lesion 3 diagonally: one 26-connected component with it
    ids[5, 5, 2] = 7  # apart
    assert component_count(ids, [3, 4]) == 1 and component_count(ids, [3, 4, 7]) == 2
    assert component_volumes_mm3(ids, [3, 4, 7], 2.5) == [12.5, 2.5]
    assert volume_mm3(ids, 3, 2.5) == 10.0 and volume_mm3(ids, 9, 2.5) == 0.0
