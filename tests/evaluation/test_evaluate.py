"""``evaluate`` on files: label conventions, geometry checks, agreement with an independent reference."""

from __future__ import annotations

import json
import math
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import SimpleITK as sitk
from scipy import ndimage

from nnunet_wmh.errors import InvalidInputsError, OutputExistsError, UsageError
from nnunet_wmh.evaluation.evaluate import evaluate_folder
from nnunet_wmh.evaluation.files import write_evaluation
from nnunet_wmh.evaluation.metrics import challenge_metrics
from nnunet_wmh.labels.conventions import LabelConvention
from nnunet_wmh.labels.joint import JointEncoding, RegionIndex
from tests.helpers.images import oblique_affine, save

# ---------------------------------------------------------------------------------------------------------
# An independent reference, written from the challenge's definitions with SimpleITK and brute force:
# files read by SimpleITK, labels by value, boundaries by sitk.BinaryErode((1, 1, 0)), world points by
# TransformIndexToPhysicalPoint, all pairwise distances, components by scipy.ndimage.label (3×3×3).
# ---------------------------------------------------------------------------------------------------------


def _reference_boundary_points(image: sitk.Image, grid: sitk.Image) -> np.ndarray:
    eroded = sitk.BinaryErode(image, (1, 1, 0))
    boundary = sitk.GetArrayFromImage(sitk.Subtract(image, eroded))  # (z, y, x)
    z, y, x = np.nonzero(boundary)
    points = [grid.TransformIndexToPhysicalPoint((int(i), int(j), int(k))) for i, j, k in zip(x, y, z, strict=True)]
    return np.array(points, dtype=np.float64).reshape(-1, 3)


