"""The ordered parallel map, and the one check of the number of worker processes."""

import pytest

from nnunet_wmh.errors import InputDataError, UsageError
from nnunet_wmh.runs.parallel import check_jobs, map_collecting_problems, map_with_progress


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
