"""Clinical thick-slice FLAIR end to end (slow): synth --acquisition clinical2d → convert → nnU-Net plans 2-D →
tiny training → predict → evaluate → report, with HD95 and volumes checked in mm and mL on those voxels, and the
built-in atlas registered to a 16-slice FLAIR (or its failure reported for that subject)."""

import json
import subprocess

import nibabel as nib
import numpy as np
import pytest
import SimpleITK as sitk
from scipy import ndimage
from scipy.spatial import cKDTree

from nnunet_wmh.tsv import read_tsv
from tests.end_to_end.test_nnunet import BIN, nnunet_environment, run

pytestmark = pytest.mark.slow
TRAINER = "nnUNetTrainer_tiny"


@pytest.fixture(scope="module")
def clinical(tmp_path_factory):
    """Four training and two test FLAIR-only subjects, converted, planned 2-D, trained and predicted."""
    root = tmp_path_factory.mktemp("clinical2d")
    environment = nnunet_environment(root)
    nnunet_wmh = str(BIN / "nnunet_wmh")
    run([nnunet_wmh, "synth", "--out", "cohort", "--subjects", "4", "--test-subjects", "2", "--size", "small",
         "--acquisition", "clinical2d", "--seed", "8", "-q"], environment, root)  # fmt: skip
    run([nnunet_wmh, "convert", "cohort", "--mode", "flair", "--dataset-id", "950", "-q"], environment, root)
    run([str(BIN / "nnUNetv2_plan_and_preprocess"), "-d", "950", "-c", "2d", "--verify_dataset_integrity",
         "-npfp", "2", "-np", "2"], environment, root)  # fmt: skip
    run([str(BIN / "nnUNetv2_train"), "950", "2d", "0", "-tr", TRAINER, "-device", "cpu"], environment, root)
    dataset = next((root / "raw").glob("Dataset950_*"))
    run([str(BIN / "nnUNetv2_predict"), "-i", str(dataset / "imagesTs"), "-o", "predictions", "-d", "950", "-c",
         "2d", "-f", "0", "-tr", TRAINER, "-device", "cpu", "-npp", "1", "-nps", "1", "--disable_tta"],
        environment, root)  # fmt: skip
    return root, environment, dataset


def test_nnunet_plans_a_2d_network_on_the_in_plane_grid(clinical):
    root, _, dataset = clinical
    plans = json.loads((root / "preprocessed" / dataset.name / "nnUNetPlans.json").read_text())
    two_d, three_d = plans["configurations"]["2d"], plans["configurations"]["3d_fullres"]
    assert two_d["spacing"] == pytest.approx([1.88, 1.88], abs=0.2)  # in-plane pixels, slices not resampled
    assert max(three_d["spacing"]) >= 5.0  # the slice axis stays thick (nnU-Net keeps the median spacing)
    assert all(image.get_data_dtype() == np.int16 for image in map(nib.load, (dataset / "imagesTs").iterdir()))


def _official_hd95(prediction: np.ndarray, reference: np.ndarray, affine: np.ndarray) -> float:
    """HD95 as the challenge defines it: boundaries = mask minus its in-plane erosion, distances in world mm."""

    def boundary_points(mask):
        eroded = ndimage.binary_erosion(mask, structure=np.ones((3, 3, 1), bool), border_value=1)
        voxels = np.argwhere(mask & ~eroded)
        return voxels @ affine[:3, :3].T + affine[:3, 3]

    a, b = boundary_points(prediction), boundary_points(reference)
    return float(max(np.percentile(cKDTree(b).query(a)[0], 95), np.percentile(cKDTree(a).query(b)[0], 95)))


def test_hd95_and_volumes_in_mm_and_ml_on_thick_slices(clinical, tmp_path):
    root, environment, dataset = clinical
    case = sorted(p.name for p in (dataset / "labelsTs").iterdir())[0]
    reference_image = nib.load(dataset / "labelsTs" / case)
    reference = np.asanyarray(reference_image.dataobj) == 1
    shifted = np.roll(reference, 1, axis=2)  # one 8 mm slice off: HD95 is about the slice spacing
    made = tmp_path / "made"
    made.mkdir()
    nib.save(nib.Nifti1Image(shifted.astype(np.uint8), reference_image.affine, reference_image.header), made / case)
    out = tmp_path / "evaluation"
    run([str(BIN / "nnunet_wmh"), "evaluate", str(made), str(dataset / "labelsTs"), "--dataset-json",
         str(dataset / "dataset.json"), "--out", str(out), "-q"], environment, root)  # fmt: skip
    row = read_tsv(out / "metrics.tsv")[0]
    voxel_mm3 = float(np.prod(reference_image.header.get_zooms()[:3]))
    assert voxel_mm3 == pytest.approx(1.88 * 1.88 * 8.0, rel=1e-4)
    assert float(row["reference_volume_mm3"]) == pytest.approx(reference.sum() * voxel_mm3, rel=1e-6)
    expected = _official_hd95(shifted, reference, reference_image.affine)
    assert float(row["hd95_mm"]) == pytest.approx(expected, abs=1e-3)
    assert 4.0 <= float(row["hd95_mm"]) <= 16.0  # dominated by the 8 mm slices


def test_the_predictions_keep_the_native_grid_and_report_counts_ml_by_hand(clinical):
    root, environment, dataset = clinical
    run([str(BIN / "nnunet_wmh"), "report", "predictions", "--out", "report", "--dataset-json",
         str(dataset / "dataset.json"), "--conversion-tsv", str(dataset / "conversion.tsv"), "--images",
         str(dataset / "imagesTs"), "-q"], environment, root)  # fmt: skip
    for row in read_tsv(root / "report" / "subjects.tsv"):
        prediction = root / "predictions" / f"{row['case']}.nii.gz"
        image = sitk.ReadImage(str(dataset / "imagesTs" / f"{row['case']}_0000.nii.gz"))
        predicted = sitk.ReadImage(str(prediction))
        assert predicted.GetSize() == image.GetSize() and predicted.GetSpacing() == pytest.approx(image.GetSpacing())
        voxels = sitk.GetArrayFromImage(predicted)
        millilitres = int((voxels == 1).sum()) * float(np.prod(image.GetSpacing())) / 1000
        assert float(row["total_lesion_volume_ml"]) == pytest.approx(millilitres, abs=1e-6)


def test_the_built_in_atlas_registers_to_16_thick_slices_or_says_why_for_that_subject(clinical, tmp_path):
    root, environment, _ = clinical
    flair = root / "cohort" / "test" / "Hospital_A" / "4" / "pre" / "FLAIR.nii.gz"
    command = [str(BIN / "nnunet_wmh"), "regions", str(flair), "--modality", "flair", "--out", str(tmp_path / "r")]
    completed = subprocess.run(command, env=environment, cwd=root, capture_output=True, text=True, timeout=600)
    if completed.returncode == 0:
        regions = nib.load(tmp_path / "r" / "regions.nii.gz")
        assert regions.shape == nib.load(flair).shape and np.allclose(regions.affine, nib.load(flair).affine)
    else:
        error = completed.stderr.strip().splitlines()
        assert "Traceback" not in completed.stderr and str(flair) in completed.stderr, completed.stderr
        assert len([line for line in error if line.startswith("nnunet_wmh: ")]) >= 1
