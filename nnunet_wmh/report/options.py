"""``ReportOptions``: how lesions are counted and located; every field is recorded in ``report.json``."""

from __future__ import annotations

from dataclasses import dataclass

from nnunet_wmh.errors import UsageError
from nnunet_wmh.labels.conventions import check_threshold
from nnunet_wmh.report.burden import OUTSIDE_POLICIES
from nnunet_wmh.report.lesions import CONNECTIVITIES
from nnunet_wmh.report.periventricular import DEFAULT_PV_DISTANCE_MM, PV_RULES


@dataclass(frozen=True)
class ReportOptions:
    """How lesions are counted and located (every field is recorded in report.json).

    Attributes
    ----------
    connectivity
        Lesion connectivity: 6, 18 or 26.
    min_lesion_mm3
        Lesions below this volume (mm³) are dropped before anything is counted.
    pv_rule
        ``distance``, ``contact`` or ``continuity`` (used with ventricle maps).
    pv_distance_mm
        Distance of the ``distance`` and ``continuity`` rules (mm).
    outside
        ``nearest`` or ``keep``: lesion voxels in no region.
    threshold
        Float (probability) lesion maps: lesion where value ≥ threshold; strictly between 0 and 1.
    pictures
        Write ``qc/CASE.png``, ``cohort.png`` and ``index.html``.
    """

    connectivity: int = 26
    min_lesion_mm3: float = 0.0
    pv_rule: str = "distance"
    pv_distance_mm: float = DEFAULT_PV_DISTANCE_MM
    outside: str = "nearest"
    threshold: float = 0.5
    pictures: bool = True

    def check(self) -> None:
        """Raise UsageError for values out of range (naming the field)."""
        if self.connectivity not in CONNECTIVITIES:
            raise UsageError(f"`connectivity` must be one of {CONNECTIVITIES}, got {self.connectivity}", "connectivity")
        if not self.min_lesion_mm3 >= 0:
            raise UsageError(f"`min_lesion_mm3` must be >= 0, got {self.min_lesion_mm3}", "min_lesion_mm3")
        if self.pv_rule not in PV_RULES:
            raise UsageError(f"`pv_rule` must be one of {PV_RULES}, got {self.pv_rule!r}", "pv_rule")
        if not 0 < self.pv_distance_mm < float("inf"):
            raise UsageError(f"`pv_distance_mm` must be > 0, got {self.pv_distance_mm}", "pv_distance_mm")
        if self.outside not in OUTSIDE_POLICIES:
            raise UsageError(f"`outside` must be one of {OUTSIDE_POLICIES}, got {self.outside!r}", "outside")
        check_threshold(self.threshold)
