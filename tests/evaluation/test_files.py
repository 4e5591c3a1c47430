"""The files of an evaluation: one set, checked before evaluating, written together."""

import json

import numpy as np
import pytest

from nnunet_wmh.errors import OutputError, OutputExistsError
from nnunet_wmh.evaluation.files import evaluate_to_files, evaluation_paths
from tests.helpers.images import save


@pytest.fixture
def folders(tmp_path):
    reference = np.zeros((6, 6, 2), np.uint8)
    reference[1:3, 1:3, 0] = 1
    for case in ("a", "b"):
        save(reference, tmp_path / "gt" / f"{case}.nii.gz")
        save(reference, tmp_path / "pred" / f"{case}.nii.gz")
    return tmp_path


def test_the_set_of_files_is_written_into_the_out_folder(folders):
    paths = evaluation_paths(folders / "eval")
    names = ("metrics.tsv", "metrics_summary.tsv", "metrics_regions.tsv", "summary.json")
    written = (paths.metrics, paths.summary, paths.regions, paths.nnunet_summary)
    assert written == tuple(folders / "eval" / name for name in names)
    evaluation, files = evaluate_to_files(folders / "pred", folders / "gt", folders / "eval", progress=False)
    assert files.regions is None and [p.name for p in files.written()] == [
        "metrics.tsv", "metrics_summary.tsv", "summary.json"]  # fmt: skip
    assert len(json.loads(files.nnunet_summary.read_text())["metric_per_case"]) == len(evaluation.cases) == 2
    assert sorted(p.name for p in (folders / "eval").iterdir()) == [
        "metrics.tsv",
        "metrics_summary.tsv",
        "summary.json",
    ]


def test_nothing_is_evaluated_or_written_when_an_output_is_in_the_way(folders):
    (folders / "eval").mkdir()
    (folders / "eval" / "summary.json").mkdir()  # a folder where the file goes
    with pytest.raises(OutputError, match=r"summary\.json: is a folder; expected a file"):
        evaluate_to_files(folders / "pred", folders / "gt", folders / "eval", progress=False)
    (folders / "eval" / "summary.json").rmdir()
    (folders / "eval" / "metrics_summary.tsv").write_text("old")
    with pytest.raises(OutputExistsError, match=r"metrics_summary\.tsv exists"):
        evaluate_to_files(folders / "pred", folders / "gt", folders / "eval", progress=False)
    assert sorted(p.name for p in (folders / "eval").iterdir()) == ["metrics_summary.tsv"]


def test_a_table_name_as_out_names_the_files_after_it_as_earlier_releases_did(folders, caplog):
    paths = evaluation_paths(folders / "old" / "m.tsv")
    assert [p.name for p in (paths.metrics, paths.summary, paths.regions, paths.nnunet_summary)] == [
        "m.tsv", "m_summary.tsv", "m_regions.tsv", "summary.json"]  # fmt: skip
    assert "a .tsv `out` is deprecated" in caplog.text


def test_warnings_are_printed_and_kept_in_summary_json(folders):
    values = np.zeros((6, 6, 2), np.uint16)
    values[1:3, 1:3, 0] = 1
    values[5, 5, 1] = 1001  # background, as the official evaluation reads it
    save(values, folders / "pred" / "a.nii.gz")
    evaluation, files = evaluate_to_files(folders / "pred", folders / "gt", folders / "eval", progress=False)
    assert evaluation.cases[0].metrics.dice == 1.0
    kept = json.loads(files.nnunet_summary.read_text())["nnunet_wmh"]["warnings"]
    assert kept == evaluation.warnings and kept[0].startswith("[a] prediction holds values 0..1001, outside 0..1000")
