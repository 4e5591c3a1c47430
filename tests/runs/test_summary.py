"""The end-of-run summary: one line that says what a run did, skipped, took and wrote."""

from __future__ import annotations

from pathlib import Path

from nnunet_wmh.runs.summary import RunSummary, Stopwatch


def test_the_line_names_what_was_done_skipped_and_done_earlier_and_where():
    summary = RunSummary("convert", Path("/raw/Dataset501_X"), 12, "subject", skipped=1, seconds=3.44)
    assert summary.line() == "convert: 12 subject(s) done, 1 skipped in 3.4 s -> /raw/Dataset501_X"
    resumed = RunSummary("study", Path("/s"), 2, "step", earlier=9, seconds=61.0)
    assert resumed.line() == "study: 2 step(s) done, 9 done earlier in 61.0 s -> /s"


def test_a_part_says_it_is_one():
    part = RunSummary("report", Path("/r/parts/part-0-of-2"), 5, "case", finished=False)
    assert part.line().endswith("(a part; join the parts with report-merge)")


def test_the_stopwatch_counts_up():
    clock = Stopwatch()
    assert 0 <= clock.seconds < 5
