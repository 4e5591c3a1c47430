"""docs/getting-started.md, run as a reader runs it: every shell block in order, in one empty folder."""

from __future__ import annotations

import pytest

from tests.helpers.docs import DOCS, shell_blocks
from tests.helpers.images import read_labels


def test_only_the_install_and_the_long_training_are_left_out_and_each_says_why():
    blocks = shell_blocks(DOCS / "getting-started.md")
    skipped = [b for b in blocks if b.not_run is not None]
    assert len(blocks) >= 8 and len(skipped) == 2
    assert "pip install -e ." in skipped[0].code and "nnUNetv2_train" in skipped[1].code


@pytest.mark.slow
def test_every_example_of_the_getting_started_page_runs(getting_started):
    folder, completed = getting_started
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    printed = completed.stdout
    for command in ("demo", "segment", "evaluate", "report", "synth", "convert"):
        assert f"\n{command}: " in "\n" + printed, command  # every command's last line
    assert "segment: 3 case(s) done" in printed and "segment: 1 case(s) done" in printed
    assert sorted(p.name for p in (folder / "evaluation").iterdir()) == [
        "metrics.tsv", "metrics_summary.tsv", "summary.json"]  # fmt: skip
    one = read_labels(folder / "one_subject" / "predictions" / "6.nii.gz")
    cohort = read_labels(folder / "segmented" / "predictions" / "Utrecht_6.nii.gz")
    assert (one == cohort).all()  # the same model on the same images: the same mask
    assert (folder / "nnUNet_raw" / "Dataset501_WMH_interchangeable" / "conversion.tsv").is_file()
