"""``nnunet_wmh change`` on the command line: what it prints, its defaults (the library's), a usage error."""

from __future__ import annotations

from nnunet_wmh.cli import main
from nnunet_wmh.cli.change import NAME
from nnunet_wmh.cli.main import build_parsers
from nnunet_wmh.longitudinal.matching import ChangeRules
from nnunet_wmh.longitudinal.run import ChangeOptions


def test_the_help_states_the_librarys_defaults():
    text = " ".join(build_parsers()[1][NAME].format_help().split())
    rules = ChangeRules()
    assert f"(default {rules.min_change_ml:g} mL)" in text and f"(default {rules.min_change_percent:g})" in text
    assert f"(default {rules.min_overlap_voxels})" in text
    assert ChangeOptions().rules == rules


def test_change_prints_the_pairs_and_a_bad_threshold_is_a_usage_error(segmented, tmp_path, capsys):
    _, segment = segmented
    assert main(["change", str(segment), "--out", str(tmp_path / "change"), "-q", "--no-pictures"]) == 0
    printed = capsys.readouterr().out
    assert "change of 3 pair(s) of sessions" in printed and "change: 3 pair(s) done" in printed
    assert not (tmp_path / "change/qc").exists()
    code = main(["change", str(segment), "--out", str(tmp_path / "other"), "--min-change-percent", "-5"])
    assert code == 2 and "--min-change-percent" in capsys.readouterr().err
    assert not (tmp_path / "other").exists()
