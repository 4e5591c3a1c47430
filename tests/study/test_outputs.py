"""The study's result files are written as one set and replaced whole."""

from nnunet_wmh.study.outputs import StudyTables, write_figures, write_tables
from nnunet_wmh.tsv import read_tsv


def _tables():
    results = [{"config": "flair", "variant": "flair_only", "case": "c1", "participant_id": "1", "session": "",
                "site": "Utrecht", "dice": 0.5, "hd95_mm": 4.0, "avd_percent": 5.0, "lesion_recall": 1.0,
                "lesion_f1": 1.0, "prediction": "p", "reference": "r"}]  # fmt: skip
    metrics = ("dice", "hd95_mm", "avd_percent", "lesion_recall", "lesion_f1")
    statistics = {f"{m}_{s}": 0.5 for m in metrics for s in ("mean", "sd", "median")}
    segmentation = [{"config": "flair", "variant": "flair_only", "n": 1, **statistics}]
    return StudyTables(results, segmentation, [], [], None)


def test_tables_and_figures_are_written_and_a_previous_set_replaced(tmp_path):
    (tmp_path / "table_localization.tsv").write_text("stale\n")
    tables = _tables()
    write_tables(tmp_path, tables, [])
    assert read_tsv(tmp_path / "results.tsv")[0]["dice"] == "0.5"
    assert "| flair | flair_only | 1 |" in (tmp_path / "table_segmentation.md").read_text()
    assert read_tsv(tmp_path / "comparisons.tsv") == []
    assert set(tables.files) == {
        "results.tsv", "table_segmentation.tsv", "table_segmentation.md", "comparisons.tsv", "model_checks.tsv",
    }  # fmt: skip
    names = write_figures(tmp_path, tables, [])
    assert names == ["dice.png", "hd95_mm.png"] and sorted(p.name for p in (tmp_path / "figures").iterdir()) == names
