"""``ReportOptions``: where a report's companion maps are and how lesions are counted and located.

The counting and location fields are recorded in ``report.json`` as ``options`` (:meth:`ReportOptions.counting`),
the companion locations as ``inputs`` (:meth:`ReportOptions.companions`). The choices of every field are
defined here, in a module that imports nothing heavy, so that the command line builds its parser from them.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields
from typing import Any

from nnunet_wmh.errors import UsageError
from nnunet_wmh.runs.options import check_threshold

#: Lesion connectivity: 6 (faces), 18 (and edges) or 26 (and corners; the challenge's lesion metrics).
CONNECTIVITIES = (6, 18, 26)
#: Periventricular rules (:mod:`~nnunet_wmh.report.periventricular`).
PV_RULES: tuple[str, ...] = ("distance", "contact", "continuity")
DEFAULT_PV_DISTANCE_MM = 10.0
#: Lesion voxels in no region: to the nearest region within 3 mm, or kept as ``outside_regions``.
OUTSIDE_POLICIES = ("nearest", "keep")
#: The companion locations, in the order ``report.json`` records them.
COMPANION_FIELDS = (
    "regions", "dataset_json", "region_table", "conversion_tsv", "images", "ventricles", "brain_mask",
    "bids_derivatives",
)  # fmt: skip

Location = str | os.PathLike[str] | None


@dataclass(frozen=True)
class ReportOptions:
    """Where a report's companion maps are, and how lesions are counted and located.

    Attributes
    ----------
    regions, ventricles, brain_mask, images
        Region maps (for lesion-map predictions), ventricle maps (binary, or FreeSurfer/SynthSeg labels 4 and
        43), brain masks (intracranial volume), images for the pictures (``CASE_0000.nii.gz`` or
        ``CASE.nii.gz``): each a folder of case files, or a pattern with ``{case}``, ``{subject}``,
        ``{session}``, ``{site}``; None: absent.
    dataset_json
        The model's dataset.json (default: ``PRED_DIR/dataset.json`` when present).
    region_table
        The names of the ``regions`` values (TSV/CSV, ``id name`` text, colour LUT).
    conversion_tsv
        ``conversion.tsv`` of ``convert``: participant, session and site of each case.
    bids_derivatives
        Also write BIDS derivative files into this folder.
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

    regions: Location = None
    dataset_json: Location = None
    region_table: Location = None
    conversion_tsv: Location = None
    images: Location = None
    ventricles: Location = None
    brain_mask: Location = None
    bids_derivatives: Location = None
    connectivity: int = 26
    min_lesion_mm3: float = 0.0
    pv_rule: str = "distance"
    pv_distance_mm: float = DEFAULT_PV_DISTANCE_MM
    outside: str = "nearest"
    threshold: float = 0.5
    pictures: bool = True

    def companions(self) -> dict[str, Location]:
        """``{field: location}`` of the companion maps and files (None: absent)."""
        return {name: getattr(self, name) for name in COMPANION_FIELDS}

    def counting(self) -> dict[str, Any]:
        """The counting and location fields (what ``report.json`` records as ``options``)."""
        values = asdict(self)
        return {f.name: values[f.name] for f in fields(self) if f.name not in COMPANION_FIELDS}

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
