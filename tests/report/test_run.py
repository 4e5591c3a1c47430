"""``report`` on files: tables with hand-computed values, inputs and their errors, sharding, BIDS, HTML."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from nnunet_wmh.cli import main
from nnunet_wmh.dataset_conversion import convert_dataset
from nnunet_wmh.errors import InvalidInputsError, OutputExistsError, UsageError
from nnunet_wmh.report.finish import merge_report
from nnunet_wmh.report.options import ReportOptions
from nnunet_wmh.report.run import make_report
from tests.helpers.images import read_labels, save
from tests.helpers.report_cases import AFFINE, SHAPE, write_hand_cohort

TABLES = ("regions.tsv", "regions_wide.tsv", "subjects.tsv", "lesions.tsv", "qc.tsv")


def read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def by(rows, *keys):
    return {tuple(row[k] for k in keys) if len(keys) > 1 else row[keys[0]]: row for row in rows}


@pytest.fixture
def hand_cohort(tmp_path) -> dict[str, Path]:
    return write_hand_cohort(tmp_path)


def _report(folders, out, **kwargs):
    options = kwargs.pop("options", ReportOptions(pictures=False))
    return make_report(
        folders["pred"],
        out,
        regions=folders["regions"],
        region_table=folders["table"],
        ventricles=folders["ventricles"],
        brain_mask=folders["brain"],
        options=options,
        progress=False,
        **kwargs,
    )


def test_tables_hold_hand_computed_values(hand_cohort, tmp_path):
    out = tmp_path / "report"
    result = _report(hand_cohort, out)
    assert result.finished and sorted(result.cases) == ["case_a", "case_b", "case_c"]
    regions = by(read_tsv(out / "regions.tsv"), "case", "region_id")
    assert [(r["case"], r["region_id"]) for r in read_tsv(out / "regions.tsv")] == [
        (case, region) for case in ("case_a", "case_b", "case_c") for region in ("3", "8", "0")
    ]
    a3 = regions[("case_a", "3")]
    assert (a3["region_name"], a3["lesion_volume_mm3"], a3["lesion_volume_ml"]) == ("frontal", "12", "0.012")
    assert (a3["lesion_count"], a3["region_volume_mm3"]) == ("1", "720")
    assert float(a3["lesion_fraction"]) == pytest.approx(12 / 720)
    assert regions[("case_a", "8")]["lesion_volume_mm3"] == "3"
    assert regions[("case_b", "3")]["lesion_volume_mm3"] == "0"
    assert regions[("case_c", "8")]["lesion_volume_mm3"] == "3"  # assigned from outside (2 mm)
    assert regions[("case_c", "8")]["region_volume_mm3"] == str((80 + 1) * 3)
    assert regions[("case_c", "0")]["region_name"] == "outside_regions"
    subjects = by(read_tsv(out / "subjects.tsv"), "case")
    a = subjects["case_a"]
    assert (a["total_lesion_volume_mm3"], a["total_lesion_volume_ml"], a["lesion_count"]) == ("15", "0.015", "2")
    assert (a["icv_mm3"], float(a["total_lesion_percent_icv"])) == ("1200", pytest.approx(15 / 1200 * 100))
    # distance rule, 10 mm: the 2 × 2 lesion lies 1..3 mm from the ventricle; the voxel at (8, 5, 0) is
    # (8, 2..5, 3 mm) away: sqrt(64 + 4 + 9) > 8 mm, within 10 mm: all periventricular
    assert (a["periventricular_volume_mm3"], a["deep_volume_mm3"]) == ("15", "0")
    lesions = read_tsv(out / "lesions.tsv")
    assert [(r["case"], r["lesion_id"], r["voxels"], r["volume_mm3"]) for r in lesions] == [
        ("case_a", "1", "4", "12"),
        ("case_a", "2", "1", "3"),
        ("case_c", "1", "1", "3"),
    ]
    centre = AFFINE @ np.array([1.5, 1.5, 1.0, 1.0])
    assert [float(lesions[0][f"centroid_{axis}_mm"]) for axis in "xyz"] == pytest.approx(centre[:3].tolist())
    assert (lesions[0]["dominant_region_id"], lesions[0]["dominant_region_name"]) == ("3", "frontal")
    assert (lesions[0]["n_regions_touched"], lesions[0]["location"]) == ("1", "periventricular")
    qc = by(read_tsv(out / "qc.tsv"), "case")
    assert qc["case_b"]["empty_prediction"] == "True" and "empty prediction" in qc["case_b"]["flag"]
    assert qc["case_c"]["lesion_outside_fraction_input"] == "1" and qc["case_c"]["lesion_outside_fraction"] == "0"
    assert qc["case_a"]["flag"] == ""
    assert qc["case_a"]["regions_missing"] == "0"
    wide = by(read_tsv(out / "regions_wide.tsv"), "case")
    assert list(wide["case_a"]) == ["case", "frontal_ml", "occipital_ml", "outside_regions_ml", "flag"]
    assert wide["case_a"]["frontal_ml"] == "0.012"
    report = json.loads((out / "report.json").read_text())
    assert report["options"]["connectivity"] == 26 and report["options"]["pv_rule"] == "distance"
    assert report["inputs"]["regions"] == str(hand_cohort["regions"])
    assert not (out / "parts").exists()


def test_options_change_counts_as_defined(hand_cohort, tmp_path):
    options = ReportOptions(pictures=False, min_lesion_mm3=4.0, outside="keep", pv_rule="contact")
    out = tmp_path / "report"
    _report(hand_cohort, out, options=options)
    subjects = by(read_tsv(out / "subjects.tsv"), "case")
    assert subjects["case_a"]["lesion_count"] == "1"  # the 3 mm³ voxel is dropped
    assert (subjects["case_a"]["periventricular_volume_mm3"], subjects["case_a"]["deep_volume_mm3"]) == ("12", "0")
    assert subjects["case_c"]["lesion_count"] == "0"
    qc = by(read_tsv(out / "qc.tsv"), "case")
    assert qc["case_a"]["lesions_dropped_below_min_size"] == "1"


def test_outside_keep_reports_and_flags_lesion_outside_regions(hand_cohort, tmp_path):
    out = tmp_path / "report"
    _report(hand_cohort, out, options=ReportOptions(pictures=False, outside="keep"))
    regions = by(read_tsv(out / "regions.tsv"), "case", "region_id")
    assert regions[("case_c", "0")]["lesion_volume_mm3"] == "3"
    qc = by(read_tsv(out / "qc.tsv"), "case")
    assert qc["case_c"]["lesion_outside_fraction"] == "1"
    assert "100% of lesion outside regions" in qc["case_c"]["flag"]


def test_sharded_and_merged_equals_single_run(hand_cohort, tmp_path):
    single = tmp_path / "single"
    _report(hand_cohort, single)
    sharded = tmp_path / "sharded"
    parts = [_report(hand_cohort, sharded, part_id=i, num_parts=2) for i in range(2)]
    assert [p.cases for p in parts] == [["case_a", "case_c"], ["case_b"]]  # interleaved, as nnU-Net
    assert not parts[0].finished and (sharded / "parts" / "part-0-of-2" / "regions.tsv").is_file()
    assert not (sharded / "subjects.tsv").exists()
    merged = merge_report(sharded)
    assert merged.finished and merged.cases == ["case_a", "case_b", "case_c"]
    for name in TABLES:
        assert (sharded / name).read_text() == (single / name).read_text(), name
    assert not (sharded / "parts").exists()


def test_merge_refuses_missing_or_mismatched_parts(hand_cohort, tmp_path):
    out = tmp_path / "sharded"
    _report(hand_cohort, out, part_id=0, num_parts=2)
    with pytest.raises(InvalidInputsError, match=r"\[part-1-of-2\] .*parts: missing; run part_id 1 of 2 first"):
        merge_report(out)
    _report(hand_cohort, out, part_id=1, num_parts=2, options=ReportOptions(pictures=False, connectivity=6))
    with pytest.raises(InvalidInputsError, match=r"made by another run than part-\d-of-2 \(different options\)"):
        merge_report(out)
    assert sorted(p.name for p in (out / "parts").iterdir()) == ["part-0-of-2", "part-1-of-2"]  # kept


def test_existing_report_is_not_overwritten(hand_cohort, tmp_path):
    out = tmp_path / "report"
    _report(hand_cohort, out)
    before = (out / "subjects.tsv").read_bytes()
    with pytest.raises(OutputExistsError, match=rf"{out} exists; pass `overwrite` to replace it"):
        _report(hand_cohort, out)
    assert (out / "subjects.tsv").read_bytes() == before
    _report(hand_cohort, out, overwrite=True)


def test_input_errors_name_case_and_files(hand_cohort, tmp_path):
    region_file = hand_cohort["regions"] / "case_b.nii.gz"
    shifted = AFFINE.copy()
    shifted[:3, 3] += 0.5
    save(read_labels(region_file), region_file, shifted)
    (hand_cohort["ventricles"] / "case_c.nii.gz").unlink()
    with pytest.raises(InvalidInputsError) as caught:
        _report(hand_cohort, tmp_path / "r1")
    message = str(caught.value)
    assert "no report was written" in message
    assert f"[case_b] {region_file}: region map: origin" in message
    assert str(hand_cohort["pred"] / "case_b.nii.gz") in message
    assert "[case_c]" in message and "no ventricle map case_c.nii.gz" in message
    assert not (tmp_path / "r1").exists()


def test_bad_label_values_name_the_file(hand_cohort, tmp_path):
    values = np.zeros(SHAPE, dtype=np.float32)
    values[0, 0, 0] = 2.5
    save(values, hand_cohort["regions"] / "case_a.nii.gz", AFFINE)
    with pytest.raises(InvalidInputsError, match=r"\[case_a\] .*regions/case_a.nii.gz: region map holds fractional"):
        _report(hand_cohort, tmp_path / "r")
    save(np.full(SHAPE, 2, np.uint8), hand_cohort["ventricles"] / "case_a.nii.gz", AFFINE)
    save(np.zeros(SHAPE, np.uint8), hand_cohort["regions"] / "case_a.nii.gz", AFFINE)
    with pytest.raises(
        InvalidInputsError, match=r"ventricles/case_a.nii.gz: ventricle map: label map holds no lateral"
    ):
        _report(hand_cohort, tmp_path / "r")


def test_whole_brain_only_without_regions(hand_cohort, tmp_path):
    out = tmp_path / "report"
    make_report(hand_cohort["pred"], out, options=ReportOptions(pictures=False), progress=False)
    assert not (out / "regions.tsv").exists() and not (out / "regions_wide.tsv").exists()
    subjects = by(read_tsv(out / "subjects.tsv"), "case")
    assert subjects["case_a"]["total_lesion_volume_mm3"] == "15"
    assert subjects["case_a"]["periventricular_volume_mm3"] == "n/a" and subjects["case_a"]["icv_mm3"] == "n/a"
    lesions = read_tsv(out / "lesions.tsv")
    assert lesions[0]["dominant_region_id"] == "n/a" and lesions[0]["location"] == "n/a"
    qc = by(read_tsv(out / "qc.tsv"), "case")
    assert qc["case_a"]["regions_missing"] == "n/a"


def test_probability_maps_use_the_threshold(hand_cohort, tmp_path):
    probabilities = np.zeros(SHAPE, dtype=np.float32)
    probabilities[1:3, 1:3, 1] = 0.7
    probabilities[5, 5, 2] = 0.4
    for case in ("case_a", "case_b", "case_c"):
        save(probabilities, hand_cohort["pred"] / f"{case}.nii.gz", AFFINE)
    for threshold, expected in ((0.5, "12"), (0.3, "15")):
        out = tmp_path / f"t{threshold}"
        options = ReportOptions(pictures=False, threshold=threshold)
        make_report(hand_cohort["pred"], out, options=options, progress=False)
        assert by(read_tsv(out / "subjects.tsv"), "case")["case_a"]["total_lesion_volume_mm3"] == expected


def test_usage_errors(hand_cohort, tmp_path):
    with pytest.raises(UsageError, match="`region_table` names the maps of `regions`"):
        make_report(hand_cohort["pred"], tmp_path / "r", region_table=hand_cohort["table"], progress=False)
    with pytest.raises(UsageError, match=r"`part_id` must be in 0\.\.1") as raised:
        make_report(hand_cohort["pred"], tmp_path / "r", part_id=2, num_parts=2, progress=False)
    assert raised.value.parameter == "part_id"
    with pytest.raises(UsageError, match="`min_lesion_mm3` must be >= 0"):
        make_report(hand_cohort["pred"], tmp_path / "r", options=ReportOptions(min_lesion_mm3=-1), progress=False)
    with pytest.raises(UsageError, match="`threshold` must be between 0 and 1"):
        make_report(hand_cohort["pred"], tmp_path / "r", options=ReportOptions(threshold=2), progress=False)
    assert not (tmp_path / "r").exists()


# --- a converted multitask dataset: joint labels, conversion.tsv, BIDS, pictures and the page --------------


@pytest.fixture
def multitask_predictions(small_cohort, tmp_path):
    """labelsTs of a multitask dataset as predictions (with the dataset.json nnU-Net copies), the
    matching aseg maps as ventricles and brain masks."""
    result = convert_dataset(small_cohort, mode="multitask", dataset_id=611, out=tmp_path / "raw", progress=False)
    dataset = result.dataset_dir
    folders = {name: tmp_path / name for name in ("pred", "aseg")}
    for folder in folders.values():
        folder.mkdir()
    for row in read_tsv(dataset / "conversion.tsv"):
        if row["split"] == "test":
            shutil.copy(dataset / "labelsTs" / f"{row['case']}.nii.gz", folders["pred"])
            shutil.copy(Path(row["lesion"]).parent / "aseg.nii.gz", folders["aseg"] / f"{row['case']}.nii.gz")
    shutil.copy(dataset / "dataset.json", folders["pred"] / "dataset.json")
    return dataset, folders


def test_joint_predictions_with_pictures_bids_and_page(multitask_predictions, tmp_path, capsys):
    dataset, folders = multitask_predictions
    out, bids = tmp_path / "report", tmp_path / "bids"
    argv = ["report", str(folders["pred"]), "--out", str(out), "--conversion-tsv", str(dataset / "conversion.tsv")]
    argv += ["--images", str(dataset / "imagesTs"), "--ventricles", str(folders["aseg"]), "--brain-mask"]
    argv += [str(folders["aseg"]), "--bids-derivatives", str(bids), "-q"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "report of 5 case(s)" in printed and str(out / "index.html") in printed
    subjects = read_tsv(out / "subjects.tsv")
    assert list(subjects[0])[:4] == ["participant_id", "session_id", "site", "case"]
    assert subjects[0]["participant_id"].startswith("sub-") and subjects[0]["session_id"] == "n/a"
    # the joint labels are the reference lesions: the table's totals match the lesion label maps
    block = json.loads((dataset / "dataset.json").read_text())["nnunet_wmh"]
    count = len(block["regions"])
    for row in subjects:
        joint = read_labels(folders["pred"] / f"{row['case']}.nii.gz")
        zooms = nib.load(folders["pred"] / f"{row['case']}.nii.gz").header.get_zooms()
        lesion_voxels = int(((joint > count) & (joint <= 2 * count + 1)).sum())
        assert float(row["total_lesion_volume_mm3"]) == pytest.approx(lesion_voxels * float(np.prod(zooms)))
        pv, deep = float(row["periventricular_volume_mm3"]), float(row["deep_volume_mm3"])
        assert pv + deep == pytest.approx(float(row["total_lesion_volume_mm3"]))
    regions = read_tsv(out / "regions.tsv")
    assert len(regions) == 5 * (count + 1)
    for case in {r["case"] for r in regions}:
        rows = [r for r in regions if r["case"] == case]
        total = next(s for s in subjects if s["case"] == case)
        assert sum(float(r["lesion_volume_mm3"]) for r in rows) == pytest.approx(
            float(total["total_lesion_volume_mm3"])
        )
        assert sum(int(r["lesion_count"]) for r in rows) == int(total["lesion_count"])
    # pictures and the page: every local reference exists
    assert len(list((out / "qc").glob("*.png"))) == 5 and (out / "cohort.png").is_file()
    page = (out / "index.html").read_text()
    references = re.findall(r'(?:src|href)="([^"#][^"]*)"', page)
    assert references and all((out / ref).is_file() for ref in references)
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", page)  # nothing from the network
    # BIDS derivatives
    description = json.loads((bids / "dataset_description.json").read_text())
    assert description["DatasetType"] == "derivative" and description["GeneratedBy"][0]["Name"] == "nnunet_wmh"
    first = subjects[0]["participant_id"]
    mask = bids / first / "anat" / f"{first}_space-FLAIR_desc-wmh_mask.nii.gz"
    dseg = bids / first / "anat" / f"{first}_space-FLAIR_desc-wmhregions_dseg.nii.gz"
    assert mask.is_file() and dseg.is_file()
    case = subjects[0]["case"]
    np.testing.assert_array_equal(nib.load(mask).affine, nib.load(folders["pred"] / f"{case}.nii.gz").affine)
    assert read_labels(mask).sum() * np.prod(nib.load(mask).header.get_zooms()) == pytest.approx(
        float(subjects[0]["total_lesion_volume_mm3"])
    )
    dseg_table = read_tsv(bids / "desc-wmhregions_dseg.tsv")
    assert dseg_table[-1] == {"index": "65535", "name": "outside_regions"} and len(dseg_table) == count + 1
    assert set(np.unique(read_labels(dseg)).tolist()) <= {0, 65535} | {int(r["index"]) for r in dseg_table}


def test_bids_names_carry_the_variant_for_interchangeable_cases(small_cohort, tmp_path):
    result = convert_dataset(small_cohort, mode="interchangeable", dataset_id=612, out=tmp_path / "raw", progress=False)
    dataset = result.dataset_dir
    bids = tmp_path / "bids"
    make_report(
        dataset / "labelsTs",
        tmp_path / "report",
        conversion_tsv=dataset / "conversion.tsv",
        dataset_json=dataset / "dataset.json",
        bids_derivatives=bids,
        options=ReportOptions(pictures=False),
        progress=False,
    )
    names = sorted(p.name for p in bids.rglob("*_mask.nii.gz"))
    assert len(names) == 15
    assert {re.search(r"desc-(\w+)_mask", n).group(1) for n in names} == {"wmhPaired", "wmhFLAIRonly", "wmhT1only"}


def test_region_values_missing_from_the_table_are_named_and_reported_once(hand_cohort, tmp_path):
    hand_cohort["table"].write_text("index\tname\n3\tfrontal\n")
    result = _report(hand_cohort, tmp_path / "report")
    assert [w for w in result.warnings if "region_8" in w] == [
        "1 region value(s) are not in the region table and got generated names: 8 -> region_8"
    ]
    names = {r["region_id"]: r["region_name"] for r in read_tsv(tmp_path / "report" / "regions.tsv")}
    assert names == {"3": "frontal", "8": "region_8", "0": "outside_regions"}


def test_companion_maps_by_pattern(hand_cohort, tmp_path):
    maps = tmp_path / "maps"
    for path in sorted(hand_cohort["regions"].glob("*.nii.gz")):
        target = maps / path.name[: -len(".nii.gz")] / "regions.nii.gz"
        target.parent.mkdir(parents=True)
        shutil.move(path, target)
    pattern = str(maps / "{case}" / "regions.nii.gz")
    out = tmp_path / "report"
    _report({**hand_cohort, "regions": pattern}, out)
    regions = by(read_tsv(out / "regions.tsv"), "case", "region_id")
    assert regions[("case_a", "3")]["lesion_volume_mm3"] == "12"
    (maps / "case_b" / "regions.nii.gz").unlink()
    with pytest.raises(InvalidInputsError, match=r"\[case_b\] .*maps/case_b/regions.nii.gz: no region map"):
        _report({**hand_cohort, "regions": pattern}, tmp_path / "report2")
    with pytest.raises(UsageError, match=r"\{nope\}"):
        _report({**hand_cohort, "regions": str(maps / "{nope}.nii.gz")}, tmp_path / "report3")
