"""Lesion matching between two sessions of one subject, and the class of change of each matched group.

Both sessions' lesions arrive as component label maps (0 background, 1..n lesions) on one common grid; the
volumes that decide the classes arrive separately, measured in each session's native space (resampling onto
the common grid changes voxel counts, so they are never used for volumes).

Matching: a baseline and a follow-up component are linked when they share at least
:attr:`ChangeRules.min_overlap_voxels` voxels. Each connected group of this bipartite overlap graph is one
:class:`LesionChange`, with ``k`` baseline and ``m`` follow-up components:

- ``k = 0, m = 1``: **new** (reported in the follow-up); ``k = 1, m = 0``: **vanished** (reported in the
  baseline).
- ``k = 1, m = 1``: **enlarging** when follow-up − baseline reaches both :attr:`ChangeRules.min_change_ml`
  and :attr:`ChangeRules.min_change_percent` (percent of the baseline volume), **shrinking** when
  baseline − follow-up reaches both, **stable** otherwise.
- ``k ≥ 2, m = 1``: **merged**; ``k = 1, m ≥ 2``: **split**.
- ``k ≥ 2, m ≥ 2`` (lesions that merge and split at once): **merged** when ``k ≥ m``, else **split**: the
  class says whether the group ends with fewer (or as many) lesions than it began with, or more.

With both sessions' probability maps, a new lesion where the baseline's probability already reached
:attr:`ChangeRules.uncertain_probability` somewhere in its footprint, or a vanished lesion where the
follow-up's did, is **uncertain** instead (the difference may be a threshold crossing, not a change).

Groups are numbered 1..N by their smallest baseline id, then their smallest follow-up id (new lesions, which
have no baseline id, come last, by follow-up id).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from nnunet_wmh.errors import UsageError
from nnunet_wmh.runs.options import check_choice

#: The classes of change, in the order of their change-map labels:
#:
#: - ``stable``: one lesion in each session, its volume changed by less than the thresholds.
#: - ``enlarging``: one lesion in each session, grown by at least both thresholds.
#: - ``shrinking``: one lesion in each session, shrunk by at least both thresholds.
#: - ``new``: a follow-up lesion that overlaps no baseline lesion.
#: - ``vanished``: a baseline lesion that overlaps no follow-up lesion.
#: - ``merged``: several baseline lesions that became one follow-up lesion (or fewer, in a many-to-many group).
#: - ``split``: one baseline lesion that became several follow-up lesions (or more, in a many-to-many group).
#: - ``uncertain``: a new or vanished lesion where the other session's probability was already close to the
#:   threshold (only with probability maps).
CHANGE_CLASSES: tuple[str, ...] = (
    "stable",
    "enlarging",
    "shrinking",
    "new",
    "vanished",
    "merged",
    "split",
    "uncertain",
)

#: The label of each class in change-map NIfTIs: 1 stable, 2 enlarging, 3 shrinking, 4 new, 5 vanished,
#: 6 merged, 7 split, 8 uncertain; 0 is no lesion.
CHANGE_LABELS: dict[str, int] = {kind: label for label, kind in enumerate(CHANGE_CLASSES, start=1)}

#: The two sessions of a pair, as :func:`change_map` names them.
SIDES = ("baseline", "followup")

#: One connected group of the overlap graph: its baseline and follow-up component ids, each sorted.
Group = tuple[tuple[int, ...], tuple[int, ...]]


@dataclass(frozen=True)
class ChangeRules:
    """When two lesions are one, and when a lesion's volume has changed.

    Each default is a stated convention, not a value fitted to data; revisit them once repeated segmentations
    of unchanged (synthetic) lesions measure how much two segmentations of one lesion disagree.

    Attributes
    ----------
    min_change_ml
        Smallest absolute change of volume (mL) that counts as enlarging or shrinking. 0.01 mL (10 mm³) is
        about 10 voxels at 1 mm isotropic, or 3 voxels of a 1 × 1 × 3 mm FLAIR: a floor that keeps one- to
        few-voxel differences at a small lesion's edge (single partial-volume decisions) from changing its
        class, however large they are relative to the lesion.
    min_change_percent
        Smallest relative change (percent of the baseline volume) that counts as enlarging or shrinking.
        25 % is one layer of voxels added on one face of a lesion four voxels across (a 4 × 4 × 4 cube gains
        16 of its 64 voxels): such a lesion must gain or lose a whole layer of border voxels on one side to
        change class, while smaller relative changes are scattered border voxels, which two segmentations can
        differ by without any change of the lesion. Reasoned from voxel geometry, not measured on repeated
        scans.
    min_overlap_voxels
        Voxels a baseline and a follow-up lesion must share on the common grid to be matched. 1: any contact,
        the convention of the WMH challenge's lesion-wise detection (and of this project's
        ``lesion_detection``), so a lesion is never called new while it touches an old one.
    uncertain_probability
        With both sessions' probability maps: a new (vanished) lesion whose baseline (follow-up) probability
        reaches this value somewhere in its footprint is ``uncertain``; strictly between 0 and 0.5 (at 0.5
        the other session would have drawn a lesion there). 0.3: the model saw something there, only below
        the 0.5 at which a lesion is drawn, so the difference may be a threshold crossing rather than a
        change; lower values are weak evidence. A convention (0.2 below the threshold), not calibrated.
    """

    min_change_ml: float = 0.01
    min_change_percent: float = 25.0
    min_overlap_voxels: int = 1
    uncertain_probability: float = 0.3

    def check(self) -> None:
        """Raise UsageError for a value out of range (naming the field)."""
        for name in ("min_change_ml", "min_change_percent"):
            value = getattr(self, name)
            if not value >= 0:
                raise UsageError(f"`{name}` must be >= 0, got {value}", name)
        overlap = self.min_overlap_voxels
        if isinstance(overlap, bool) or not isinstance(overlap, (int, np.integer)) or overlap < 1:
            raise UsageError(f"`min_overlap_voxels` must be a whole number >= 1, got {overlap}", "min_overlap_voxels")
        if not 0 < self.uncertain_probability < 0.5:
            raise UsageError(
                f"`uncertain_probability` must be between 0 and 0.5 (exclusive), got {self.uncertain_probability}",
                "uncertain_probability",
            )


@dataclass(frozen=True)
class LesionChange:
    """One connected group of matched lesions and its class of change.

    Attributes
    ----------
    change_id
        1..N, by the group's smallest baseline id, then smallest follow-up id (new lesions last).
    kind
        One of :data:`CHANGE_CLASSES`.
    baseline_ids, followup_ids
        The group's component ids in each session (sorted; empty for a new / vanished lesion).
    baseline_ml, followup_ml
        Sum of the group's native volumes in each session (mL).
    change_ml
        ``followup_ml - baseline_ml`` (mL).
    change_percent
        ``100 * change_ml / baseline_ml``; None when ``baseline_ml`` is 0 (a new lesion).
    region_id
        The region holding most voxels of the group's footprint (both sessions' voxels) on the common grid,
        ties to the smaller id; 0 when no footprint voxel lies in a region; None without a region map.
    uncertain_reason
        Why the class is ``uncertain`` (None otherwise).
    """

    change_id: int
    kind: str
    baseline_ids: tuple[int, ...]
    followup_ids: tuple[int, ...]
    baseline_ml: float
    followup_ml: float
    change_ml: float
    change_percent: float | None
    region_id: int | None = None
    uncertain_reason: str | None = None


def _component_ids(name: str, components: np.ndarray) -> np.ndarray:
    """Sorted ids (int64) of the components of an integer label map; ValueError for a non-integer map or
    negative labels."""
    if not np.issubdtype(components.dtype, np.integer):
        raise ValueError(f"`{name}` must be an integer component map, got dtype {components.dtype}")
    values = components[components != 0]
    if values.size and values.min() < 0:
        raise ValueError(f"`{name}` has negative labels (components are 1..n, background 0)")
    return np.unique(values).astype(np.int64)


def _check_volumes(name: str, ids: np.ndarray, volumes_ml: Mapping[int, float]) -> None:
    """ValueError unless every component id has a finite, non-negative volume in ``volumes_ml``."""
    missing = [int(i) for i in ids if int(i) not in volumes_ml]
    if missing:
        raise ValueError(f"`{name}_ml` lacks the volume of component id(s) {', '.join(map(str, missing))}")
    bad = [int(i) for i in ids if not 0 <= volumes_ml[int(i)] < math.inf]
    if bad:
        raise ValueError(f"`{name}_ml` has volumes that are negative or not finite for id(s) {bad}")


def _check_maps(
    baseline: np.ndarray,
    followup: np.ndarray,
    regions: np.ndarray | None,
    probabilities: tuple[np.ndarray | None, np.ndarray | None],
) -> None:
    """ValueError for maps that are not on one grid, or probabilities given for one session only or out of
    0..1."""
    shapes = {"baseline": baseline.shape, "followup": followup.shape}
    if regions is not None:
        shapes["regions"] = regions.shape
        if not np.issubdtype(regions.dtype, np.integer):
            raise ValueError(f"`regions` must be an integer map, got dtype {regions.dtype}")
    if (probabilities[0] is None) != (probabilities[1] is None):
        raise ValueError("give both `baseline_probability` and `followup_probability`, or neither")
    if probabilities[0] is not None and probabilities[1] is not None:
        for name, probability in zip(("baseline_probability", "followup_probability"), probabilities, strict=True):
            shapes[name] = probability.shape
            if probability.size and not (probability.min() >= 0 and probability.max() <= 1):
                raise ValueError(f"`{name}` must hold probabilities in 0..1")
    if len(set(shapes.values())) > 1:
        found = ", ".join(f"`{name}` {shape}" for name, shape in shapes.items())
        raise ValueError(f"the maps must share one common grid (shape); got {found}")


def _overlap_groups(
    baseline: np.ndarray, followup: np.ndarray, baseline_ids: np.ndarray, followup_ids: np.ndarray, min_voxels: int
) -> list[Group]:
    """Connected groups of the bipartite overlap graph as ``(baseline_ids, followup_ids)``, in change-id order."""
    both = (baseline != 0) & (followup != 0)
    pairs = np.stack([baseline[both].astype(np.int64), followup[both].astype(np.int64)], axis=1)
    edges, shared_voxels = np.unique(pairs.reshape(-1, 2), axis=0, return_counts=True)
    edges = edges[shared_voxels >= min_voxels]
    n_baseline, n_total = baseline_ids.size, baseline_ids.size + followup_ids.size
    rows = np.searchsorted(baseline_ids, edges[:, 0])
    columns = n_baseline + np.searchsorted(followup_ids, edges[:, 1])
    graph = coo_matrix((np.ones(rows.size, dtype=np.int8), (rows, columns)), shape=(n_total, n_total))
    _, group_of_node = connected_components(graph, directed=False)
    members: dict[int, tuple[list[int], list[int]]] = {}
    for node, group in enumerate(group_of_node.tolist()):
        side = 0 if node < n_baseline else 1
        component = baseline_ids[node] if side == 0 else followup_ids[node - n_baseline]
        members.setdefault(group, ([], []))[side].append(int(component))
    groups = [(tuple(sorted(b)), tuple(sorted(f))) for b, f in members.values()]
    return sorted(groups, key=lambda g: (g[0][0] if g[0] else math.inf, g[1][0] if g[1] else math.inf))


def _reaches(value: float, threshold: float) -> bool:
    """``value >= threshold``, to within floating-point rounding (0.05 − 0.04 mL is 0.01 mL)."""
    return value >= threshold or math.isclose(value, threshold, rel_tol=1e-9, abs_tol=1e-12)


def _kind(n_baseline: int, n_followup: int, baseline_ml: float, followup_ml: float, rules: ChangeRules) -> str:
    """The class of a group with ``n_baseline`` and ``n_followup`` components and these summed volumes (mL)."""
    if n_baseline == 0:
        return "new"
    if n_followup == 0:
        return "vanished"
    if n_baseline > 1 or n_followup > 1:
        return "merged" if n_baseline >= n_followup else "split"
    change_ml = followup_ml - baseline_ml
    # a baseline volume of 0 makes any growth infinitely large relative to it
    percent = math.inf if baseline_ml == 0 else 100.0 * abs(change_ml) / baseline_ml
    if change_ml == 0 or not (
        _reaches(abs(change_ml), rules.min_change_ml) and _reaches(percent, rules.min_change_percent)
    ):
        return "stable"
    return "enlarging" if change_ml > 0 else "shrinking"


def _group_of_ids(groups: Sequence[Group], ids: np.ndarray, *, side: int) -> np.ndarray:
    """Group index of each of the sorted component ``ids`` of one session (``side`` 0 baseline, 1 follow-up)."""
    group_of_id = np.empty(ids.size, dtype=np.int64)
    for index, group in enumerate(groups):
        group_of_id[np.searchsorted(ids, group[side])] = index
    return group_of_id


def _group_index(components: np.ndarray, ids: np.ndarray, group_of_id: np.ndarray) -> np.ndarray:
    """Group index (0-based) of every element of ``components`` (-1 for background), same shape."""
    result = np.full(components.shape, -1, dtype=np.int64)
    lesion = components != 0
    result[lesion] = group_of_id[np.searchsorted(ids, components[lesion])]
    return result


def _majority_regions(group_b: np.ndarray, group_f: np.ndarray, regions: np.ndarray, n_groups: int) -> list[int]:
    """Per group: the non-zero region with most voxels of the group's footprint (ties: smaller id; 0: none).

    ``group_b``, ``group_f``: 1-D group indices of the lesion voxels in each session (-1 for none), aligned
    with the 1-D ``regions`` values of the same voxels. A voxel that both sessions give to one group counts
    once.
    """
    from_followup = (group_f >= 0) & (group_f != group_b)
    groups = np.concatenate([group_b[group_b >= 0], group_f[from_followup]])
    values = np.concatenate([regions[group_b >= 0], regions[from_followup]]).astype(np.int64)
    inside = values != 0
    pairs, voxels = np.unique(np.stack([groups[inside], values[inside]], axis=1), axis=0, return_counts=True)
    # by group, then most voxels, then the smaller region id: the first row of each group wins
    pairs = pairs[np.lexsort((pairs[:, 1], -voxels, pairs[:, 0]))]
    winners = np.unique(pairs[:, 0], return_index=True)[1]
    result = [0] * n_groups
    for group, region in pairs[winners].tolist():
        result[group] = region
    return result


def _uncertain_reason(kind: str, highest: float, rules: ChangeRules) -> str | None:
    """Why a new or vanished lesion is uncertain, given the other session's highest probability over it."""
    if highest < rules.uncertain_probability:
        return None
    if kind == "new":
        return f"baseline probability up to {highest:.2f} where the new lesion is"
    return f"follow-up probability up to {highest:.2f} where the vanished lesion was"


