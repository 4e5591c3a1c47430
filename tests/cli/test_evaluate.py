"""``nnunet_wmh evaluate`` from the command line, on a dataset made by ``convert``."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from nnunet_wmh.cli import main
from nnunet_wmh.cli.evaluate import summary_lines
from nnunet_wmh.dataset_conversion import convert_dataset
from tests.helpers.images import read_labels


def _read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@pytest.fixture
def interchangeable_predictions(small_cohort, tmp_path):
    """labelsTs of an interchangeable dataset, and predictions made from them: exact for paired cases,
    one lesion voxel layer less for FLAIR-only, empty for T1-only."""
    result = convert_dataset(small_cohort, mode="interchangeable", dataset_id=601, out=tmp_path / "raw", progress=False)
    labels = result.dataset_dir / "labelsTs"
    predictions = tmp_path / "predictions"
    predictions.mkdir()
    for path in sorted(labels.glob("*.nii.gz")):
        image = nib.load(path)
        lesion = read_labels(path) == 1
        if path.name.endswith("_flair.nii.gz"):
            lesion[..., lesion.any(axis=(0, 1)).nonzero()[0][:1]] = False  # drop the lowest lesion slice
        if path.name.endswith("_t1.nii.gz"):
            lesion[:] = False
        nib.save(nib.Nifti1Image(lesion.astype(np.uint8), image.affine, image.header), predictions / path.name)
    return result.dataset_dir, predictions


def test_cli_evaluates_per_site_and_variant(interchangeable_predictions, tmp_path, capsys):
    dataset, predictions = interchangeable_predictions
    out = tmp_path / "eval"
    argv = [
        "evaluate",
        str(predictions),
        str(dataset / "labelsTs"),
        "--out",
        str(out),
        "--dataset-json",
        str(dataset / "dataset.json"),
        "--conversion-tsv",
        str(dataset / "conversion.tsv"),
        "-q",
    ]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    rows = _read_tsv(out / "metrics.tsv")
    assert len(rows) == 15  # 5 test subjects × 3 variants
    assert list(rows[0])[:5] == ["case", "subject", "session", "site", "variant"]
    by_variant: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_variant.setdefault(row["variant"], []).append(row)
    assert {r["dice"] for r in by_variant["paired"]} == {"1"}
    assert {r["hd95_mm"] for r in by_variant["t1_only"]} == {"n/a"}  # empty predictions
    assert {r["dice"] for r in by_variant["t1_only"]} == {"0"}
    assert all(0 < float(r["dice"]) < 1 for r in by_variant["flair_only"])
    summary_rows = _read_tsv(out / "metrics_summary.tsv")
    assert list(summary_rows[0])[:4] == ["grouping", "site", "variant", "cases"]
    summary = {
        (r["grouping"], r["site"] if r["grouping"] == "site" else r["variant"]): r
        for r in summary_rows
        if r["grouping"] != "site+variant"
    }
    sites = {r["site"] for r in rows}
    assert {r["grouping"] for r in summary_rows} == {"all", "site", "variant", "site+variant"}
    assert {group for grouping, group in summary if grouping == "site"} == sites
    assert sum(r["grouping"] == "site+variant" for r in summary_rows) == 3 * len(sites)
    paired = summary[("variant", "paired")]
    assert (paired["cases"], paired["dice_mean"], paired["dice_median"], paired["dice_n"]) == ("5", "1", "1", "5")
    flair = [float(r["dice"]) for r in by_variant["flair_only"]]
    assert float(summary[("variant", "flair_only")]["dice_mean"]) == pytest.approx(np.mean(flair))
    assert float(summary[("variant", "flair_only")]["dice_std"]) == pytest.approx(np.std(flair, ddof=1))
    assert summary[("variant", "t1_only")]["hd95_mm_n"] == "0"
    # the printed table: one line per group, mean ± std (median)
    assert "variant=paired" in printed and "1.000 ± 0.000 (1.000)" in printed
    for site in sites:
        assert f"site={site}" in printed
        assert f"site={site}, variant=t1_only" in printed
    assert str(out / "metrics.tsv") in printed
    nnunet_summary = json.loads((out / "summary.json").read_text())
    assert len(nnunet_summary["metric_per_case"]) == 15
    assert nnunet_summary["nnunet_wmh"]["convention"]["ignore_value"] == 2


def test_cli_refuses_existing_output_before_evaluating(interchangeable_predictions, tmp_path, capsys):
    dataset, predictions = interchangeable_predictions
    out = tmp_path / "validation"
    out.mkdir()
    (out / "summary.json").write_text("{}")  # e.g. nnU-Net's own summary in a validation folder
    code = main(["evaluate", str(predictions), str(dataset / "labelsTs"), "--out", str(out), "-q"])
    assert code == 1
    error = capsys.readouterr().err
    assert error == f"nnunet_wmh: error: {out / 'summary.json'} exists; pass --overwrite to replace it\n"
    assert (out / "summary.json").read_text() == "{}"
    assert not (out / "metrics.tsv").exists()
    assert main(["evaluate", str(predictions), str(dataset / "labelsTs"), "--out", str(out), "-q", "--overwrite"]) == 0


def test_a_table_name_as_out_still_works_and_says_it_is_deprecated(interchangeable_predictions, tmp_path, capsys):
    dataset, predictions = interchangeable_predictions
    out = tmp_path / "old" / "m.tsv"
    assert main(["evaluate", str(predictions), str(dataset / "labelsTs"), "--out", str(out), "-q"]) == 0
    assert "give the output folder instead (a .tsv --out is deprecated)" in capsys.readouterr().err
    assert sorted(p.name for p in out.parent.iterdir()) == ["m.tsv", "m_summary.tsv", "summary.json"]


def test_cli_jobs_give_the_same_tables(interchangeable_predictions, tmp_path):
    dataset, predictions = interchangeable_predictions
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs{jobs}"
        assert main(["evaluate", str(predictions), str(dataset / "labelsTs"), "--out", str(out), "--jobs", jobs]) == 0
    assert (tmp_path / "jobs1" / "metrics_summary.tsv").read_text() == (
        tmp_path / "jobs2" / "metrics_summary.tsv"
    ).read_text()
    one = [{k: v for k, v in r.items()} for r in _read_tsv(tmp_path / "jobs1" / "metrics.tsv")]
    two = [{k: v for k, v in r.items()} for r in _read_tsv(tmp_path / "jobs2" / "metrics.tsv")]
    assert one == two


def test_cli_geometry_error_is_one_line_per_problem(interchangeable_predictions, capsys, tmp_path):
    dataset, predictions = interchangeable_predictions
    victim = sorted(predictions.glob("*.nii.gz"))[0]
    image = nib.load(victim)
    affine = image.affine.copy()
    affine[:3, 3] += 0.5
    nib.save(nib.Nifti1Image(np.asanyarray(image.dataobj), affine), victim)
    code = main(["evaluate", str(predictions), str(dataset / "labelsTs"), "--out", str(tmp_path / "m"), "-q"])
    assert code == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2
    assert "nothing was evaluated" in lines[0]
    assert str(victim) in lines[1] and str(dataset / "labelsTs" / victim.name) in lines[1]
    assert not (tmp_path / "m").exists()


def test_evaluate_command_does_not_import_torch_nnunet_or_pandas(interchangeable_predictions, tmp_path):
    dataset, predictions = interchangeable_predictions
    out = tmp_path / "evaluation"
    script = (
        "import sys; from nnunet_wmh.cli import main; "
        f"code = main(['evaluate', {str(predictions)!r}, {str(dataset / 'labelsTs')!r}, '--out', {str(out)!r}, '-q']); "
        "heavy = sorted(m for m in ('torch', 'nnunetv2', 'pandas', 'SimpleITK') if m in sys.modules); "
        "print(code, heavy)"
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert completed.stdout.strip().splitlines()[-1] == "0 []"
    values = [float(r["dice"]) for r in _read_tsv(out / "metrics.tsv")]
    assert not any(math.isnan(v) for v in values)


def test_the_summary_table_shows_n_a_for_a_metric_without_values():
    assert summary_lines([{"grouping": "all", "cases": 2, "dice_n": 0}], ["dice"]) == [
        "group  cases  dice",
        "all    2      n/a",
    ]