def _reference_directed(source: np.ndarray, target: np.ndarray) -> float:
    distances = np.sqrt(((source[:, None, :] - target[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
    return float(np.percentile(distances, 95))


def _reference_components(values: np.ndarray) -> tuple[np.ndarray, int]:
    return ndimage.label(values, structure=np.ones((3, 3, 3)))


def reference_metrics(gt_path: Path, pred_path: Path, threshold: float = 0.5) -> dict[str, float]:
    gt_image, pred_image = sitk.ReadImage(str(gt_path)), sitk.ReadImage(str(pred_path))
    gt, pred = sitk.GetArrayFromImage(gt_image), sitk.GetArrayFromImage(pred_image)
    lesion, other = np.rint(gt) == 1, np.rint(gt) == 2
    if "integer" in pred_image.GetPixelIDTypeAsString():
        predicted = (pred >= 1) & (pred <= 1000)
    else:
        predicted = (pred >= threshold) & (pred <= 1000)
    predicted &= ~other
    n_ref, n_pred, n_both = int(lesion.sum()), int(predicted.sum()), int((lesion & predicted).sum())
    result = {
        "dice": math.nan if n_ref + n_pred == 0 else 2 * n_both / (n_ref + n_pred),
        "avd_percent": math.nan if n_ref == 0 else abs(n_ref - n_pred) / n_ref * 100,
        "hd95_mm": math.nan,
    }
    if n_ref and n_pred:
        as_image = []
        for values in (lesion, predicted):
            image = sitk.GetImageFromArray(values.astype(np.uint8))
            image.CopyInformation(gt_image)
            as_image.append(image)
        points = [_reference_boundary_points(image, gt_image) for image in as_image]
        if len(points[0]) and len(points[1]):
            result["hd95_mm"] = max(
                _reference_directed(points[0], points[1]), _reference_directed(points[1], points[0])
            )
    ref_cc, ref_count = _reference_components(lesion)
    pred_cc, pred_count = _reference_components(predicted)
    recall = 1.0 if ref_count == 0 else len(set(np.unique(ref_cc[predicted])) - {0}) / ref_count
    precision = 1.0 if pred_count == 0 else len(set(np.unique(pred_cc[lesion])) - {0}) / pred_count
    result["lesion_recall"] = recall
    result["lesion_f1"] = 0.0 if recall + precision == 0 else 2 * recall * precision / (recall + precision)
    return result


def _random_rotation(rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    return q * np.sign(np.diag(r))


def _blobs(rng: np.random.Generator, shape, fraction: float) -> np.ndarray:
    field = ndimage.gaussian_filter(rng.random(shape), sigma=rng.uniform(0.8, 2.0))
    return field > np.quantile(field, 1 - fraction)


def make_pair(rng: np.random.Generator, kind: str, folder: Path, case: str) -> tuple[Path, Path]:
    shape = tuple(int(v) for v in (rng.integers(12, 30), rng.integers(12, 30), rng.integers(3, 9)))
    affine = np.eye(4)
    affine[:3, :3] = _random_rotation(rng) @ np.diag(rng.uniform(0.4, 3.5, 3))
    affine[:3, 3] = rng.uniform(-90, 90, 3)
    lesion = _blobs(rng, shape, rng.uniform(0.02, 0.15))
    other = _blobs(rng, shape, 0.05) & ~lesion
    noisy = lesion ^ (rng.random(shape) < 0.03)
    prediction = ndimage.binary_dilation(noisy) if rng.random() < 0.5 else noisy
    if kind == "empty_prediction":
        prediction[:] = False
    if kind == "empty_reference":
        lesion[:], other[:] = False, False
    if kind == "identical":
        prediction = lesion.copy()
    if kind == "other_overlap":
        prediction |= other  # predictions on label 2 must not count
    gt = lesion.astype(np.uint8) + 2 * other.astype(np.uint8)
    gt_dtype = [np.uint8, np.float32, np.int16][int(rng.integers(3))]
    if kind == "probabilities":
        values = np.where(prediction, rng.uniform(0.5, 1.0, shape), rng.uniform(0.0, 0.4999, shape))
        pred_values = values.astype(np.float32)
    else:
        pred_values = prediction.astype([np.uint8, np.int16, np.float32][int(rng.integers(3))])
    return (
        save(pred_values, folder / "pred" / f"{case}.nii.gz", affine),
        save(gt.astype(gt_dtype), folder / "gt" / f"{case}.nii.gz", affine),
    )


KINDS = ["random"] * 12 + ["empty_prediction", "empty_reference", "identical", "other_overlap"] * 2
KINDS += ["probabilities"] * 4


def test_evaluate_agrees_with_independent_reference(tmp_path):
    rng = np.random.default_rng(2017)
    pairs = {f"case_{i:02d}": make_pair(rng, kind, tmp_path, f"case_{i:02d}") for i, kind in enumerate(KINDS)}
    assert len(pairs) >= 20
    evaluation = evaluate_folder(tmp_path / "pred", tmp_path / "gt", progress=False)
    rows = {row["case"]: row for row in evaluation.case_rows()}
    assert set(rows) == set(pairs)
    hd95_values = []
    for case, (pred_path, gt_path) in pairs.items():
        expected = reference_metrics(gt_path, pred_path)
        for name in ("dice", "avd_percent", "lesion_recall", "lesion_f1"):
            assert rows[case][name] == pytest.approx(expected[name], abs=1e-9, nan_ok=True), (case, name)
        assert rows[case]["hd95_mm"] == pytest.approx(expected["hd95_mm"], abs=1e-4, nan_ok=True), case
        hd95_values.append(expected["hd95_mm"])
    # the set exercises defined and undefined HD95 and a spread of values
    assert sum(math.isnan(v) for v in hd95_values) >= 4
    assert len({round(v, 3) for v in hd95_values if not math.isnan(v)}) >= 10


def test_integer_and_float_files_give_identical_results(tmp_path):
    rng = np.random.default_rng(5)
    shape = (20, 18, 6)
    affine = oblique_affine(spacing=(0.9, 0.9, 3.0))
    gt = _blobs(rng, shape, 0.1).astype(np.uint8)
    gt[_blobs(rng, shape, 0.05) & (gt == 0)] = 2
    prediction = _blobs(rng, shape, 0.1)
    results = []
    for name, gt_dtype, pred_dtype in (("int", np.uint8, np.uint8), ("float", np.float32, np.float32)):
        save(gt.astype(gt_dtype), tmp_path / name / "gt" / "c.nii.gz", affine)
        save(prediction.astype(pred_dtype), tmp_path / name / "pred" / "c.nii.gz", affine)
        evaluation = evaluate_folder(tmp_path / name / "pred", tmp_path / name / "gt", progress=False)
        results.append({k: v for k, v in evaluation.case_rows()[0].items() if k not in ("prediction", "reference")})
    assert results[0] == pytest.approx(results[1], nan_ok=True)
    assert results[0]["reference_lesions"] > 1


def test_integer_reference_zero_is_background(tmp_path):
    # the official script's BinaryThreshold(0.5, 1.5) on an integer image also takes label 0 as WMH
    # under current SimpleITK; here labels are read by value
    gt = np.zeros((6, 6, 2), dtype=np.uint8)
    gt[1:3, 1:3, 0] = 1
    save(gt, tmp_path / "gt" / "c.nii.gz")
    save(gt.copy(), tmp_path / "pred" / "c.nii.gz")
    row = evaluate_folder(tmp_path / "pred", tmp_path / "gt", progress=False).case_rows()[0]
    assert row["reference_volume_mm3"] == pytest.approx(4 * 3.0)  # 4 voxels of 1 × 1 × 3 mm
    assert row["dice"] == 1.0


def test_prediction_under_other_pathology_is_removed_and_thresholds_follow_the_official_script(tmp_path):
    gt = np.zeros((8, 8, 2), dtype=np.float32)
    gt[1:3, 1:3, 0] = 1  # 4 lesion voxels
    gt[5:7, 5:7, 1] = 2  # 4 other-pathology voxels
    probabilities = np.zeros(gt.shape, dtype=np.float32)
    probabilities[1:3, 1:3, 0] = 0.5  # exactly the threshold: lesion
    probabilities[5:7, 5:7, 1] = 0.9  # on label 2: removed
    probabilities[0, 7, 0] = 0.49  # below the threshold
    probabilities[7, 0, 0] = 1001.0  # above 1000: not lesion (as the official script)
    save(gt, tmp_path / "gt" / "c.nii.gz")
    save(probabilities, tmp_path / "pred" / "c.nii.gz")
    row = evaluate_folder(tmp_path / "pred", tmp_path / "gt", progress=False).case_rows()[0]
    assert (row["dice"], row["prediction_lesions"]) == (1.0, 1)
    row = evaluate_folder(tmp_path / "pred", tmp_path / "gt", threshold=0.6, progress=False).case_rows()[0]
    assert row["dice"] == 0.0
    integers = (probabilities * 255).astype(np.uint16)  # integers: 1..1000 are lesion
    integers[7, 0, 0] = 1001
    save(integers, tmp_path / "pred" / "c.nii.gz")
    row = evaluate_folder(tmp_path / "pred", tmp_path / "gt", progress=False).case_rows()[0]
    assert row["prediction_volume_mm3"] == pytest.approx(5 * 3.0)  # 4 lesion voxels + the 0.49 one (124)


def _write_pair(folder: Path, prediction_affine: np.ndarray, prediction_shape=(6, 6, 3)) -> tuple[Path, Path]:
    gt = np.zeros((6, 6, 3), dtype=np.uint8)
    gt[2, 2, 1] = 1
    return (
        save(np.zeros(prediction_shape, np.uint8), folder / "pred" / "case_a.nii.gz", prediction_affine),
        save(gt, folder / "gt" / "case_a.nii.gz", oblique_affine()),
    )


def test_geometry_within_tolerance_is_accepted(tmp_path):
    affine = oblique_affine()
    affine[:3, 3] += 5e-5  # SimpleITK round trips move origins by far less than 1e-4 mm
    _write_pair(tmp_path, affine)
    assert len(evaluate_folder(tmp_path / "pred", tmp_path / "gt", progress=False).cases) == 1


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("origin", "origin"),
        ("spacing", "spacing"),
        ("direction", "direction cosines"),
        ("shape", "shape (6, 6, 4)"),
    ],
)
def test_geometry_errors_name_both_files(tmp_path, change, expected):
    affine, shape = oblique_affine(), (6, 6, 3)
    if change == "origin":
        affine[:3, 3] += 0.01
    if change == "spacing":
        affine = oblique_affine(spacing=(1.0, 1.0, 3.001))
    if change == "direction":
        affine = oblique_affine(degrees=10.1)
    if change == "shape":
        shape = (6, 6, 4)
    prediction, reference = _write_pair(tmp_path, affine, shape)
    with pytest.raises(InvalidInputsError) as caught:
        evaluate_folder(tmp_path / "pred", tmp_path / "gt", progress=False)
    message = str(caught.value)
    assert "[case_a]" in message
    assert str(prediction) in message
    assert str(reference) in message
    assert expected in message
    assert "nothing was evaluated" in message


def test_missing_reference_is_listed(tmp_path):
    _write_pair(tmp_path, oblique_affine())
    save(np.zeros((6, 6, 3), np.uint8), tmp_path / "pred" / "case_b.nii.gz")
    save(np.zeros((6, 6, 3), np.uint8), tmp_path / "gt" / "case_c.nii.gz")
    with pytest.raises(InvalidInputsError, match=r"\[case_b\] .*case_b.nii.gz: no reference case_b.nii.gz"):
        evaluate_folder(tmp_path / "pred", tmp_path / "gt", progress=False)
    (tmp_path / "pred" / "case_b.nii.gz").unlink()
    evaluation = evaluate_folder(tmp_path / "pred", tmp_path / "gt", progress=False)
    assert evaluation.unmatched_references == ["case_c"]


def test_fractional_reference_is_an_error_naming_the_file(tmp_path):
    _, reference = _write_pair(tmp_path, oblique_affine())
    values = np.zeros((6, 6, 3), np.float32)
    values[1, 1, 1] = 0.7  # e.g. a mask resampled with linear interpolation
    save(values, reference)
    with pytest.raises(InvalidInputsError, match=r"\[case_a\] .*gt/case_a.nii.gz: reference holds fractional values"):
        evaluate_folder(tmp_path / "pred", tmp_path / "gt", progress=False)


def test_reference_with_unknown_labels_suggests_dataset_json(tmp_path):
    _, reference = _write_pair(tmp_path, oblique_affine())
    values = np.zeros((6, 6, 3), np.uint8)
    values[1, 1, 1] = 17
    save(values, reference)
    with pytest.raises(
        InvalidInputsError, match=r"holds value\(s\) 17, not one of the challenge labels .*`dataset_json`"
    ):
        evaluate_folder(tmp_path / "pred", tmp_path / "gt", progress=False)


def test_bad_options_are_usage_errors(tmp_path):
    _write_pair(tmp_path, oblique_affine())
    with pytest.raises(UsageError, match="threshold"):
        evaluate_folder(tmp_path / "pred", tmp_path / "gt", threshold=0, progress=False)
    with pytest.raises(UsageError, match="does not exist"):
        evaluate_folder(tmp_path / "nope", tmp_path / "gt", progress=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="holds no"):
        evaluate_folder(tmp_path / "empty", tmp_path / "gt", progress=False)


def _dataset_json(path: Path, labels: dict, block: dict | None = None) -> Path:
    content = {"labels": labels, "channel_names": {"0": "FLAIR"}, "file_ending": ".nii.gz", "numTraining": 1}
    if block is not None:
        content["nnunet_wmh"] = block
    path.write_text(json.dumps(content))
    return path


def test_nnunet_labels_with_ignore_equal_the_challenge_convention(tmp_path):
    rng = np.random.default_rng(9)
    for i in range(3):
        make_pair(rng, "other_overlap", tmp_path, f"c{i}")
    challenge = evaluate_folder(tmp_path / "pred", tmp_path / "gt", progress=False)
    dataset_json = _dataset_json(tmp_path / "dataset.json", {"background": 0, "wmh": 1, "ignore": 2})
    nnunet = evaluate_folder(tmp_path / "pred", tmp_path / "gt", dataset_json=dataset_json, progress=False)
    assert nnunet.convention.kind == "labels"
    for a, b in zip(challenge.case_rows(), nnunet.case_rows(), strict=True):
        assert a == pytest.approx(b, nan_ok=True)


def test_nnunet_labels_without_ignore_reject_label_2(tmp_path):
    rng = np.random.default_rng(9)
    make_pair(rng, "other_overlap", tmp_path, "c0")
    dataset_json = _dataset_json(tmp_path / "dataset.json", {"background": 0, "wmh": 1})
    with pytest.raises(InvalidInputsError, match=r"holds value\(s\) 2, not one of the dataset's labels \(0, 1\)"):
        evaluate_folder(tmp_path / "pred", tmp_path / "gt", dataset_json=dataset_json, progress=False)


def test_region_only_dataset_is_refused(tmp_path):
    dataset_json = _dataset_json(tmp_path / "dataset.json", {"background": 0, "a": 1}, {"encoding": "regions"})
    with pytest.raises(UsageError, match="region-only"):
        LabelConvention.from_dataset_json(dataset_json)


def test_joint_labels_are_decoded_and_regions_compared(tmp_path):
    encoding = JointEncoding(RegionIndex.from_table({10: "frontal", 20: "occipital"}), has_ignore=True)
    shape = (10, 8, 3)
    regions = np.zeros(shape, np.int64)
    regions[:5, :, :] = 10  # 5 × 8 × 3 = 120 voxels
    regions[5:9, :, :] = 20  # 4 × 8 × 3 = 96 voxels; x = 9 outside every region
    lesion = np.zeros(shape, bool)
    lesion[1:3, 1:3, 1] = True  # 4 voxels in frontal
    lesion[9, 4, 1] = True  # 1 voxel outside the regions
    ignore = np.zeros(shape, bool)
    ignore[6, 6, 2] = True  # other pathology inside occipital
    gt = encoding.encode(lesion, regions, ignore)
    predicted_regions = regions.copy()
    predicted_regions[4, :, :] = 20  # 24 frontal voxels predicted as occipital
    predicted_lesion = lesion.copy()
    predicted_lesion[9, 4, 1] = False  # misses the outside lesion
    predicted_lesion[6, 6, 2] = True  # on the ignored voxel: removed
    prediction = encoding.encode(predicted_lesion, predicted_regions)
    save(gt, tmp_path / "gt" / "c.nii.gz")
    save(prediction, tmp_path / "pred" / "c.nii.gz")
    block = {**encoding.to_json(), "other_pathology": "ignore"}
    dataset_json = _dataset_json(tmp_path / "dataset.json", encoding.labels(), block)
    evaluation = evaluate_folder(tmp_path / "pred", tmp_path / "gt", dataset_json=dataset_json, progress=False)
    row = evaluation.case_rows()[0]
    expected = challenge_metrics(lesion, predicted_lesion & ~ignore, oblique_affine())
    assert row["dice"] == pytest.approx(expected.dice) == pytest.approx(2 * 4 / (5 + 4))
    assert row["lesion_recall"] == pytest.approx(0.5)
    regions_rows = {r["region_name"]: r for r in evaluation.region_rows()}
    # frontal: reference 120, prediction 96, overlap 96; occipital: reference 95 (one ignored), prediction 119
    assert regions_rows["frontal"]["dice"] == pytest.approx(2 * 96 / (120 + 96))
    assert regions_rows["frontal"]["reference_volume_mm3"] == pytest.approx(120 * 3.0)
    assert regions_rows["frontal"]["volume_error_percent"] == pytest.approx((96 - 120) / 120 * 100)
    assert regions_rows["occipital"]["dice"] == pytest.approx(2 * 95 / (95 + 119))
    assert regions_rows["occipital"]["region_id"] == 20
    assert row["region_dice_mean"] == pytest.approx((2 * 96 / 216 + 2 * 95 / 214) / 2)


def test_write_refuses_to_overwrite(tmp_path):
    _write_pair(tmp_path, oblique_affine())
    evaluation = evaluate_folder(tmp_path / "pred", tmp_path / "gt", progress=False)
    out = tmp_path / "results" / "metrics.tsv"
    paths = write_evaluation(evaluation, out)
    assert paths.summary == tmp_path / "results" / "metrics_summary.tsv"
    assert paths.nnunet_summary == tmp_path / "results" / "summary.json"
    before = out.read_bytes()
    with pytest.raises(OutputExistsError, match=r"metrics\.tsv"):
        write_evaluation(evaluation, out)
    assert out.read_bytes() == before
    write_evaluation(evaluation, out, overwrite=True)
    frame = evaluation.to_dataframe()
    assert list(frame.columns) == evaluation.case_columns()
    assert frame.loc[0, "case"] == "case_a" and frame.loc[0, "dice"] == 0.0


def test_summary_json_loads_in_nnunet_and_matches_its_dice(tmp_path):
    from nnunetv2.evaluation.evaluate_predictions import compute_metrics, load_summary_json
    from nnunetv2.imageio.simpleitk_reader_writer import SimpleITKIO

    rng = np.random.default_rng(3)
    for i in range(4):
        make_pair(rng, "random", tmp_path, f"c{i}")
    evaluation = evaluate_folder(tmp_path / "pred", tmp_path / "gt", progress=False)
    paths = write_evaluation(evaluation, tmp_path / "out" / "metrics.tsv")
    summary = load_summary_json(str(paths.nnunet_summary))
    for case, row in zip(summary["metric_per_case"], evaluation.case_rows(), strict=True):
        ours = case["metrics"][1]
        assert ours["Dice"] == pytest.approx(row["dice"])
        assert ours["HD95_mm"] == pytest.approx(row["hd95_mm"], nan_ok=True)
        theirs = compute_metrics(case["reference_file"], case["prediction_file"], SimpleITKIO(), [1], ignore_label=2)
        assert theirs["metrics"][1]["Dice"] == pytest.approx(ours["Dice"])
        assert theirs["metrics"][1]["TP"] == ours["TP"]
        assert theirs["metrics"][1]["TN"] == ours["TN"]
    assert summary["foreground_mean"]["Dice"] == pytest.approx(np.nanmean([r["dice"] for r in evaluation.case_rows()]))
    assert nib.load(paths.metrics.parent.parent / "gt" / "c0.nii.gz").shape  # inputs untouched


def test_many_valued_integer_prediction_is_warned_about(tmp_path):
    gt = np.zeros((6, 6, 2), dtype=np.uint8)
    gt[1:3, 1:3, 0] = 1
    prediction = gt.copy()
    prediction[4, 4, 1] = 5  # e.g. a multitask map read without its dataset.json
    save(gt, tmp_path / "gt" / "c.nii.gz")
    save(prediction, tmp_path / "pred" / "c.nii.gz")
    evaluation = evaluate_folder(tmp_path / "pred", tmp_path / "gt", progress=False)
    assert evaluation.warnings == [
        "[c] prediction holds 3 label values (0..5); every value 1..1000 counts as lesion. "
        "For a multitask model give its dataset.json (`dataset_json`)"
    ]
    save(gt.copy(), tmp_path / "pred" / "c.nii.gz")
    assert evaluate_folder(tmp_path / "pred", tmp_path / "gt", progress=False).warnings == []
