"""A report in parts: only the complete, unchanged parts of one run are merged; anything else is refused by
name and the parts are kept."""

import json
import shutil
from pathlib import Path

import pytest

from nnunet_wmh.errors import InvalidInputsError, UsageError
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


def _bids_parts(tmp_path, bids_folder):
    folders = write_hand_cohort(tmp_path / "cohort")
    out = tmp_path / "runA"
    for part in range(2):
        make_report(folders["pred"], out, regions=folders["regions"], bids_derivatives=bids_folder(out),
                    pictures=False, part_id=part, num_parts=2, progress=False)  # fmt: skip
    return out


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_copied_run_merges_into_itself_and_the_original_is_never_touched(tmp_path):
    original = _bids_parts(tmp_path, lambda out: out / "bids")
    before = _tree(original)
    copy = tmp_path / "copy"
    shutil.copytree(original, copy)
    merge_report(copy, overwrite=True)
    assert _tree(original) == before  # parts kept, no BIDS files written there
    masks = sorted(p.name for p in (copy / "bids").rglob("*_mask.nii.gz"))
    assert masks == [f"sub-case{x}_space-FLAIR_desc-wmh_mask.nii.gz" for x in "abc"]
    assert json.loads((copy / "report.json").read_text())["inputs"]["bids_derivatives"] == "bids"


def test_a_moved_run_merges_into_its_new_folder_and_the_old_one_is_not_recreated(tmp_path):
    original = _bids_parts(tmp_path, lambda out: out / "bids")
    moved = original.rename(tmp_path / "moved")
    merge_report(moved)
    assert not original.exists()
    assert len(list((moved / "bids").rglob("*_dseg.nii.gz"))) == 3 and not (moved / "parts").exists()


def test_a_moved_run_whose_bids_folder_lies_outside_it_is_refused(tmp_path):
    original = _bids_parts(tmp_path, lambda out: out.parent / "derivatives")
    moved = original.rename(tmp_path / "moved")
    with pytest.raises(UsageError, match=r"is a run made in .*runA whose BIDS files go outside it, to .*derivatives"):
        merge_report(moved)
    assert not (tmp_path / "derivatives").exists() and (moved / "parts").is_dir()


def test_a_part_copied_in_from_another_run_folder_is_refused(tmp_path):
    run_a = _bids_parts(tmp_path, lambda out: out / "bids")
    run_b = tmp_path / "runB"  # the same cohort and options, another run folder
    make_report(tmp_path / "cohort/pred", run_b, regions=tmp_path / "cohort/regions", bids_derivatives=run_b / "bids",
                pictures=False, part_id=1, num_parts=2, progress=False)  # fmt: skip
    shutil.rmtree(run_a / "parts/part-1-of-2")
    shutil.copytree(run_b / "parts/part-1-of-2", run_a / "parts/part-1-of-2")
    with pytest.raises(InvalidInputsError, match=r"\[part-1-of-2\] .*made for the run in .*runB, part-0-of-2 for"):
        merge_report(run_a)


def test_a_deleted_or_changed_file_of_a_part_is_named_and_nothing_is_merged(tmp_path):
    out = _bids_parts(tmp_path, lambda out: out / "bids")
    mask = next((out / "parts/part-1-of-2/bids").rglob("*_mask.nii.gz"))
    mask.unlink()
    with pytest.raises(InvalidInputsError, match=rf"{mask.name}: missing, truncated or changed") as raised:
        merge_report(out)
    assert "nothing was merged; the parts are kept" in str(raised.value)
    assert not (out / "report.json").exists()
