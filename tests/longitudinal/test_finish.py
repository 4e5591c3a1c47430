"""change in parts: each part measures its participants, report-merge joins them into what a single run writes."""

from __future__ import annotations

import json

from nnunet_wmh.cli import main
from nnunet_wmh.longitudinal.finish import CHANGE_JSON, is_change_run, merge_change
from nnunet_wmh.longitudinal.run import detect_change
from nnunet_wmh.runs.parts import first_part_record


def _files(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_two_parts_joined_by_report_merge_equal_the_single_run(segmented, tmp_path, capsys):
    _, segment = segmented
    single = detect_change(segment, tmp_path / "single", progress=False)
    out = tmp_path / "parts"
    for part in (0, 1):
        result = detect_change(segment, out, part_id=part, num_parts=2, progress=False)
        assert not result.finished
    assert is_change_run(first_part_record(out)) and not is_change_run(first_part_record(tmp_path / "none"))
    assert main(["report-merge", str(out), "-q"]) == 0
    assert "change of 3 pair(s) of sessions" in capsys.readouterr().out
    assert _files(out) == _files(tmp_path / "single")
    for name in ("change.tsv", "lesion_changes.tsv", "pairs.tsv", "skipped.tsv"):
        assert (out / name).read_text() == (tmp_path / "single" / name).read_text(), name
    merged, alone = (json.loads((folder / CHANGE_JSON).read_text()) for folder in (out, tmp_path / "single"))
    assert merged["num_parts"] == 2 and {**merged, "num_parts": 1} == alone and single.pairs == 3


def test_a_finished_change_refuses_another_merge(segmented, tmp_path):
    _, segment = segmented
    out = tmp_path / "parts"
    for part in (0, 1):
        detect_change(segment, out, part_id=part, num_parts=2, progress=False, pictures=False)
    merge_change(out)
    assert (out / CHANGE_JSON).is_file() and not (out / "parts").exists()
