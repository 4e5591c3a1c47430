"""change's page: the trajectories of each participant, the flagged pairs, every pair's picture, and it loads in a
browser with no missing file."""

from __future__ import annotations

from nnunet_wmh.longitudinal.page import TRAJECTORIES, trajectories
from nnunet_wmh.longitudinal.run import detect_change


def _row(participant, interval, before, after):
    return {"participant_id": participant, "interval_years": interval, "volume_from_ml": before,
            "volume_to_ml": after}  # fmt: skip


def test_trajectories_go_by_years_where_known_and_by_visit_otherwise():
    curves = trajectories([_row("a", "1.5", "2.0", "3.0"), _row("a", "0.5", "3.0", "3.5"),
                           _row("b", "n/a", "1.0", "0.5")])  # fmt: skip
    assert curves["a"] == ([0.0, 1.5, 2.0], [2.0, 3.0, 3.5], True)
    assert curves["b"] == ([0.0, 1.0], [1.0, 0.5], False)


def test_the_page_links_only_files_that_exist_and_shows_every_pair(segmented, tmp_path):
    _, segment = segmented
    detect_change(segment, tmp_path / "change", progress=False)
    page = (tmp_path / "change/index.html").read_text()
    assert (tmp_path / "change" / TRAJECTORIES).is_file()
    for participant in ("sub-001", "sub-002", "sub-003"):
        assert f'id="pair-{participant}-ses-02"' in page
        assert f'src="qc/{participant}_ses-01_to_ses-02_change.png"' in page
    assert "No pair is flagged." in page and "file://" not in page and str(tmp_path) not in page
    for link in ("change.tsv", "lesion_changes.tsv", "pairs.tsv", "skipped.tsv", "change.json"):
        assert f'href="{link}"' in page and (tmp_path / "change" / link).is_file()
