"""A report in parts: only the complete, unchanged parts of one run are merged; anything else is refused by
name and the parts are kept."""

import json
import shutil
from pathlib import Path

import pytest

from nnunet_wmh.errors import InvalidInputsError
from nnunet_wmh.report.finish import ReportResult, merge_report, with_run_summary
from nnunet_wmh.report.options import ReportOptions
from nnunet_wmh.report.run import make_report
from nnunet_wmh.report.schema import REPORT_PARTS
from nnunet_wmh.runs.parts import PART_FILE, part_cases, read_parts
from nnunet_wmh.runs.summary import Stopwatch
from tests.helpers.report_cases import write_hand_cohort


@pytest.fixture
def parts(tmp_path):
    folders = write_hand_cohort(tmp_path / "cohort")
    out = tmp_path / "report"
    for part in range(3):
        make_report(folders["pred"], out, regions=folders["regions"], options=ReportOptions(pictures=False),
                    part_id=part, num_parts=3, progress=False)  # fmt: skip
    return folders, out


def test_interleaved_sharding_as_nnunet_does_it():
    assert part_cases(["d", "a", "c", "b", "e"], 1, 2) == ["b", "d"]


def test_complete_parts_merge_into_the_report_of_a_single_run(parts, tmp_path):
    folders, out = parts
    merged = merge_report(out)
    single = make_report(folders["pred"], tmp_path / "single", regions=folders["regions"],
                         options=ReportOptions(pictures=False), progress=False)  # fmt: skip
    assert merged.cases == single.cases == ["case_a", "case_b", "case_c"]
    for name in ("regions.tsv", "subjects.tsv", "lesions.tsv", "qc.tsv"):
        assert (out / name).read_text() == (tmp_path / "single" / name).read_text()
    assert not (out / "parts").exists()


def test_a_stray_part_of_another_run_is_refused_by_name(parts):
    folders, out = parts
    make_report(folders["pred"], out, options=ReportOptions(pictures=False), part_id=0, num_parts=4, progress=False)
    with pytest.raises(InvalidInputsError, match=r"\[part-0-of-4\] .*made by another run than part-0-of-3") as raised:
        merge_report(out)
    assert "nothing was merged; the parts are kept" in str(raised.value)
    assert len(list((out / "parts").iterdir())) == 4


def test_a_copied_part_a_truncated_table_and_a_damaged_part_file_are_refused(parts):
    _, out = parts
    shutil.copytree(out / "parts/part-0-of-3", out / "parts/part-0-of-4")
    regions = out / "parts/part-1-of-3/regions.tsv"
    regions.write_bytes(regions.read_bytes()[:100])
    (out / "parts/part-2-of-3" / PART_FILE).write_text("{not json")
    with pytest.raises(InvalidInputsError) as raised:
        read_parts(out, REPORT_PARTS)
    problems = {p.subject: p.problem for p in raised.value.problems}
    assert problems["part-0-of-4"] == "was made as part 0 of 3; the folder was renamed or copied"
    assert problems["part-1-of-3"] == "missing, truncated or changed since the part was written"
    assert problems["part-2-of-3"].startswith("not a readable part file")
    assert not (out / "report.json").exists()


def test_a_case_in_two_parts_is_refused(parts):
    _, out = parts
    meta_path = out / "parts/part-1-of-3" / PART_FILE
    meta = json.loads(meta_path.read_text())
    meta["cases"] = ["case_a", *meta["cases"]]
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(InvalidInputsError, match=r"case\(s\) in more than one part: case_a"):
        read_parts(out, REPORT_PARTS)


def test_the_merge_keeps_the_slurm_folder_of_the_jobs(parts):
    _, out = parts
    (out / "slurm/logs").mkdir(parents=True)
    (out / "slurm/logs/segment.merge_9.out").write_text("merging\n")
    merge_report(out)
    assert (out / "slurm/logs/segment.merge_9.out").read_text() == "merging\n"
    assert (out / "report.json").is_file() and not (out / "parts").exists()


def test_the_summary_counts_skipped_cases_once_in_a_report_and_in_a_part():
    out = Path("/cohort/wmh")
    final = with_run_summary(ReportResult(out, ["a", "b"], True, skipped=1), "segment", Stopwatch()).run_summary
    assert (final.done, final.skipped, final.finished) == (2, 1, True)
    part = ReportResult(out, ["a", "b", "c"], False, {"part": out / "parts/part-0-of-2"}, skipped=1)
    summary = with_run_summary(part, "segment", Stopwatch()).run_summary
    assert (summary.done, summary.skipped, summary.out) == (2, 1, out / "parts/part-0-of-2")
