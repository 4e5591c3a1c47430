"""The truth of a synthetic subject's change between sessions, as tables next to its images.

Written per subject of a cohort with several sessions (:mod:`~nnunet_wmh.synthetic.longitudinal`):

* ``derivatives/synth/sub-X/sub-X_desc-change_truth.tsv``: one row per lesion and consecutive session pair where
  the lesion is present in at least one of the two: ``lesion_id``, ``session_from``, ``session_to``, ``kind``
  (``new``, ``enlarging``, ``stable``, ``shrinking``, ``vanished``, ``merged``, ``split``: as the model drew
  it), ``volume_from_mm3``, ``volume_to_mm3`` (voxels of that id in each session's lesion-id map × that grid's
  voxel volume, from its header; 0 where absent) and ``merged_with`` (the other lesion of a ``merged`` or
  ``split`` pair, else ``n/a``);
* ``derivatives/synth/sub-X/sub-X_desc-regionvolumes_truth.tsv``: ``session``, ``region_id``,
  ``lesion_volume_mm3``: WMH (label 1) voxels of the session in each region of its true region map × voxel
  volume, for every region of the region table (zeros included);
* ``sub-X/sub-X_sessions.tsv`` (BIDS): ``session_id``, ``acq_time`` (ISO 8601 date-time).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from nnunet_wmh.tsv import write_tsv

CHANGE_COLUMNS = ("lesion_id", "session_from", "session_to", "kind", "volume_from_mm3", "volume_to_mm3",
                  "merged_with")  # fmt: skip
REGION_COLUMNS = ("session", "region_id", "lesion_volume_mm3")
SESSIONS_COLUMNS = ("session_id", "acq_time")


def lesion_volumes_mm3(lesion_id: np.ndarray, voxel_volume_mm3: float) -> dict[int, float]:
    """``{lesion id: volume (mm³)}`` of a lesion-id map (X, Y, Z) uint16, 0 left out."""
    counts = np.bincount(np.asarray(lesion_id, dtype=np.int64).ravel())
    return {int(i): float(counts[i]) * voxel_volume_mm3 for i in np.flatnonzero(counts) if i}


def region_volumes_mm3(
    lesion: np.ndarray, regions: np.ndarray, region_ids: Sequence[int], voxel_volume_mm3: float
) -> dict[int, float]:
    """``{region id: WMH volume (mm³)}``: label-1 voxels of ``lesion`` in each region of ``regions`` (both
    (X, Y, Z)), every id of ``region_ids`` (0 where there is none)."""
    counts = np.bincount(np.asarray(regions[lesion == 1], dtype=np.int64), minlength=max(region_ids, default=0) + 1)
    return {int(r): float(counts[r]) * voxel_volume_mm3 for r in region_ids}


def write_change_truth(
    path: Path,
    sessions: Sequence[str],
    kinds: Mapping[int, Sequence[str | None]],
    partners: Mapping[int, int],
    volumes_mm3: Sequence[Mapping[int, float]],
) -> Path:
    """Write the change table (module docstring).

    Parameters
    ----------
    path
        The ``.tsv`` to write.
    sessions
        Session labels (``ses-01``...), in order.
    kinds
        ``{lesion id: kind per interval (None where absent at both ends)}``.
    partners
        ``{lesion id: the other lesion of its merge or split pair}``.
    volumes_mm3
        Per session, ``{lesion id: measured volume (mm³)}`` (absent ids: 0).
    """
    rows = []
    for lesion_id, lesion_kinds in sorted(kinds.items()):
        for interval, kind in enumerate(lesion_kinds):
            if kind is None:
                continue
            rows.append({
                "lesion_id": lesion_id, "session_from": sessions[interval], "session_to": sessions[interval + 1],
                "kind": kind, "volume_from_mm3": float(volumes_mm3[interval].get(lesion_id, 0.0)),
                "volume_to_mm3": float(volumes_mm3[interval + 1].get(lesion_id, 0.0)),
                "merged_with": partners.get(lesion_id) if kind in ("merged", "split") else None,
            })  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_tsv(path, rows, CHANGE_COLUMNS)


def write_region_truth(path: Path, sessions: Sequence[str], volumes_mm3: Sequence[Mapping[int, float]]) -> Path:
    """Write the per-region table (module docstring): ``volumes_mm3`` per session, ``{region id: mm³}``."""
    rows = [{"session": session, "region_id": region_id, "lesion_volume_mm3": float(volume)}
            for session, volumes in zip(sessions, volumes_mm3, strict=True)
            for region_id, volume in sorted(volumes.items())]  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_tsv(path, rows, REGION_COLUMNS)


def write_sessions_tsv(path: Path, sessions: Sequence[str], acquired: Sequence[datetime.datetime]) -> Path:
    """Write BIDS ``sub-X_sessions.tsv``: ``session_id`` and ``acq_time`` (ISO 8601, to the second)."""
    rows = [{"session_id": session, "acq_time": time.isoformat(timespec="seconds")}
            for session, time in zip(sessions, acquired, strict=True)]  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_tsv(path, rows, SESSIONS_COLUMNS)
