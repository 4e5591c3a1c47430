"""How the lesions of a synthetic subject evolve between its sessions: a seeded model whose truth is known.

``synth --sessions N`` (BIDS, N > 1) draws each subject's pathology once, at baseline, and evolves it by this
model; :mod:`~nnunet_wmh.synthetic.change_truth` writes the truth it draws. All sizes scale with the grid, so that
every change the table states can be measured on that grid under the small head motion between visits
(:mod:`~nnunet_wmh.synthetic.visits`): "coarsest voxel" below is the grid's largest voxel size (3 mm for the
challenge grids, 6 mm with ``size="small"``).

**Baseline.** :func:`~nnunet_wmh.synthetic.phantom.random_pathology`, from the baseline session's generator as
for a single-session subject, with its periventricular lesion made measurable
(:func:`measurable_periventricular`): caps of at least :data:`CAP_MIN_VOXELS` voxels and a rim at least
:data:`RIM_MIN_VOXELS` coarsest voxel thick (every subject has one). It is drawn again (up to
:data:`PATHOLOGY_ATTEMPTS` times) until the caps and rim form, on every session's grid, as many 26-connected
components of the same volumes (± 15 %); where none does (the MNI152 anatomy, whose white matter leaves small
fragments of the rim), the first whose total volume is stable is kept.

**Unchanged.** The caps and rim are one truth lesion, id :data:`PERIVENTRICULAR_ID`, ``stable`` at every
interval; the "other pathology" (label 2, no id) and the FLAIR pitfalls do not change.

**Deep lesions** (as many as the baseline pathology has) get a fate, with probabilities
:data:`FATE_PROBABILITIES`, and a follow-up where it shows, uniform among the follow-ups:

- ``stable``: the same at every session;
- ``enlarging``: from its follow-up on, the volume × U(:data:`GROWTH`) = U(1.6, 2.5) at every interval;
- ``shrinking``: at its follow-up, the volume × U(:data:`SHRINKAGE`) = U(0.3, 0.55) (stable before and after:
  a lesion that kept shrinking would vanish, which is a fate of its own);
- ``vanishing``: present (stable) until its follow-up, absent from it on.

**New lesions**: Poisson(:data:`NEW_LESION_RATE` + :data:`NEW_LESION_RATE_PER_LOAD` × lesion load) at each
follow-up, absent before, stable after.

A deep lesion is an ellipsoid (semi-axes r × U(0.7, 1.3) per axis, random orientation) centred in white matter
below normalised brain radius 0.8 (as a single-session deep lesion), restricted to white matter, scaled about its
centre as its volume changes. Its smallest present volume is the larger of a single-session deep lesion's (radius
lognormal around 2.2 mm) and the grid's floor (the largest of
:data:`~nnunet_wmh.synthetic.lesion_course.MIN_LESION_MM3`,
:data:`~nnunet_wmh.synthetic.lesion_course.MIN_LESION_VOXELS` voxels and a ball of
:data:`~nnunet_wmh.synthetic.lesion_course.MIN_RADIUS_VOXELS` coarsest voxels radius) × U(1, 1.5).

**Merge pair** (probability :data:`MERGE_PROBABILITY` per subject): two lesions on a horizontal axis, round where
they are smallest (before merging; volume: the floor × U(1, 1.5)) and at least :data:`PAIR_GAP_VOXELS` ×
U(1, 1.5) coarsest voxels apart; at a drawn follow-up both lengthen along the axis towards each other, their far ends
staying, by one factor within U(1.6, 2.5) chosen so that they then overlap by :data:`PAIR_GAP_VOXELS` × U(1, 1.5)
coarsest voxels (longer lesions where the largest factor is not enough): one connected component. Stable before
and after; the interval of the event is ``merged``.

**Split pair** (probability :data:`SPLIT_PROBABILITY`): the reverse: two overlapping lesions (one component) that
at a drawn follow-up shorten along their axis away from each other by a factor within U(0.3, 0.55), and are then
two components as far apart; the interval is ``split``.

The two lesions of a pair keep their own ids while joined (where they overlap, the voxels take the higher id);
the table gives each the other's id (``merged_with``).

**Unambiguous truth.** Each lesion, at its largest over the sessions (its bounding sphere over all sessions),
keeps :data:`~nnunet_wmh.synthetic.lesion_course.SEPARATION_VOXELS` coarsest voxels from every other lesion (the
two of a pair from everything but each other), from the caps, the other pathology and the rim; otherwise its
place is drawn again. It is then voxelized on every session's grid and kept only if the voxels show the model:
at least 30 mm³ where present, one 26-connected component (a pair: one where joined, two where apart), and
measured volume ratios ``enlarging`` ≥ 1.5, ``shrinking`` ≤ 0.6 and ``stable`` within ± 15 %
(:func:`~nnunet_wmh.synthetic.lesion_course.ratios_agree`); otherwise it is drawn again (up to
:data:`PLACEMENT_ATTEMPTS` times, a pair :data:`PAIR_ATTEMPTS`), and then left out. Pairs are placed first, then
the lesions whose volume changes most, so that on crowded coarse grids the stable ones are left out first.

**Classes of change** at an interval (consecutive sessions): ``new`` (absent, then present), ``vanished``
(present, then absent), ``merged`` / ``split`` (a pair at its event), else ``enlarging``, ``shrinking`` or
``stable`` as the model's volume factor is above, below or equal to 1.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from nnunet_wmh.synthetic.anatomy import PHANTOM, Blob, PhantomAnatomy, random_rotation
from nnunet_wmh.synthetic.lesion_course import (
    PERIVENTRICULAR_ID,
    LesionCourse,
    Placement,
    kinds_of,
    periventricular_is_stable,
)
from nnunet_wmh.synthetic.phantom import SubjectPathology, random_pathology
from nnunet_wmh.synthetic.pitfalls import CAP_COUNT, FAINT_SHARE
from nnunet_wmh.synthetic.visits import SessionGrid, acquisition_times, random_head_motion

logger = logging.getLogger(__name__)

#: Classes of change of the truth table, as the model draws them.
KINDS = ("new", "enlarging", "stable", "shrinking", "vanished", "merged", "split")
#: Fates of the baseline deep lesions and their probabilities.
FATES = ("stable", "enlarging", "shrinking", "vanishing")
FATE_PROBABILITIES = (0.40, 0.25, 0.15, 0.20)
#: Volume factor per interval of an enlarging lesion, and of a shrinking one (uniform).
GROWTH, SHRINKAGE = (1.6, 2.5), (0.3, 0.55)
#: New deep lesions per follow-up: Poisson(rate + rate per load × the subject's lesion load).
NEW_LESION_RATE, NEW_LESION_RATE_PER_LOAD = 0.5, 1.0
#: Probability per subject of a merge pair, and of a split pair.
MERGE_PROBABILITY, SPLIT_PROBABILITY = 0.5, 0.4
#: The two lesions of a pair: at least this many voxels of the grid's coarsest axis apart (× U(1, 1.5)) before
#: merging (after splitting), overlapping by as much when joined.
PAIR_GAP_VOXELS = 1.5
#: The periventricular lesion, made measurable: caps of at least this many voxels, a rim at least this many
#: coarsest voxels thick.
CAP_MIN_VOXELS, RIM_MIN_VOXELS = 36, 1.0
#: Draws of a lesion's (a pair's) place and size before it is left out; draws of the baseline pathology.
PLACEMENT_ATTEMPTS, PAIR_ATTEMPTS, PATHOLOGY_ATTEMPTS = 100, 400, 10
#: Streams of a subject's random generators (``[seed, subject index, stream, ...]``): head motion per session,
#: lesion evolution, acquisition dates.
MOTION_STREAM, LESION_STREAM, DATES_STREAM = 101, 102, 103


@dataclass(frozen=True)
class LesionHistory:
    """A subject's lesions over its sessions.

    Attributes
    ----------
    baseline
        The pathology drawn at baseline: caps, rim, other pathology and pitfalls (its deep lesions are replaced by
        ``courses``).
    courses
        The deep lesions, by id.
    sessions
        Number of sessions.
    """

    baseline: SubjectPathology
    courses: tuple[LesionCourse, ...]
    sessions: int

    def session_pathology(self, session: int) -> SubjectPathology:
        """The lesions present at ``session`` (0-based) with their ids: caps and rim, then the deep lesions."""
        caps = self.baseline.wmh[:CAP_COUNT]
        present = [course for course in self.courses if course.blobs[session] is not None]
        faint = [i for i in self.baseline.pitfalls.faint if i < CAP_COUNT]
        faint += [CAP_COUNT + k for k, course in enumerate(present) if course.faint]
        return replace(
            self.baseline,
            wmh=caps + tuple(course.blobs[session] for course in present),  # type: ignore[misc]
            lesion_ids=(PERIVENTRICULAR_ID,) * len(caps) + tuple(course.lesion_id for course in present),
            rim_id=PERIVENTRICULAR_ID,
            pitfalls=replace(self.baseline.pitfalls, faint=tuple(faint)),
        )

    def kinds(self) -> dict[int, tuple[str | None, ...]]:
        """``{lesion id: class of change per interval}``, the periventricular lesion (stable) first."""
        return {PERIVENTRICULAR_ID: ("stable",) * (self.sessions - 1),
                **{course.lesion_id: course.kinds for course in self.courses}}  # fmt: skip


def measurable_periventricular(pathology: SubjectPathology, grid: SessionGrid) -> SubjectPathology:
    """``pathology`` with its periventricular lesion made measurable on ``grid``: each cap at least
    :data:`CAP_MIN_VOXELS` voxels (scaled about its centre), the rim at least :data:`RIM_MIN_VOXELS` of the
    coarsest voxel size thick (so that it joins the caps into components that keep their number on coarse
    grids)."""
    floor_mm3 = CAP_MIN_VOXELS * grid.voxel_volume_mm3
    caps = []
    for cap in pathology.wmh[:CAP_COUNT]:
        volume_mm3 = 4 / 3 * np.pi * float(np.prod(cap.semi_axes))
        caps.append(replace(cap, semi_axes=cap.semi_axes * max(1.0, np.cbrt(floor_mm3 / volume_mm3))))
    rim_mm = max(pathology.rim_mm, RIM_MIN_VOXELS * float(grid.spacing_mm.max()))
    return replace(pathology, wmh=(*caps, *pathology.wmh[CAP_COUNT:]), rim_mm=rim_mm)


def draw_baseline_pathology(
    rng: np.random.Generator, load: float | None, grids: Sequence[SessionGrid], anatomy: PhantomAnatomy = PHANTOM
) -> SubjectPathology:
    """The baseline pathology (:func:`~nnunet_wmh.synthetic.phantom.random_pathology`, its periventricular
    lesion made :func:`measurable_periventricular`), drawn again until that lesion keeps its components on every
    grid (:func:`~nnunet_wmh.synthetic.lesion_course.periventricular_is_stable`), at most
    :data:`PATHOLOGY_ATTEMPTS` times; failing that, the first draw whose total volume is stable (the last one
    if none)."""
    stable_in_total = None
    for _ in range(PATHOLOGY_ATTEMPTS):
        pathology = measurable_periventricular(random_pathology(rng, load, anatomy), grids[0])
        if periventricular_is_stable(pathology, grids, anatomy):
            return pathology
        if stable_in_total is None and periventricular_is_stable(pathology, grids, anatomy, components=False):
            stable_in_total = pathology
    logger.info("no periventricular lesion kept its components in %d draws", PATHOLOGY_ATTEMPTS)
    return pathology if stable_in_total is None else stable_in_total


def _fate_volumes(rng: np.random.Generator, fate: str, sessions: int) -> list[float]:
    """Volume per session relative to baseline for a deep lesion's ``fate`` (0 where absent)."""
    start = int(rng.integers(1, sessions))  # the follow-up where the fate shows
    relative = [1.0]
    for session in range(1, sessions):
        factor = 1.0
        if fate == "enlarging" and session >= start:
            factor = rng.uniform(*GROWTH)
        elif fate == "shrinking" and session == start:
            factor = rng.uniform(*SHRINKAGE)
        elif fate == "vanishing" and session >= start:
            factor = 0.0
        relative.append(relative[-1] * factor)
    return relative


