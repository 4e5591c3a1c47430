"""``nnunet_wmh report`` on the command line: the cohort's figures, flags, files and the run's last line."""

from types import SimpleNamespace

from nnunet_wmh.cli import main
from nnunet_wmh.cli.report import print_report
from tests.helpers.report_cases import write_hand_cohort


def test_report_prints_figures_flags_files_and_the_summary_line(tmp_path, capsys):
    cohort, out = write_hand_cohort(tmp_path), tmp_path / "report"
    argv = ["report", str(cohort["pred"]), "--out", str(out), "--regions", str(cohort["regions"]), "--no-pictures"]
    assert main([*argv, "-q"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"report of 3 case(s) in {out}"
    assert "  flagged: 1 case(s)" in lines and "    case_b: empty prediction" in lines
    assert any(line.startswith("  wrote ") and "regions.tsv" in line for line in lines)
    assert lines[-1].startswith("report: 3 case(s) done, 1 flagged (see qc.tsv) in ") and lines[-1].endswith(
        f" -> {out}"
    )


def test_strict_exits_3_when_a_case_is_flagged_and_still_writes_everything(tmp_path, capsys):
    cohort, out = write_hand_cohort(tmp_path), tmp_path / "report"
    argv = ["report", str(cohort["pred"]), "--out", str(out), "--regions", str(cohort["regions"]), "--no-pictures"]
    assert main([*argv, "-q", "--strict"]) == 3
    assert capsys.readouterr().out.splitlines()[-1] == "--strict: 1 flagged case(s); exit status 3"
    assert (out / "regions.tsv").is_file() and (out / "report.json").is_file()


def test_a_part_says_where_it_went_and_how_to_join_it(tmp_path, capsys):
    part = SimpleNamespace(finished=False, cases=["a", "b"], files={"part": tmp_path / "parts/part-0-of-2"},
                           out_dir=tmp_path)  # fmt: skip
    print_report(part, str)
    assert capsys.readouterr().out.splitlines() == [
        f"wrote part with 2 case(s) to {tmp_path / 'parts/part-0-of-2'}",
        f"when every part is done: nnunet_wmh report-merge {tmp_path}",
    ]
