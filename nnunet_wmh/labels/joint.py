"""Label encodings that combine lesions and anatomical regions in one nnU-Net label map.

With R regions (region ids ``id_1 < ... < id_R`` as found in the region maps, any integers), region
``id_k`` gets the class index ``k``:

=============  ==========================================
joint label    meaning
=============  ==========================================
0              background (outside every region, no lesion)
k (1..R)       region k, no lesion
R + k          lesion inside region k
2R + 1         lesion outside every region
2R + 2         ``ignore`` (challenge label 2), if present
=============  ==========================================

The *region* encoding (``convert --mode regions``) is the first two rows only: 0 and k.
:func:`decode_joint_labels` inverts the joint encoding back to a lesion mask and a region map in the
original region ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

OUTSIDE_REGIONS_NAME = "outside_regions"
#: Name of the lesion output in the region-based (``separate``) encoding.
LESION_OUTPUT_NAME = "wmh"


@dataclass(frozen=True)
class RegionIndex:
    """Ordered regions: class index ``k`` (1-based) ↔ region id in the maps ↔ name.

    Attributes
    ----------
    region_ids
        Region values of the maps, strictly increasing; position ``k - 1`` holds class ``k``.
    names
        One unique name per region.
    """

    region_ids: tuple[int, ...]
    names: tuple[str, ...]

    @classmethod
    def from_table(cls, table: Mapping[int, str]) -> RegionIndex:
        """Build from ``{region id: name}`` (sorted by id)."""
        ids = tuple(sorted(int(i) for i in table))
        if any(i <= 0 for i in ids):
            raise ValueError(f"region ids must be positive, got {ids}")
        return cls(region_ids=ids, names=tuple(table[i] for i in ids))

    @property
    def count(self) -> int:
        """Number of regions, R."""
        return len(self.region_ids)

    def as_table(self) -> dict[int, str]:
        """``{region id: name}``."""
        return dict(zip(self.region_ids, self.names, strict=True))

    def to_class_index(self, region_map: np.ndarray) -> np.ndarray:
        """Map region ids to class indices 1..R (0 stays 0).

        Parameters
        ----------
        region_map
            Non-negative integer region ids, any shape.

        Returns
        -------
        np.ndarray
            Same shape, uint16, values 0..R.

        Raises
        ------
        ValueError
            If the map holds a value that is not a known region id.
        """
        region_map = np.asarray(region_map)
        max_value = int(region_map.max()) if region_map.size else 0
        lookup = np.zeros(max(max_value, max(self.region_ids, default=0)) + 1, dtype=np.uint16)
        known = np.zeros(lookup.size, dtype=bool)
        known[0] = True
        for class_index, region_id in enumerate(self.region_ids, start=1):
            lookup[region_id] = class_index
            known[region_id] = True
        values = region_map.astype(np.intp, copy=False)
        if not known[values].all():
            unknown = sorted(set(np.unique(values[~known[values]]).tolist()))
            raise ValueError(f"region values {unknown} are not in the region index")
        return lookup[values]

    def to_region_ids(self, class_index: np.ndarray) -> np.ndarray:
        """Map class indices 1..R back to region ids (0 stays 0); int32 array of the same shape."""
        lookup = np.array((0, *self.region_ids), dtype=np.int32)
        return lookup[np.asarray(class_index, dtype=np.intp)]

    def to_json(self) -> list[dict[str, Any]]:
        """``[{"index": k, "id": region id, "name": name}, ...]`` for dataset.json."""
        return [
            {"index": k, "id": region_id, "name": name}
            for k, (region_id, name) in enumerate(zip(self.region_ids, self.names, strict=True), start=1)
        ]

    @classmethod
    def from_json(cls, rows: list[Mapping[str, Any]]) -> RegionIndex:
        """Inverse of :meth:`to_json`."""
        ordered = sorted(rows, key=lambda row: int(row["index"]))
        return cls(
            region_ids=tuple(int(row["id"]) for row in ordered),
            names=tuple(str(row["name"]) for row in ordered),
        )


@dataclass(frozen=True)
class JointEncoding:
    """The joint lesion × region encoding for a given region index (see module docstring)."""

    regions: RegionIndex
    has_ignore: bool

    @property
    def outside_label(self) -> int:
        """Label of lesion outside every region, 2R + 1."""
        return 2 * self.regions.count + 1

    @property
    def ignore_label(self) -> int | None:
        """nnU-Net's ignore label, 2R + 2, or None."""
        return 2 * self.regions.count + 2 if self.has_ignore else None

    def labels(self) -> dict[str, int]:
        """nnU-Net's ``labels`` dictionary (name → value), ignore last."""
        count = self.regions.count
        labels = {"background": 0}
        labels.update({name: k for k, name in enumerate(self.regions.names, start=1)})
        labels.update({f"wmh_{name}": count + k for k, name in enumerate(self.regions.names, start=1)})
        labels[f"wmh_{OUTSIDE_REGIONS_NAME}"] = self.outside_label
        if self.has_ignore:
            labels["ignore"] = 2 * count + 2
        return labels

    def region_based_labels(self) -> tuple[dict[str, int | tuple[int, ...]], list[int]]:
        """nnU-Net region-based ``labels`` and ``regions_class_order`` over the same joint label files.

        One sigmoid output per region (``name``: region k with or without lesion, ``(k, R + k)``) and one
        for lesions anywhere (``wmh``: ``R + 1 .. 2R + 1``), in that order. ``regions_class_order``
        tells nnU-Net what to write when it exports a single label map: k for region k, then 2R + 1 for
        lesion (so lesions win but lose their region there; ``nnunet_wmh decode`` rebuilds the full
        joint map from the saved probabilities).
        """
        count = self.regions.count
        labels: dict[str, int | tuple[int, ...]] = {"background": 0}
        labels.update({name: (k, count + k) for k, name in enumerate(self.regions.names, start=1)})
        labels[LESION_OUTPUT_NAME] = tuple(range(count + 1, 2 * count + 2))
        if self.has_ignore:
            labels["ignore"] = 2 * count + 2
        return labels, [*range(1, count + 1), self.outside_label]

    def encode(self, lesion: np.ndarray, region_map: np.ndarray, ignore: np.ndarray | None = None) -> np.ndarray:
        """Combine a lesion mask and a region map into joint labels.

        Parameters
        ----------
        lesion
            Boolean lesion mask, shape (X, Y, Z).
        region_map
            Region ids, same shape.
        ignore
            Boolean mask of voxels to ignore (challenge label 2); needs ``has_ignore``.

        Returns
        -------
        np.ndarray
            uint8 or uint16 joint labels, same shape.
        """
        count = self.regions.count
        class_index = self.regions.to_class_index(region_map)
        dtype = np.uint8 if 2 * count + 2 < 256 else np.uint16
        joint = class_index.astype(dtype)
        lesion = np.asarray(lesion, dtype=bool)
        joint[lesion] += count
        joint[lesion & (class_index == 0)] = self.outside_label
        if ignore is not None:
            if not self.has_ignore:
                raise ValueError("this encoding has no ignore label")
            joint[np.asarray(ignore, dtype=bool)] = self.ignore_label
        return joint

    def to_json(self) -> dict[str, Any]:
        """The description stored in dataset.json's ``nnunet_wmh`` block."""
        return {"encoding": "joint", "has_ignore": self.has_ignore, "regions": self.regions.to_json()}

    @classmethod
    def from_dataset_json(cls, dataset_json: Mapping[str, Any]) -> JointEncoding:
        """Rebuild the encoding from a dataset.json of ``nnunet_wmh convert --mode multitask`` (either
        ``--encoding joint`` or ``separate``: both store joint label files)."""
        block = dataset_json.get("nnunet_wmh", {})
        if block.get("encoding") not in ("joint", "separate"):
            raise ValueError(f"dataset.json has encoding {block.get('encoding')!r}, not 'joint' or 'separate'")
        return cls(regions=RegionIndex.from_json(block["regions"]), has_ignore=bool(block["has_ignore"]))