def _single_course(
    rng: np.random.Generator, placement: Placement, relative: Sequence[float], faint: bool
) -> LesionCourse | None:
    """A deep lesion with these relative volumes, placed where it is clear and its voxels agree (None if it
    found no place in :data:`PLACEMENT_ATTEMPTS` draws)."""
    smallest = min(v for v in relative if v > 0)
    for _ in range(PLACEMENT_ATTEMPTS):
        centre = placement.next_centre(rng)
        radius = float(np.clip(rng.lognormal(mean=np.log(2.2), sigma=0.45), 1.0, 6.0))
        volume = max(4 / 3 * np.pi * radius**3, placement.floor_mm3 * rng.uniform(1.0, 1.5)) / smallest  # at relative 1
        semi_axes = rng.uniform(0.7, 1.3, size=3)
        semi_axes *= np.cbrt(volume / (4 / 3 * np.pi * np.prod(semi_axes)))
        rotation = random_rotation(rng, 90)
        blobs = tuple(Blob(centre, semi_axes * np.cbrt(v), rotation) if v > 0 else None for v in relative)
        course = LesionCourse(1, blobs, kinds_of(relative), faint=faint)
        if placement.is_clear([course]) and placement.voxels_agree([course]):
            placement.occupy([course])
            return course
    return None


