"""The route of each subject: which of its images go into which channel of the model, or why it cannot be served.

The model decides (:class:`~nnunet_wmh.nnunet.model_route.ModelRoute`), with ``convert``'s own input plans, so a
subject is prepared exactly as a test case of the model's dataset would be:

* fixed inputs (``flair``, ``t1``, ``flair_t1``): every channel's image is needed; a subject without one is
  skipped with the reason;
* interchangeable inputs: every image of the model's modalities the subject has; each missing channel is
  filled by the model's rule (its ``fill_missing`` and ``fill_order``: a copy of an available image, or
  zeros), as its test cases were; a one-channel model takes FLAIR when there is FLAIR.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from nnunet_wmh.cohorts.subject import MODALITIES, MODALITY_NAMES, ZERO, Modality, Subject
from nnunet_wmh.conversion_table import CaseInfo
from nnunet_wmh.dataset_conversion.inputs import (
    FixedInputs,
    InputPlan,
    InterchangeableInputs,
    MissingModalityError,
)
from nnunet_wmh.nnunet.model_route import ModelRoute


@dataclass(frozen=True)
class SubjectRoute:
    """One subject, its case id and its channels (a modality, or ``zero``), or the reason it is skipped."""

    subject: Subject
    case: str
    channels: tuple[str, ...] = ()
    variant: str = ""
    reason: str | None = None

    @property
    def served(self) -> bool:
        """Whether the model can segment this subject."""
        return self.reason is None

    @property
    def inputs_used(self) -> str:
        """The channels as a person reads them: ``FLAIR,T1``, ``FLAIR,FLAIR``, ``zeros,T1``."""
        return ",".join(MODALITY_NAMES[c] for c in self.channels)

    @property
    def unused(self) -> tuple[Modality, ...]:
        """The subject's images the model does not take (none when it cannot serve the subject)."""
        if not self.served:
            return ()
        return tuple(m for m in self.subject.modalities() if m not in self.channels)

    @property
    def uses_t1(self) -> bool:
        """Whether a channel holds the T1 image."""
        return "t1" in self.channels

    def info(self) -> CaseInfo:
        """The subject's identity as the report's tables and BIDS names take it."""
        subject = self.subject
        return CaseInfo(subject.subject, subject.session or "", subject.site, self.variant)


def input_plan(route: ModelRoute) -> InputPlan:
    """``convert``'s input plan for the model's inputs."""
    if route.inputs == "interchangeable":
        return InterchangeableInputs(
            None,
            route.channels,
            route.fill_missing,
            modalities=route.modalities or MODALITIES,
            fill_order=route.fill_order,
        )
    return FixedInputs(route.inputs, route.modalities)


def case_ids(subjects: Sequence[Subject]) -> list[str]:
    """A file-name-safe, unique case id per subject: its key with other characters than letters, digits and
    ``-`` turned into ``_`` (``sub-01/ses-1`` → ``sub-01_ses-1``, ``Amsterdam/GE3T/100`` →
    ``Amsterdam_GE3T_100``); a clash gets ``_2``, ``_3``."""
    base = [re.sub(r"[^A-Za-z0-9-]+", "_", s.key).strip("_") or "case" for s in subjects]
    seen: Counter[str] = Counter()
    ids = []
    for name in base:
        seen[name] += 1
        ids.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return ids


def _unserved_reason(subject: Subject, route: ModelRoute) -> str:
    """``no T1 image; the model takes FLAIR and T1`` (or ``no FLAIR or T1 image`` for interchangeable models)."""
    if route.inputs == "interchangeable":
        names = [MODALITY_NAMES[m] for m in route.modalities or MODALITIES]
        return f"no {', '.join(names[:-1])} or {names[-1]} image"
    missing = [MODALITY_NAMES[m] for m in route.modalities if subject.image(m) is None]
    needed = " and ".join(MODALITY_NAMES[m] for m in route.modalities)
    return f"no {' or '.join(missing)} image; the model ({route.inputs}) takes {needed}"


def route_subjects(subjects: Sequence[Subject], route: ModelRoute) -> list[SubjectRoute]:
    """The route of every subject (served or with the reason it is not), in the given order."""
    plan = input_plan(route)
    routes = []
    for subject, case in zip(subjects, case_ids(subjects), strict=True):
        try:
            first = plan.channel_sets(subject)[0]
        except MissingModalityError:
            routes.append(SubjectRoute(subject, case, reason=_unserved_reason(subject, route)))
            continue
        channels = tuple(ZERO if c == ZERO else c for c in first.channels)
        routes.append(SubjectRoute(subject, case, channels, first.variant))
    return routes


def participants_of(routes: list[SubjectRoute]) -> list[str]:
    """The cohort's participant ids (``sub-01``...), sorted: part K of a run by participant is the K-th."""
    return sorted({route.info().participant_id for route in routes})
