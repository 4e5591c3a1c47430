"""``nnunet_wmh report-merge``: a report made in two parts, joined; nothing left to join is a usage error."""

from nnunet_wmh.cli import main, report_merge
from tests.helpers.report_cases import write_hand_cohort


def test_the_parts_of_a_report_are_joined_once_then_refused(tmp_path, capsys):
    hand_cohort = write_hand_cohort(tmp_path)
    out = tmp_path / "report"
    common = ["--regions", str(hand_cohort["regions"]), "--region-table", str(hand_cohort["table"]), "--no-pictures"]
    for part in ("0", "1"):
        argv = ["report", str(hand_cohort["pred"]), "--out", str(out), *common, "--part-id", part, "--num-parts", "2"]
        assert main([*argv, "-q"]) == 0
    printed = capsys.readouterr().out
    assert f"nnunet_wmh report-merge {out}" in printed
    assert main([report_merge.NAME, str(out), "-q"]) == 0
    printed = capsys.readouterr().out
    assert "report of 3 case(s)" in printed and "case_b: empty prediction" in printed
    assert (out / "regions.tsv").is_file() and not (out / "parts").exists()
    assert main([report_merge.NAME, str(out)]) == 2  # nothing left to merge: a usage error
    assert "holds no parts" in capsys.readouterr().err