def _pair_blobs(
    rng: np.random.Generator, centre: np.ndarray, kind: str, event: int, sessions: int, unit_mm: float,
    floor_mm3: float,
) -> tuple[list[tuple[Blob, ...]], list[list[float]]]:  # fmt: skip
    """The two lesions of a merge or split pair at every session, and each one's volume per session relative to
    baseline.

    On a horizontal axis through ``centre``, each is an ellipsoid whose far end (from the other) stays while its
    length along the axis changes at ``event`` by one factor, the same for both (merged: within :data:`GROWTH`;
    split: within :data:`SHRINKAGE`). Where they are apart (before a merge, after a split) each is round,
    ``floor_mm3`` × U(1, 1.5) in volume, and they are at least ``unit_mm`` × U(1, 1.5) apart; joined, they overlap
    by ``unit_mm`` × U(1, 1.5). The factor is chosen for these distances within its range; where even its largest
    is not enough, the lesions are made longer along the axis.
    """
    angle = rng.uniform(0.0, 2 * np.pi)
    rotation = np.array([[np.cos(angle), -np.sin(angle), 0.0], [np.sin(angle), np.cos(angle), 0.0], [0, 0, 1.0]])
    radii = np.cbrt(3 * floor_mm3 * rng.uniform(1.0, 1.5, size=2) / (4 * np.pi))
    gap, overlap = unit_mm * rng.uniform(1.0, 1.5, size=2)
    low, high = GROWTH if kind == "merged" else (1 / SHRINKAGE[1], 1 / SHRINKAGE[0])
    ratio = float(np.clip(1 + (gap + overlap) / (2 * radii.sum()), low, high))  # joined length / apart length
    apart = 2 * radii * max(1.0, (gap + overlap) / (2 * radii.sum() * (ratio - 1)))  # lengths where apart
    gap = float(apart.sum() * (ratio - 1) - overlap)
    before = apart if kind == "merged" else apart * ratio
    after = apart * ratio if kind == "merged" else apart
    smallest_session = event - 1 if kind == "merged" else event  # where they are apart, ``gap`` between them
    lengths = [[float((before if s < event else after)[k]) for s in range(sessions)] for k in range(2)]
    far_ends = (-gap / 2 - lengths[0][smallest_session], gap / 2 + lengths[1][smallest_session])
    blobs = []
    for far, direction, length, radius in zip(far_ends, (1.0, -1.0), lengths, radii, strict=True):
        semi_axes = [np.array([n / 2, radius, radius]) for n in length]
        blobs.append(tuple(Blob(centre + rotation[:, 0] * (far + direction * n / 2), axes, rotation)
                           for n, axes in zip(length, semi_axes, strict=True)))  # fmt: skip
    return blobs, [[n / length[0] for n in length] for length in lengths]


