"""One id per subject and session once cleaned to BIDS labels, and the clash check every writing command runs.

Outputs per subject are named by BIDS labels (``sub-X``, ``ses-Y``: letters and digits only, see
:func:`~nnunet_wmh.conversion_table.bids_label`), so two source ids that differ only in other characters
(``s.1`` and ``s_1``, ``sub-001`` and ``sub-0_01``) would write the same files and the same table rows.
:func:`require_distinct_ids` refuses such a cohort before any work, naming both source ids.
"""

from __future__ import annotations

from collections.abc import Sequence

from nnunet_wmh.cohorts.subject import Subject
from nnunet_wmh.conversion_table import bids_label
from nnunet_wmh.errors import InputDataError, InvalidInputsError


def cleaned_ids(subject: Subject) -> tuple[str, str]:
    """``(sub-X, ses-Y)`` of a record (``ses-Y`` empty without a session): the names its outputs take."""
    return bids_label("sub", subject.subject), bids_label("ses", subject.session) if subject.session else ""


def _clash(subject: Subject, other: Subject, what: str, cleaned: str) -> InputDataError:
    """The problem of ``subject``, whose ``what`` (subject id, session, record) names the same outputs as
    ``other``'s."""
    if what == "records":
        pair = f"records {subject.key} and {other.key}"
    else:
        value = (lambda s: s.subject) if what == "subject ids" else (lambda s: s.session)
        pair = f"{what} {value(subject)!r} and {value(other)!r} (of {other.key})"
    return InputDataError(
        subject.key,
        str(subject.root),
        f"{pair} both become {cleaned} once cleaned to letters and digits, so their outputs would overwrite each "
        "other; rename one of them",
    )


def id_clashes(subjects: Sequence[Subject]) -> list[InputDataError]:
    """Records whose outputs would share a name: different subject ids that become one ``sub-X``, and
    different records of one ``sub-X`` that become one session (``ses-1`` and ``1``, or two records without a
    session); one problem per record after the first of each name."""
    first_subject: dict[str, Subject] = {}
    first_session: dict[tuple[str, str], Subject] = {}
    problems = []
    for subject in subjects:
        participant, session = cleaned_ids(subject)
        earlier = first_subject.setdefault(participant, subject)
        if earlier.subject != subject.subject:
            problems.append(_clash(subject, earlier, "subject ids", participant))
            continue
        earlier = first_session.setdefault((participant, session), subject)
        if earlier is not subject:
            named = f"{participant}_{session}" if session else f"{participant} without a session"
            problems.append(_clash(subject, earlier, "sessions" if session else "records", named))
    return problems


def require_distinct_ids(subjects: Sequence[Subject], *, consequence: str = "nothing was written") -> None:
    """Refuse a cohort in which two records would write outputs of the same name (:func:`id_clashes`).

    Raises
    ------
    InvalidInputsError
        Every clash, each naming both source ids.
    """
    problems = id_clashes(subjects)
    if problems:
        raise InvalidInputsError(problems, consequence=consequence)
