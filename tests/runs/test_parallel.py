"""The ordered parallel map, the pipeline, and the one check of the number of worker processes."""

import os

import pytest

from nnunet_wmh.errors import InputDataError, UsageError
from nnunet_wmh.runs.parallel import check_jobs, map_collecting_problems, map_with_progress, pipelined


def _square_or_fail(value: int) -> int:
    if value % 3 == 0:
        raise InputDataError(f"s{value}", f"{value}.nii.gz", "cannot be read")
    return value * value


@pytest.mark.parametrize("jobs", [0, -1, 1.5, True])
def test_jobs_must_be_a_whole_number_of_at_least_one(jobs):
    with pytest.raises(UsageError, match="`jobs` must be at least 1") as raised:
        check_jobs(jobs)
    assert raised.value.parameter == "jobs"


@pytest.mark.parametrize("jobs", [1, 2])
def test_results_keep_the_order_of_the_items(jobs):
    assert map_with_progress(abs, [-3, 1, -2], jobs=jobs, desc="x", progress=False) == [3, 1, 2]


@pytest.mark.parametrize("jobs", [1, 2])
def test_every_problem_is_collected_and_the_other_items_still_run(jobs):
    results, problems = map_collecting_problems(_square_or_fail, [1, 3, 4, 6], jobs=jobs, desc="x", progress=False)
    assert results == [1, None, 16, None]
    assert [str(p) for p in problems] == ["[s3] 3.nii.gz: cannot be read", "[s6] 6.nii.gz: cannot be read"]


def _pid_after(value: int) -> tuple[int, int]:
    return value, os.getpid()


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_pipeline_yields_every_item_in_order_with_its_problem(jobs):
    seen = [(item, result, None if problem is None else problem.subject)
            for item, result, problem in pipelined(_square_or_fail, list(range(8)), jobs=jobs)]  # fmt: skip
    assert [item for item, _, _ in seen] == list(range(8))
    assert [(result, problem) for item, result, problem in seen if item % 3] == [
        (item * item, None) for item in range(8) if item % 3
    ]
    assert [seen[k][1:] for k in (0, 3, 6)] == [(None, "s0"), (None, "s3"), (None, "s6")]


def test_the_pipeline_works_ahead_in_other_processes_and_stops_when_the_caller_stops():
    pipeline = pipelined(_pid_after, list(range(100)), jobs=2)
    first = [next(pipeline) for _ in range(3)]
    assert {pid for _, (_, pid), _ in first} != {os.getpid()}
    pipeline.close()  # the caller gave up: the 90-odd items not started are dropped, nothing hangs