def _pair_courses(
    rng: np.random.Generator, placement: Placement, kind: str, faint: tuple[bool, bool]
) -> list[LesionCourse]:
    """A merge or split pair (ids 1 and 2, renumbered later) placed where it is clear and its voxels agree;
    empty if it found no place in :data:`PAIR_ATTEMPTS` draws."""
    sessions = len(placement.grids)
    event = int(rng.integers(1, sessions))  # the follow-up where they merge or split
    joined = [(session >= event) == (kind == "merged") for session in range(sessions)]
    unit_mm = PAIR_GAP_VOXELS * placement.coarsest_mm
    for _ in range(PAIR_ATTEMPTS):
        centre = placement.next_centre(rng)
        blobs, relative = _pair_blobs(rng, centre, kind, event, sessions, unit_mm, placement.floor_mm3)
        courses = []
        for lesion_id in (1, 2):
            kinds = list(kinds_of(relative[lesion_id - 1]))
            kinds[event - 1] = kind
            courses.append(LesionCourse(lesion_id, blobs[lesion_id - 1], tuple(kinds), partner=3 - lesion_id,
                                        faint=faint[lesion_id - 1]))  # fmt: skip
        if placement.is_clear(courses) and placement.voxels_agree(courses, joined):
            placement.occupy(courses)
            return courses
    return []


