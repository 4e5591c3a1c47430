"""Ids that become one once cleaned to BIDS labels are refused, naming both source ids; distinct ones pass."""

from pathlib import Path

import pytest

from nnunet_wmh.cohorts.identity import cleaned_ids, id_clashes, require_distinct_ids
from nnunet_wmh.cohorts.subject import Subject
from nnunet_wmh.errors import InvalidInputsError


def _subject(subject: str, session: str | None = None, site: str = "") -> Subject:
    key = "/".join(x for x in (site, subject, session) if x)
    return Subject(subject, session, site, Path("/cohort"), key, subject)


def test_distinct_subjects_and_sessions_pass_and_take_their_bids_labels():
    cohort = [_subject("sub-001", "ses-01"), _subject("sub-001", "ses-02"), _subject("s.1"), _subject("s.2")]
    assert id_clashes(cohort) == []
    assert [cleaned_ids(s) for s in cohort] == [("sub-001", "ses-01"), ("sub-001", "ses-02"), ("sub-s1", ""),
                                                ("sub-s2", "")]  # fmt: skip


def test_subject_ids_that_become_one_are_refused_naming_both():
    with pytest.raises(InvalidInputsError) as raised:
        require_distinct_ids([_subject("s.1"), _subject("s_1"), _subject("sub-001"), _subject("sub-0_01")])
    assert [str(p) for p in raised.value.problems] == [
        "[s_1] /cohort: subject ids 's_1' and 's.1' (of s.1) both become sub-s1 once cleaned to letters and "
        "digits, so their outputs would overwrite each other; rename one of them",
        "[sub-0_01] /cohort: subject ids 'sub-0_01' and 'sub-001' (of sub-001) both become sub-001 once cleaned to "
        "letters and digits, so their outputs would overwrite each other; rename one of them",
    ]
    assert "nothing was written" in str(raised.value)


def test_sessions_that_become_one_and_two_records_without_a_session_are_refused():
    (problem,) = id_clashes([_subject("p1", "ses-1"), _subject("p1", "1")])
    assert "sessions '1' and 'ses-1' (of p1/ses-1) both become sub-p1_ses-1" in str(problem)
    (problem,) = id_clashes([_subject("0", site="Utrecht"), _subject("0", site="Singapore")])
    assert str(problem).startswith("[Singapore/0] /cohort: records Singapore/0 and Utrecht/0 both become sub-0 "
                                   "without a session")  # fmt: skip
