"""One participant's visits placed on the baseline: regions carried, lesions measured on their own grids, and a
lesion thinner than the baseline's voxels kept for matching."""

from __future__ import annotations

import numpy as np
import pytest

from nnunet_wmh.longitudinal.subject_change import place_visits, read_visit, region_volumes
from nnunet_wmh.longitudinal.visits import read_visits


def test_the_baseline_regions_reach_every_visit_and_volumes_stay_native(segmented):
    _, segment = segmented
    baseline, followup = (read_visit(v, connectivity=26, min_lesion_mm3=0.0) for v in read_visits(segment)["sub-001"])
    place_visits([baseline, followup])
    assert (
        followup.regions.shape == followup.components.shape and followup.on_baseline.shape == baseline.components.shape
    )
    assert set(np.unique(followup.regions)) <= set(np.unique(baseline.regions))
    volumes = region_volumes(followup)
    assert sum(volumes.values()) == pytest.approx(np.count_nonzero(followup.components) * followup.voxel_ml)
    assert sum(followup.volumes_ml.values()) == pytest.approx(sum(volumes.values()))
    assert set(np.unique(followup.on_baseline)) - {0} == set(followup.volumes_ml)  # every lesion reaches the baseline


def test_a_lesion_lost_by_resampling_is_put_back_at_its_centre(segmented):
    _, segment = segmented
    baseline, followup = (read_visit(v, connectivity=26, min_lesion_mm3=0.0) for v in read_visits(segment)["sub-002"])
    extra = int(followup.components.max()) + 1
    empty = np.argwhere((followup.components == 0) & (np.arange(followup.components.shape[2]) > 2)[None, None, :])
    spot = tuple(empty[len(empty) // 2])
    followup.components[spot] = extra  # one voxel: may fall between the baseline's voxels
    followup.volumes_ml[extra] = followup.voxel_ml
    place_visits([baseline, followup])
    assert extra in set(np.unique(followup.on_baseline).tolist())