def _numbered(groups: Sequence[Sequence[LesionCourse]]) -> tuple[LesionCourse, ...]:
    """The courses with ids 2, 3, ... by the session they first appear at, then in the order drawn; a pair's
    partners renumbered with them."""

    def first_session(group: Sequence[LesionCourse]) -> int:
        return min(next(s for s, b in enumerate(course.blobs) if b is not None) for course in group)

    numbered: list[LesionCourse] = []
    for group in sorted(groups, key=first_session):
        ids = {course.lesion_id: PERIVENTRICULAR_ID + 1 + len(numbered) + k for k, course in enumerate(group)}
        numbered += [replace(course, lesion_id=ids[course.lesion_id], partner=ids.get(course.partner, 0))
                     for course in group]  # fmt: skip
    return tuple(numbered)


def draw_lesion_history(
    rng: np.random.Generator,
    baseline: SubjectPathology,
    grids: Sequence[SessionGrid],
    anatomy: PhantomAnatomy = PHANTOM,
) -> LesionHistory:
    """Draw how a subject's lesions evolve over its sessions (the model of this module's docstring).

    Parameters
    ----------
    rng
        The subject's generator for its lesions' evolution.
    baseline
        Its baseline pathology (:func:`draw_baseline_pathology`): the number of deep lesions, the caps, rim and
        other pathology they keep clear of, which are faint on FLAIR.
    grids
        Every session's grid, baseline first: where the lesions' voxels are checked.
    anatomy
        Where the lesions are.
    """
    sessions = len(grids)
    placement = Placement(baseline, grids, anatomy)

    def faint() -> bool:
        return bool(rng.random() < FAINT_SHARE) and anatomy.pitfalls

    pairs = [(kind, (faint(), faint())) for kind, probability in (("merged", MERGE_PROBABILITY),
             ("split", SPLIT_PROBABILITY)) if rng.random() < probability]  # fmt: skip
    singles = [(_fate_volumes(rng, FATES[rng.choice(len(FATES), p=FATE_PROBABILITIES)], sessions),
                index in baseline.pitfalls.faint) for index in range(CAP_COUNT, len(baseline.wmh))]  # fmt: skip
    for session in range(1, sessions):
        count = int(rng.poisson(NEW_LESION_RATE + NEW_LESION_RATE_PER_LOAD * baseline.load))
        singles += [([0.0] * session + [1.0] * (sessions - session), faint()) for _ in range(count)]
    # The largest changes need the most room: pairs first, then by the ratio of largest to smallest volume.
    singles.sort(key=lambda single: -max(single[0]) / min(v for v in single[0] if v > 0))
    groups = [_pair_courses(rng, placement, kind, pair_faint) for kind, pair_faint in pairs]
    for relative, is_faint in singles:
        course = _single_course(rng, placement, relative, is_faint)
        groups.append([course] if course else [])
    return LesionHistory(baseline, _numbered([group for group in groups if group]), sessions)


@dataclass(frozen=True)
class SubjectVisits:
    """Everything a subject's sessions share or differ by, drawn once.

    Attributes
    ----------
    grids
        Each session's grid and head position, baseline first.
    history
        The lesions at each session.
    acquired
        Each session's acquisition date-time.
    """

    grids: tuple[SessionGrid, ...]
    history: LesionHistory
    acquired: tuple[datetime.datetime, ...]


def plan_visits(
    seed: int,
    index: int,
    sessions: int,
    baseline_grid: SessionGrid,
    rng: np.random.Generator,
    load: float | None = None,
    anatomy: PhantomAnatomy = PHANTOM,
) -> SubjectVisits:
    """Draw a subject's visits: head motion per follow-up, the baseline pathology (from ``rng``) and how it
    evolves, and the acquisition dates.

    Parameters
    ----------
    seed, index
        The cohort's seed and the subject's index: the generators of the motion of each session, of the lesions'
        evolution and of the dates are ``[seed, index, stream, ...]`` (:data:`MOTION_STREAM`...).
    sessions
        Number of sessions (at least 2).
    baseline_grid
        The baseline's grid and head (motion None).
    rng
        The baseline session's generator, after its grid was drawn: draws the baseline pathology.
    load
        Lesion load factor (None: drawn by :func:`~nnunet_wmh.synthetic.phantom.random_pathology`).
    anatomy
        Where the lesions are.
    """
    grids = [baseline_grid] + [
        replace(baseline_grid, motion=random_head_motion(np.random.default_rng([seed, index, MOTION_STREAM, session])))
        for session in range(1, sessions)
    ]
    baseline = draw_baseline_pathology(rng, load, grids, anatomy)
    history = draw_lesion_history(np.random.default_rng([seed, index, LESION_STREAM]), baseline, grids, anatomy)
    acquired = acquisition_times(np.random.default_rng([seed, index, DATES_STREAM]), sessions)
    return SubjectVisits(tuple(grids), history, tuple(acquired))
