"""The rows of ``change``'s tables for one pair of visits: ``change.tsv`` (per region), ``lesion_changes.tsv`` (per
matched lesion) and ``pairs.tsv`` (the registration and its QC).

Volumes are in mL on each visit's own grid; ``change_ml_per_year`` needs both visits' acquisition times (``n/a``
otherwise). ``region_id`` 0 holds lesion voxels in no region; the row ``all`` sums every lesion of the visit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from nnunet_wmh.longitudinal.matching import CHANGE_CLASSES, LesionChange, count_classes
from nnunet_wmh.longitudinal.subject_change import VisitLesions, region_volumes
from nnunet_wmh.longitudinal.visits import MISSING, years_between

ALL_REGIONS = "all"
OUTSIDE_REGIONS = "outside_regions"
PAIR_COLUMNS = ["participant_id", "session_from", "session_to", "interval_years"]
CHANGE_COLUMNS = [*PAIR_COLUMNS, "region_id", "region_name", "volume_from_ml", "volume_to_ml", "change_ml",
                  "change_ml_per_year", *(f"n_{kind}" for kind in CHANGE_CLASSES)]  # fmt: skip
LESION_COLUMNS = [*PAIR_COLUMNS, "change_id", "kind", "lesions_from", "lesions_to", "volume_from_ml", "volume_to_ml",
                  "change_ml", "change_percent", "region_id", "region_name", "uncertain_reason"]  # fmt: skip
QC_COLUMNS = [*PAIR_COLUMNS, "rotation_deg", "translation_mm", "registration_metric", "head_overlap", "similarity",
              "head_volume_change", "qc"]  # fmt: skip


def _number(value: float | None, digits: int = 6) -> str:
    return MISSING if value is None else repr(round(value, digits) + 0.0)  # every digit kept; -0.0 as 0.0


def pair_identity(earlier: VisitLesions, later: VisitLesions) -> dict[str, str]:
    """The columns naming a pair: participant, sessions and the interval in years."""
    return {"participant_id": earlier.visit.participant, "session_from": earlier.visit.session or MISSING,
            "session_to": later.visit.session or MISSING,
            "interval_years": _number(years_between(earlier.visit, later.visit), 4)}  # fmt: skip


def change_rows(earlier: VisitLesions, later: VisitLesions, changes: Sequence[LesionChange],
                region_names: Mapping[int, str]) -> list[dict[str, str]]:  # fmt: skip
    """One row per region (the table's regions, zeros included, then region 0 when it holds lesions) and the
    row ``all``."""
    identity, years = pair_identity(earlier, later), years_between(earlier.visit, later.visit)
    before, after = region_volumes(earlier), region_volumes(later)
    ids = [*sorted(region_names), *([0] if before.get(0) or after.get(0) else [])]
    rows = []
    totals = (sum(earlier.volumes_ml.values()), sum(later.volumes_ml.values()))
    for region, name, (volume_from, volume_to), counted in [
        *((i, region_names.get(i, OUTSIDE_REGIONS), (before.get(i, 0.0), after.get(i, 0.0)),
           [c for c in changes if c.region_id == i]) for i in ids),
        (ALL_REGIONS, ALL_REGIONS, totals, list(changes)),
    ]:  # fmt: skip
        change = volume_to - volume_from
        counts = count_classes(counted)
        rows.append({**identity, "region_id": str(region), "region_name": name,
                     "volume_from_ml": _number(volume_from), "volume_to_ml": _number(volume_to),
                     "change_ml": _number(change), "change_ml_per_year": _number(change / years if years else None),
                     **{f"n_{kind}": str(counts[kind]) for kind in CHANGE_CLASSES}})  # fmt: skip
    return rows


def lesion_rows(earlier: VisitLesions, later: VisitLesions, changes: Sequence[LesionChange],
                region_names: Mapping[int, str]) -> list[dict[str, str]]:  # fmt: skip
    """One row per matched lesion (a group of the overlap graph)."""
    identity = pair_identity(earlier, later)
    return [
        {**identity, "change_id": str(c.change_id), "kind": c.kind,
         "lesions_from": ",".join(map(str, c.baseline_ids)) or MISSING,
         "lesions_to": ",".join(map(str, c.followup_ids)) or MISSING,
         "volume_from_ml": _number(c.baseline_ml), "volume_to_ml": _number(c.followup_ml),
         "change_ml": _number(c.change_ml), "change_percent": _number(c.change_percent, 2),
         "region_id": MISSING if c.region_id is None else str(c.region_id),
         "region_name": MISSING if c.region_id is None else region_names.get(c.region_id, OUTSIDE_REGIONS),
         "uncertain_reason": c.uncertain_reason or MISSING}
        for c in changes
    ]  # fmt: skip


def qc_row(earlier: VisitLesions, later: VisitLesions) -> dict[str, str]:
    """The registration of the later visit to the baseline, and why the pair is flagged (empty when not)."""
    alignment = later.alignment
    problems = [v.alignment.problem for v in (earlier, later) if v.alignment is not None and v.alignment.problem]
    return {**pair_identity(earlier, later), "rotation_deg": _number(alignment.rotation_deg, 2),
            "translation_mm": _number(alignment.translation_mm, 2),
            "registration_metric": _number(alignment.metric, 4), "head_overlap": _number(alignment.head_overlap, 4),
            "similarity": _number(alignment.similarity, 4),
            "head_volume_change": _number(alignment.head_volume_change, 4),
            "qc": "; ".join(dict.fromkeys(problems))}  # fmt: skip
