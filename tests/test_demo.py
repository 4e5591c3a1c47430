"""``nnunet_wmh demo --quick``: the whole pipeline, as a new user runs it (slow: about 3-4 minutes)."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nnunet_wmh.demo import PLANS, STAGES, DemoRun, DemoStageError, run_demo
from nnunet_wmh.trainers import nnunet_wmh_modality_dropout

BIN = Path(sys.executable).parent


def read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@pytest.mark.slow
def test_quick_demo_runs_end_to_end(getting_started):
    """The quick demo as the getting-started page runs it (``nnunet_wmh demo --quick --out demo``)."""
    folder, completed = getting_started
    out = folder / "demo"
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    printed = completed.stdout
    for number in range(1, 9):
        assert f"[{number}/8]" in printed
    # Dice per input variant: printed, and a number in [0, 1] in the evaluation summary
    dice = {
        row["variant"]: float(row["dice_mean"])
        for row in read_tsv(out / "evaluation" / "metrics_summary.tsv")
        if row["grouping"] == "variant"
    }
    assert set(dice) == {"paired", "flair_only", "t1_only"}
    assert all(0.0 <= value <= 1.0 for value in dice.values())
    for label in ("FLAIR + T1", "FLAIR only", "T1 only"):
        assert re.search(rf"{re.escape(label)}\s+[01]\.\d{{3}}", printed)
    # the report's tables are all there and agree with each other
    report = out / "report"
    for name in ("regions.tsv", "regions_wide.tsv", "subjects.tsv", "lesions.tsv", "qc.tsv", "report.json"):
        assert (report / name).is_file(), name
    subjects = {row["case"]: row for row in read_tsv(report / "subjects.tsv")}
    assert len(subjects) == 9  # 3 test subjects × 3 input variants
    regions = read_tsv(report / "regions.tsv")
    lesions = read_tsv(report / "lesions.tsv")
    for case, row in subjects.items():
        case_regions = [r for r in regions if r["case"] == case]
        total = sum(float(r["lesion_volume_mm3"]) for r in case_regions)
        assert total == pytest.approx(float(row["total_lesion_volume_mm3"]), rel=1e-8)  # 10-digit cells
        assert sum(int(r["lesion_count"]) for r in case_regions) == int(row["lesion_count"])
        assert sum(1 for r in lesions if r["case"] == case) == int(row["lesion_count"])
        pv, deep = float(row["periventricular_volume_mm3"]), float(row["deep_volume_mm3"])
        assert pv + deep == pytest.approx(float(row["total_lesion_volume_mm3"]), rel=1e-8)
    # index.html references only files that exist, and nothing on the network
    page = (report / "index.html").read_text()
    references = re.findall(r'(?:src|href)="([^"#][^"]*)"', page)
    assert references and all((report / ref).is_file() for ref in references)
    assert "http://" not in page and "https://" not in page
    assert str(report / "index.html") in printed
    summary = json.loads((out / "demo.json").read_text())
    assert summary["quick"] is True and set(summary["dice_by_variant"]) == set(dice)
    assert re.search(r"^demo: 8 stage\(s\) done in [0-9.]+ s -> .*demo$", printed, re.MULTILINE)
    # running into the same folder again is refused
    again = subprocess.run(
        [str(BIN / "nnunet_wmh"), "demo", "--out", str(out), "--quick"], capture_output=True, text=True
    )
    assert (
        again.returncode == 1 and again.stderr == f"nnunet_wmh: error: {out} exists; pass --overwrite to replace it\n"
    )


def test_the_stages_are_named_in_order_and_the_trainers_exist():
    names = [title for title, _ in STAGES]
    assert names[0].startswith("synthetic cohort") and names[-2:] == ["evaluate", "report"] and len(names) == 8
    for plan in PLANS.values():
        assert hasattr(nnunet_wmh_modality_dropout, plan.trainer)


def test_a_failing_stage_rolls_the_folder_back_and_keeps_its_log(tmp_path, monkeypatch):
    out = tmp_path / "demo"
    out.mkdir()
    (out / "demo.json").write_text("the previous demo")

    def fails(run: DemoRun) -> None:
        (run.out / "half.txt").write_text("half")
        run.commands["nnUNetv2_train"] = "false"
        run.run_nnunet("train", "nnUNetv2_train")

    monkeypatch.setattr("nnunet_wmh.demo.STAGES", (("a stage that fails", fails),))
    with pytest.raises(DemoStageError, match=r"stage train failed \(exit 1\); see (\S+train\.log)") as raised:
        run_demo(out, overwrite=True)
    kept = Path(re.search(r"see (\S+train\.log)", str(raised.value)).group(1).rstrip(":"))
    assert kept.read_text().startswith("$ false") and not kept.is_relative_to(out)
    assert (
        sorted(p.name for p in out.iterdir()) == ["demo.json"]
        and (out / "demo.json").read_text() == "the previous demo"
    )