def _highest_probability(group_of_voxel: np.ndarray, probability: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group (0-based): the highest ``probability`` over the voxels whose ``group_of_voxel`` is that
    group (1-D arrays of the same length; 0 for a group without voxels)."""
    return np.asarray(ndimage.maximum(probability, labels=group_of_voxel + 1, index=np.arange(1, n_groups + 1)))


def _add_regions_and_uncertainty(
    changes: list[LesionChange],
    groups: Sequence[Group],
    maps: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    regions: np.ndarray | None,
    probabilities: tuple[np.ndarray, np.ndarray] | None,
    rules: ChangeRules,
) -> list[LesionChange]:
    """``changes`` with ``region_id`` (given ``regions``) and with new and vanished lesions made uncertain
    (given ``probabilities``, baseline and follow-up). ``maps``: baseline, follow-up and their sorted ids."""
    baseline, followup, baseline_ids, followup_ids = maps
    lesion = (baseline != 0) | (followup != 0)
    group_b = _group_index(baseline[lesion], baseline_ids, _group_of_ids(groups, baseline_ids, side=0))
    group_f = _group_index(followup[lesion], followup_ids, _group_of_ids(groups, followup_ids, side=1))
    if regions is not None:
        region_ids = _majority_regions(group_b, group_f, np.asanyarray(regions)[lesion], len(changes))
        changes = [replace(change, region_id=region) for change, region in zip(changes, region_ids, strict=True)]
    if probabilities is None:
        return changes
    highest = {
        "new": _highest_probability(group_f, np.asanyarray(probabilities[0])[lesion], len(changes)),
        "vanished": _highest_probability(group_b, np.asanyarray(probabilities[1])[lesion], len(changes)),
    }
    for index, change in enumerate(changes):
        if change.kind in highest:
            reason = _uncertain_reason(change.kind, float(highest[change.kind][index]), rules)
            if reason is not None:
                changes[index] = replace(change, kind="uncertain", uncertain_reason=reason)
    return changes


def _lesion_change(
    change_id: int, group: Group, baseline_ml: Mapping[int, float], followup_ml: Mapping[int, float], rules: ChangeRules
) -> LesionChange:
    """The LesionChange of one group (without region or uncertainty)."""
    baseline_ids, followup_ids = group
    before = math.fsum(float(baseline_ml[i]) for i in baseline_ids)
    after = math.fsum(float(followup_ml[i]) for i in followup_ids)
    return LesionChange(
        change_id=change_id,
        kind=_kind(len(baseline_ids), len(followup_ids), before, after, rules),
        baseline_ids=baseline_ids,
        followup_ids=followup_ids,
        baseline_ml=before,
        followup_ml=after,
        change_ml=after - before,
        change_percent=None if before == 0 else 100.0 * (after - before) / before,
    )


def match_lesions(
    baseline: np.ndarray,
    followup: np.ndarray,
    *,
    baseline_ml: Mapping[int, float],
    followup_ml: Mapping[int, float],
    rules: ChangeRules = ChangeRules(),  # frozen, so one shared default is safe
    regions: np.ndarray | None = None,
    baseline_probability: np.ndarray | None = None,
    followup_probability: np.ndarray | None = None,
) -> list[LesionChange]:
    """Match the lesions of two sessions by overlap and class each matched group (rules: the module's notes).

    Parameters
    ----------
    baseline, followup
        Integer component label maps (0 background, 1..n lesions) on one common grid, shape (X, Y, Z);
        labelled by the caller (26-connectivity in this project) and put on the common grid.
    baseline_ml, followup_ml
        ``{component id: volume in mL}`` measured in each session's native space; every id present in the
        map must be there (other keys are ignored).
    rules
        Thresholds of matching and of the classes.
    regions
        Integer region map on the common grid, shape (X, Y, Z): gives each group a ``region_id``.
    baseline_probability, followup_probability
        Both sessions' lesion probabilities (0..1) on the common grid, shape (X, Y, Z): a new or vanished
        lesion where the other session came close becomes ``uncertain``. Both or neither.

    Returns
    -------
    list of LesionChange
        One per connected group of the overlap graph, in ``change_id`` order (1..N).

    Raises
    ------
    UsageError
        ``rules`` out of range (naming the field).
    ValueError
        Maps of different shapes, a non-integer component map, an id without a volume, probabilities for one
        session only or outside 0..1 (errors of the caller, not of user input).
    """
    rules.check()
    baseline, followup = np.asanyarray(baseline), np.asanyarray(followup)
    _check_maps(baseline, followup, regions, (baseline_probability, followup_probability))
    baseline_ids, followup_ids = _component_ids("baseline", baseline), _component_ids("followup", followup)
    _check_volumes("baseline", baseline_ids, baseline_ml)
    _check_volumes("followup", followup_ids, followup_ml)
    groups = _overlap_groups(baseline, followup, baseline_ids, followup_ids, rules.min_overlap_voxels)
    changes = [
        _lesion_change(number, group, baseline_ml, followup_ml, rules) for number, group in enumerate(groups, start=1)
    ]
    probabilities = None
    if baseline_probability is not None and followup_probability is not None:
        probabilities = (baseline_probability, followup_probability)
    if not changes or (regions is None and probabilities is None):
        return changes
    maps = (baseline, followup, baseline_ids, followup_ids)
    return _add_regions_and_uncertainty(changes, groups, maps, regions, probabilities, rules)


def change_map(components: np.ndarray, changes: Sequence[LesionChange], *, side: str) -> np.ndarray:
    """Label every voxel of a session's lesions with the :data:`CHANGE_LABELS` value of its group's class.

    Parameters
    ----------
    components
        The component label map of one session (0 background), shape (X, Y, Z): on the common grid, or in
        the session's native space (the ids are the same there), which gives a change map in that space.
    changes
        The result of :func:`match_lesions`.
    side
        ``"baseline"`` or ``"followup"``: which session ``components`` belongs to.

    Returns
    -------
    numpy.ndarray
        ``(X, Y, Z) uint8``: 0 outside lesions, 1..8 as :data:`CHANGE_LABELS`.

    Raises
    ------
    UsageError
        ``side`` not one of ``baseline``, ``followup``.
    ValueError
        A component of ``components`` in none of ``changes`` (e.g. one lost when put on the common grid).
    """
    check_choice("side", side, SIDES)
    components = np.asanyarray(components)
    label_of_id = {i: CHANGE_LABELS[c.kind] for c in changes for i in getattr(c, f"{side}_ids")}
    ids = np.array(sorted(label_of_id), dtype=np.int64)
    labels = np.array([label_of_id[i] for i in ids.tolist()], dtype=np.uint8)
    lesion = components != 0
    values = components[lesion].astype(np.int64)
    position = np.searchsorted(ids, values).clip(max=max(ids.size - 1, 0))
    found = ids[position] == values if ids.size else np.zeros(values.shape, dtype=bool)
    if not found.all():
        unknown = np.unique(values[~found]).tolist()
        raise ValueError(f"`components` ({side}) has component id(s) {unknown} that are in none of `changes`")
    result = np.zeros(components.shape, dtype=np.uint8)
    result[lesion] = labels[position]
    return result


def count_classes(changes: Iterable[LesionChange]) -> dict[str, int]:
    """``{class: number of changes}`` for every class of :data:`CHANGE_CLASSES`, in that order, zeros included."""
    counts = dict.fromkeys(CHANGE_CLASSES, 0)
    for change in changes:
        counts[change.kind] += 1
    return counts
