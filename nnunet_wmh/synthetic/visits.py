"""The visits of a synthetic subject with several sessions: the same scanner grid, the head moved a little, and
an acquisition date about a year after the previous visit.

The baseline (``ses-01``) draws its native grid as a single-session subject does. Each follow-up is acquired on
the same grid (shape, spacing, affine) with the head moved by a small rigid motion: a rotation by at most
:data:`MOTION_MAX_DEGREES` about a random axis through the world origin (within 8 mm of the grid centre) and a
translation of at most :data:`MOTION_MAX_MM`, both uniform, drawn per subject and session. The motion ``M`` maps
a point of the head in the baseline's world (mm) to where that point is in the follow-up's world, so the
follow-up sees the template through ``world → template(M⁻¹ · world)``
(:class:`MovedSubjectTransform`): its images are the baseline head rigidly moved, resampled on the same grid.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import numpy as np

from nnunet_wmh.synthetic.phantom import SubjectTransform

#: Largest rotation (degrees, about one axis) and translation (mm) of the head between two visits.
MOTION_MAX_DEGREES, MOTION_MAX_MM = 3.0, 3.0
#: Follow-ups come this many days after the previous visit, ± :data:`FOLLOW_UP_JITTER_DAYS` (uniform).
FOLLOW_UP_DAYS, FOLLOW_UP_JITTER_DAYS = 365, 61
#: The baseline is acquired between these dates (uniform), between 08:00 and 18:00 (whole minutes).
BASELINE_DATES = (datetime.date(2015, 1, 1), datetime.date(2019, 12, 31))


def random_head_motion(rng: np.random.Generator) -> np.ndarray:
    """A rigid motion, 4×4 (mm): rotation by U(0, :data:`MOTION_MAX_DEGREES`) degrees about a uniformly random
    axis through the world origin, then a translation of U(0, :data:`MOTION_MAX_MM`) mm in a random direction."""
    axis = rng.normal(size=3)
    axis /= np.linalg.norm(axis)
    angle = np.deg2rad(rng.uniform(0.0, MOTION_MAX_DEGREES))
    cross = np.array([[0.0, -axis[2], axis[1]], [axis[2], 0.0, -axis[0]], [-axis[1], axis[0], 0.0]])
    rotation = np.eye(3) + np.sin(angle) * cross + (1 - np.cos(angle)) * cross @ cross  # Rodrigues
    direction = rng.normal(size=3)
    motion = np.eye(4)
    motion[:3, :3] = rotation
    motion[:3, 3] = direction / np.linalg.norm(direction) * rng.uniform(0.0, MOTION_MAX_MM)
    return motion


def motion_angle_degrees(motion: np.ndarray) -> float:
    """Rotation angle (degrees) of a rigid 4×4 motion."""
    cosine = (np.trace(motion[:3, :3]) - 1) / 2
    return float(np.rad2deg(np.arccos(np.clip(cosine, -1.0, 1.0))))


@dataclass(frozen=True)
class MovedSubjectTransform(SubjectTransform):
    """A subject's world → template transform seen after the head moved by ``motion``.

    ``template = SubjectTransform(M⁻¹ · world)``: ``matrix``, ``translation`` and the warp are the subject's
    (baseline head position); ``motion`` is ``M`` (4×4, rigid, mm), baseline world → this session's world.
    """

    motion: np.ndarray = field(default_factory=lambda: np.eye(4))

    def __call__(self, world: np.ndarray) -> np.ndarray:
        baseline_world = (world - self.motion[:3, 3]) @ self.motion[:3, :3]  # M⁻¹ · world, M rigid
        return super().__call__(baseline_world)


def moved(transform: SubjectTransform, motion: np.ndarray) -> MovedSubjectTransform:
    """``transform`` after the head moved by ``motion`` (baseline world → session world, 4×4 mm)."""
    return MovedSubjectTransform(transform.matrix, transform.translation, transform.warp_mm, transform.warp_phase,
                                 motion=motion)  # fmt: skip


@dataclass(frozen=True)
class SessionGrid:
    """Where one session sees the subject: the native grid, the subject's head and how it moved since baseline.

    Attributes
    ----------
    shape
        Grid (X, Y, Z).
    affine
        Voxel → world (mm), 4×4; the same at every session of a subject.
    head
        The subject's world → template transform at the baseline head position.
    motion
        Baseline world → this session's world (4×4, rigid, mm); None at the baseline.
    """

    shape: tuple[int, int, int]
    affine: np.ndarray
    head: SubjectTransform
    motion: np.ndarray | None = None

    @property
    def transform(self) -> SubjectTransform:
        """World → template at this session: the head, moved by ``motion`` at a follow-up."""
        return self.head if self.motion is None else moved(self.head, self.motion)

    @property
    def spacing_mm(self) -> np.ndarray:
        """Voxel size along each axis (mm), (3,)."""
        return np.linalg.norm(self.affine[:3, :3], axis=0)

    @property
    def voxel_volume_mm3(self) -> float:
        """Volume of one voxel (mm³)."""
        return float(np.prod(self.spacing_mm))

    def voxel_box(self, centre: np.ndarray, radius_mm: float) -> tuple[slice, slice, slice]:
        """The voxels (index ranges, clipped to the grid) that may see template points within ``radius_mm`` of
        ``centre`` (template mm): the affine part inverted, with a margin for the warp and the scaling."""
        motion = np.eye(4) if self.motion is None else self.motion
        world = motion @ np.linalg.inv(self.head.affine_4x4()) @ np.append(centre, 1.0)
        ijk = (np.linalg.inv(self.affine) @ world)[:3]
        smallest_scale = np.linalg.svd(self.head.matrix, compute_uv=False).min()
        reach_mm = radius_mm / smallest_scale + 2 * self.head.warp_mm + 2.0
        half = reach_mm / self.spacing_mm + 1
        low = np.maximum(np.floor(ijk - half).astype(int), 0)
        high = np.minimum(np.ceil(ijk + half).astype(int) + 1, self.shape)
        return tuple(slice(int(a), int(max(a, b))) for a, b in zip(low, high, strict=True))  # type: ignore[return-value]


def acquisition_times(rng: np.random.Generator, sessions: int) -> list[datetime.datetime]:
    """Acquisition date-times of ``sessions`` visits: a baseline within :data:`BASELINE_DATES` between 08:00
    and 18:00, then each follow-up :data:`FOLLOW_UP_DAYS` ± :data:`FOLLOW_UP_JITTER_DAYS` days after the
    previous visit, at its own time of day."""
    first, last = BASELINE_DATES
    day = first + datetime.timedelta(days=int(rng.integers(0, (last - first).days + 1)))
    times = []
    for session in range(sessions):
        if session:
            day += datetime.timedelta(days=FOLLOW_UP_DAYS + int(rng.integers(-FOLLOW_UP_JITTER_DAYS,
                                                                             FOLLOW_UP_JITTER_DAYS + 1)))  # fmt: skip
        minute = int(rng.integers(8 * 60, 18 * 60))
        times.append(datetime.datetime.combine(day, datetime.time(minute // 60, minute % 60)))
    return times
