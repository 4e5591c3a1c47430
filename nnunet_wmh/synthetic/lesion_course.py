"""A truth lesion over the sessions of a synthetic subject, and the checks that make its truth unambiguous.

:class:`LesionCourse` is one lesion of :mod:`~nnunet_wmh.synthetic.longitudinal`'s model: its ellipsoid at each
session and its class of change at each interval. :class:`Placement` says where a lesion may go (far enough from
every other lesion, the periventricular caps and rim and the other pathology) and whether its voxels, on every
session's grid, show what the model says (:mod:`~nnunet_wmh.synthetic.lesion_voxels`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.spatial import cKDTree

from nnunet_wmh.synthetic.anatomy import DEEP_LESION_CORE, PHANTOM, Blob, PhantomAnatomy, grid_world_points
from nnunet_wmh.synthetic.lesion_voxels import component_count, component_volumes_mm3, volume_mm3, voxelize
from nnunet_wmh.synthetic.phantom import SubjectPathology
from nnunet_wmh.synthetic.pitfalls import CAP_COUNT
from nnunet_wmh.synthetic.visits import SessionGrid

#: Truth id of the periventricular lesion (caps and rim); deep lesions are 2, 3, ...
PERIVENTRICULAR_ID = 1
#: Distinct lesions are this many voxels of the grid's coarsest axis apart at least (template mm).
SEPARATION_VOXELS = 3.0
#: Smallest volume of a lesion where present (mm³).
MIN_LESION_MM3 = 30.0
#: Smallest volume of a deep lesion as drawn: this many voxels of the grid, and a ball this many voxels of the
#: grid's coarsest axis in radius (and :data:`MIN_LESION_MM3`): smaller lesions are not measured well enough, under
#: a small head motion, to tell their changes apart.
MIN_LESION_VOXELS, MIN_RADIUS_VOXELS = 24, 1.2
#: What the voxels must show: enlarging to at least this volume ratio, shrinking to at most this one, stable
#: within ± this fraction.
ENLARGED_RATIO, SHRUNK_RATIO, STABLE_TOLERANCE = 1.5, 0.6, 0.15
#: Step (mm) of the template grid on which the rim is sampled to keep deep lesions away from it.
RIM_STEP_MM = 2.0
#: Candidate centres of deep lesions drawn at once.
CENTRE_BATCH = 256


@dataclass(frozen=True)
class LesionCourse:
    """One truth lesion over the sessions.

    Attributes
    ----------
    lesion_id
        Its id in the lesion-id maps (the same at every session).
    blobs
        Its ellipsoid (template mm) at each session; None where absent.
    kinds
        Its class of change at each interval (session k → k + 1); None where absent at both.
    partner
        The other lesion of its merge or split pair (0: none).
    faint
        Faint on FLAIR (:mod:`~nnunet_wmh.synthetic.pitfalls`) at every session.
    """

    lesion_id: int
    blobs: tuple[Blob | None, ...]
    kinds: tuple[str | None, ...]
    partner: int = 0
    faint: bool = False


def footprint(courses: Sequence[LesionCourse]) -> tuple[np.ndarray, float]:
    """Centre and radius (template mm) of a sphere holding ``courses`` at every session."""
    blobs = [b for course in courses for b in course.blobs if b is not None]
    centre = np.mean([b.center for b in blobs], axis=0)
    return centre, max(float(np.linalg.norm(b.center - centre)) + b.bounding_radius() for b in blobs)


def kinds_of(relative_volumes: Sequence[float]) -> tuple[str | None, ...]:
    """Class of change at each interval of a lesion whose volume (relative to any reference; 0 where absent) is
    given per session: ``new``, ``vanished``, ``enlarging``, ``shrinking``, ``stable``; None where absent at
    both ends."""
    kinds: list[str | None] = []
    for before, after in itertools.pairwise(relative_volumes):
        if before == 0 or after == 0:
            kinds.append(None if before == after else ("new" if before == 0 else "vanished"))
        else:
            kinds.append("enlarging" if after > before else "shrinking" if after < before else "stable")
    return tuple(kinds)


def ratios_agree(kinds: Sequence[str | None], volumes_mm3: Sequence[float]) -> bool:
    """Whether measured volumes per session show each interval's kind: ``enlarging`` ≥ :data:`ENLARGED_RATIO`,
    ``shrinking`` ≤ :data:`SHRUNK_RATIO`, ``stable`` within ± :data:`STABLE_TOLERANCE` (others: any)."""
    for kind, (before, after) in zip(kinds, itertools.pairwise(volumes_mm3), strict=True):
        if kind == "enlarging" and not after >= ENLARGED_RATIO * before:
            return False
        if kind == "shrinking" and not after <= SHRUNK_RATIO * before:
            return False
        if kind == "stable" and not abs(after - before) <= STABLE_TOLERANCE * before:
            return False
    return True


def rim_points(rim_mm: float, anatomy: PhantomAnatomy = PHANTOM) -> np.ndarray:
    """Template points (M, 3) mm, :data:`RIM_STEP_MM` apart, where a rim ``rim_mm`` thick may be (before it is
    restricted to white matter)."""
    if rim_mm <= 0:
        return np.zeros((0, 3))
    shape, affine = anatomy.template_grid(RIM_STEP_MM)
    points = grid_world_points(shape, affine)
    return points[anatomy.rim(points, rim_mm)]


def periventricular_is_stable(
    pathology: SubjectPathology,
    grids: Sequence[SessionGrid],
    anatomy: PhantomAnatomy = PHANTOM,
    *,
    components: bool = True,
) -> bool:
    """Whether the caps and rim of ``pathology``, voxelized on every grid, measure together at least
    :data:`MIN_LESION_MM3` and the same volume within :data:`STABLE_TOLERANCE`; with ``components``, also
    whether they form as many 26-connected components on every grid, each the same volume (largest first) within
    :data:`STABLE_TOLERANCE`."""
    caps = pathology.wmh[:CAP_COUNT]
    periventricular = replace(pathology, wmh=caps, lesion_ids=(PERIVENTRICULAR_ID,) * len(caps),
                              rim_id=PERIVENTRICULAR_ID)  # fmt: skip
    spheres = [(b.center, b.bounding_radius()) for b in caps]
    rim = rim_points(pathology.rim_mm, anatomy)
    if len(rim):
        low, high = rim.min(axis=0), rim.max(axis=0)
        spheres.append(((low + high) / 2, float(np.linalg.norm(high - low)) / 2 + RIM_STEP_MM))
    volumes = []
    for grid in grids:
        ids = voxelize(grid, periventricular, spheres, anatomy)
        measured = component_volumes_mm3(ids, [PERIVENTRICULAR_ID], grid.voxel_volume_mm3)
        volumes.append(np.array(measured if components else [sum(measured)]))
    if volumes[0].sum() < MIN_LESION_MM3 or any(len(v) != len(volumes[0]) for v in volumes):
        return False
    return all(bool(np.all(np.abs(v / volumes[0] - 1) <= STABLE_TOLERANCE)) for v in volumes[1:])


class Placement:
    """Where a subject's deep lesions may go, and whether a drawn lesion's voxels agree with its course.

    Parameters
    ----------
    baseline
        The subject's baseline pathology: its caps (the first :data:`~nnunet_wmh.synthetic.pitfalls.CAP_COUNT`
        WMH blobs), rim and other pathology are kept clear of.
    grids
        Every session's grid (the same shape and spacing).
    anatomy
        Where the lesions are.
    """

    def __init__(
        self, baseline: SubjectPathology, grids: Sequence[SessionGrid], anatomy: PhantomAnatomy = PHANTOM
    ) -> None:
        self.grids, self.anatomy = tuple(grids), anatomy
        #: The grid's coarsest voxel size (mm): the unit of every distance between lesions.
        self.coarsest_mm = float(grids[0].spacing_mm.max())
        self.gap_mm = SEPARATION_VOXELS * self.coarsest_mm
        #: Smallest volume of a deep lesion as drawn (mm³).
        self.floor_mm3 = max(MIN_LESION_MM3, MIN_LESION_VOXELS * grids[0].voxel_volume_mm3,
                             4 / 3 * np.pi * (MIN_RADIUS_VOXELS * self.coarsest_mm) ** 3)  # fmt: skip
        self._spheres = [(b.center, b.bounding_radius()) for b in (*baseline.wmh[:CAP_COUNT], *baseline.other)]
        rim = rim_points(baseline.rim_mm, anatomy)
        self._rim = cKDTree(rim) if len(rim) else None
        self._centres: list[np.ndarray] = []

    def next_centre(self, rng: np.random.Generator) -> np.ndarray:
        """A random white matter point (template mm) at normalised brain radius below
        :data:`~nnunet_wmh.synthetic.anatomy.DEEP_LESION_CORE`, where a deep lesion may be centred (drawn
        :data:`CENTRE_BATCH` at a time)."""
        if not self._centres:
            self._centres = list(self.anatomy.white_matter_points(rng, CENTRE_BATCH, DEEP_LESION_CORE)[::-1])
        return self._centres.pop()

    def is_clear(self, courses: Sequence[LesionCourse]) -> bool:
        """Whether each of ``courses``, within its :func:`footprint`, keeps :attr:`gap_mm` from every lesion
        placed so far, the caps, the other pathology and the rim (the two of a pair are not checked against
        each other)."""
        for centre, radius_mm in (footprint([course]) for course in courses):
            for other_centre, other_radius in self._spheres:
                if np.linalg.norm(centre - other_centre) < radius_mm + other_radius + self.gap_mm:
                    return False
            if self._rim is not None:
                nearest, _ = self._rim.query(centre)
                if nearest < radius_mm + self.gap_mm + RIM_STEP_MM * np.sqrt(3) / 2:
                    return False
        return True

    def occupy(self, courses: Sequence[LesionCourse]) -> None:
        """Keep later lesions clear of ``courses``."""
        self._spheres += [footprint([course]) for course in courses]

    def voxels_agree(self, courses: Sequence[LesionCourse], joined: Sequence[bool] | None = None) -> bool:
        """Whether ``courses`` (one lesion, or a pair with distinct ids), voxelized on every session's grid, are at
        least :data:`MIN_LESION_MM3` each where present, form one 26-connected component each (a pair: one in
        all, at the sessions ``joined`` says), and show their kinds (:func:`ratios_agree`)."""
        spheres = [footprint(courses)]
        volumes: dict[int, list[float]] = {course.lesion_id: [] for course in courses}
        for session, grid in enumerate(self.grids):
            present = [course for course in courses if course.blobs[session] is not None]
            pathology = SubjectPathology(0.0, tuple(c.blobs[session] for c in present), 0.0, (),  # type: ignore[misc]
                                         lesion_ids=tuple(c.lesion_id for c in present))  # fmt: skip
            ids = voxelize(grid, pathology, spheres, self.anatomy) if present else np.zeros((1, 1, 1), np.uint16)
            for course in courses:
                volumes[course.lesion_id].append(volume_mm3(ids, course.lesion_id, grid.voxel_volume_mm3))
            if any(volumes[course.lesion_id][-1] < MIN_LESION_MM3 for course in present):
                return False
            expected = 1 if joined is not None and joined[session] else len(present)
            if component_count(ids, [course.lesion_id for course in present]) != expected:
                return False
        return all(ratios_agree(course.kinds, volumes[course.lesion_id]) for course in courses)