@dataclass(frozen=True)
class DecodedLabels:
    """Joint labels split back into their parts.

    Attributes
    ----------
    lesion
        Boolean lesion mask, shape (X, Y, Z).
    regions
        Region ids (as in the original region maps), int32, 0 outside every region.
    ignore
        Boolean mask of ignored voxels (all False if the encoding has no ignore label).
    """

    lesion: np.ndarray
    regions: np.ndarray
    ignore: np.ndarray


def decode_joint_labels(joint: np.ndarray, encoding: JointEncoding) -> DecodedLabels:
    """Split a joint label map into lesion mask, region map (original ids) and ignore mask.

    Parameters
    ----------
    joint
        Joint labels as written by ``convert --mode multitask`` or predicted by a model trained on it.
    encoding
        The encoding, e.g. ``JointEncoding.from_dataset_json(load_json("dataset.json"))``.

    Raises
    ------
    ValueError
        If the map holds values outside the encoding.
    """
    joint = np.asarray(joint)
    count = encoding.regions.count
    highest = encoding.ignore_label if encoding.has_ignore else encoding.outside_label
    if joint.size and (joint.min() < 0 or joint.max() > highest):
        raise ValueError(f"joint labels must be within 0..{highest}, found {joint.min()}..{joint.max()}")
    joint = joint.astype(np.intp, copy=False)
    ignore = joint == encoding.ignore_label if encoding.has_ignore else np.zeros(joint.shape, dtype=bool)
    lesion = (joint > count) & (joint <= encoding.outside_label)
    class_index = np.where(lesion, joint - count, joint)
    class_index[(class_index > count) | ignore] = 0
    return DecodedLabels(lesion=lesion, regions=encoding.regions.to_region_ids(class_index), ignore=ignore)
