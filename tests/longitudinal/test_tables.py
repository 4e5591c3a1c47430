"""The rows of change.tsv and lesion_changes.tsv for a pair, computed by hand."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np

from nnunet_wmh.longitudinal.matching import LesionChange
from nnunet_wmh.longitudinal.subject_change import VisitLesions
from nnunet_wmh.longitudinal.tables import change_rows, lesion_rows
from nnunet_wmh.longitudinal.visits import Visit


def _visit(session: str, when: datetime, components: np.ndarray, regions: np.ndarray) -> VisitLesions:
    visit = Visit("sub-1", session, f"sub-1_{session}", Path("f"), Path("m"), None, when)
    ids, counts = np.unique(components[components > 0], return_counts=True)
    volumes = {int(i): float(n) * 0.002 for i, n in zip(ids, counts, strict=True)}  # 2 mm³ voxels
    return VisitLesions(visit, None, None, components, volumes, 0.002, regions=regions)


def test_region_rows_sum_native_volumes_and_the_change_per_year_uses_the_interval():
    regions = np.zeros((6, 4, 1), np.int32)
    regions[:3], regions[3:] = 1, 2
    before, after = np.zeros((6, 4, 1), np.int32), np.zeros((6, 4, 1), np.int32)
    before[0:2, 0:2] = 1  # 4 voxels in region 1
    after[0:2, 0:3] = 1  # 6 voxels in region 1
    after[4:6, 3] = 2  # 2 voxels in region 2: new
    earlier = _visit("ses-01", datetime(2020, 1, 1), before, regions)
    later = _visit("ses-02", datetime(2022, 1, 1), after, regions)
    changes = [LesionChange(1, "enlarging", (1,), (1,), 0.008, 0.012, 0.004, 50.0, 1),
               LesionChange(2, "new", (), (2,), 0.0, 0.004, 0.004, None, 2)]  # fmt: skip
    rows = {r["region_id"]: r for r in change_rows(earlier, later, changes, {1: "left", 2: "right"})}
    assert list(rows) == ["1", "2", "all"]
    assert (rows["1"]["volume_from_ml"], rows["1"]["volume_to_ml"], rows["1"]["change_ml"]) == (
        "0.008",
        "0.012",
        "0.004",
    )
    assert rows["2"]["n_new"] == "1" and rows["1"]["n_enlarging"] == "1" and rows["all"]["change_ml"] == "0.008"
    assert float(rows["all"]["change_ml_per_year"]) == round(0.008 / (731 / 365.25), 6)
    (first, second) = lesion_rows(earlier, later, changes, {1: "left", 2: "right"})
    assert (first["lesions_from"], first["lesions_to"], first["region_name"]) == ("1", "1", "left")
    assert (second["lesions_from"], second["change_percent"], second["kind"]) == ("n/a", "n/a", "new")
