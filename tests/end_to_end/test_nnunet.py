"""Real end-to-end runs through the command lines (slow): synth → convert → nnU-Net plan, train, predict.

A tiny-schedule trainer (2 epochs × 5 iterations, tests/end_to_end/nnunet_trainers) is found by stock nnU-Net through
``nnUNet_extTrainer``, which lists nnunet_wmh's trainer folder and the test folder joined by os.pathsep.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from nnunet_wmh.trainers import trainers_path

BIN = Path(sys.executable).parent
TEST_TRAINERS = Path(__file__).parent / "nnunet_trainers"


def run(command: list[str], environment: dict[str, str], cwd: Path) -> str:
    completed = subprocess.run(command, env=environment, cwd=cwd, capture_output=True, text=True, timeout=900)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, f"{' '.join(command)} failed:\n{output[-5000:]}"
    return output


def nnunet_environment(root: Path) -> dict[str, str]:
    """nnU-Net's folders below ``root``, our trainers and the tiny test trainers, two CPU threads."""
    return {
        **os.environ,
        "nnUNet_raw": str(root / "raw"),
        "nnUNet_preprocessed": str(root / "preprocessed"),
        "nnUNet_results": str(root / "results"),
        "nnUNet_extTrainer": os.pathsep.join((str(trainers_path()), str(TEST_TRAINERS))),
        "nnUNet_def_n_proc": "2",
        "nnUNet_n_proc_DA": "1",
        "nnUNet_compile": "false",
        "OMP_NUM_THREADS": "2",
    }


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A synthetic cohort whose two test subjects lack one modality each, and nnU-Net's environment."""
    root = tmp_path_factory.mktemp("e2e")
    environment = nnunet_environment(root)
    run([str(BIN / "nnunet_wmh"), "synth", "--out", "cohort", "--subjects", "6", "--test-subjects", "2",
         "--size", "small", "-q"], environment, root)  # fmt: skip
    (root / "cohort/test/Utrecht/6/pre/T1.nii.gz").unlink()  # a FLAIR-only test subject
    (root / "cohort/test/Singapore/7/pre/FLAIR.nii.gz").unlink()  # a T1-only test subject
    return root, environment


def convert_plan_train(root: Path, environment: dict, dataset_id: int, convert_options: list[str], trainer: str):
    run([str(BIN / "nnunet_wmh"), "convert", "cohort", "--dataset-id", str(dataset_id), "-q", *convert_options],
        environment, root)  # fmt: skip
    run([str(BIN / "nnUNetv2_plan_and_preprocess"), "-d", str(dataset_id), "-c", "3d_fullres",
         "--verify_dataset_integrity", "-npfp", "2", "-np", "2"], environment, root)  # fmt: skip
    run([str(BIN / "nnUNetv2_train"), str(dataset_id), "3d_fullres", "0", "-tr", trainer, "-device", "cpu"],
        environment, root)  # fmt: skip
    dataset = next((root / "raw").glob(f"Dataset{dataset_id}_*"))
    return dataset, next((root / "results" / dataset.name).glob(f"{trainer}__*")) / "fold_0"


def predict(root: Path, environment: dict, dataset: Path, trainer: str, out: str, *extra: str) -> Path:
    run([str(BIN / "nnUNetv2_predict"), "-i", str(dataset / "imagesTs"), "-o", out, "-d", dataset.name,
         "-c", "3d_fullres", "-f", "0", "-tr", trainer, "-device", "cpu", "-npp", "1", "-nps", "1",
         "--disable_tta", *extra], environment, root)  # fmt: skip
    return root / out


def assert_same_grid(prediction: Path, image: Path):
    predicted, reference = sitk.ReadImage(str(prediction)), sitk.ReadImage(str(image))
    assert predicted.GetSize() == reference.GetSize()
    np.testing.assert_allclose(predicted.GetSpacing(), reference.GetSpacing(), atol=1e-4)
    np.testing.assert_allclose(predicted.GetOrigin(), reference.GetOrigin(), atol=1e-4)
    np.testing.assert_allclose(predicted.GetDirection(), reference.GetDirection(), atol=1e-4)
    return sitk.GetArrayFromImage(predicted)


@pytest.mark.slow
def test_interchangeable_dataset_trains_with_modality_dropout_and_predicts_one_modality_subjects(workspace):
    root, environment = workspace
    trainer = "nnUNetTrainerModalityDropout_tiny"
    dataset, fold = convert_plan_train(root, environment, 601, ["--mode", "interchangeable"], trainer)
    assert (fold / "checkpoint_final.pth").is_file()
    assert "ModalityDropoutTransform( p = 0.5" in (fold / "debug.json").read_text()

    table = pd.read_csv(dataset / "conversion.tsv", sep="\t", dtype=str, keep_default_na=False)
    test_cases = table[table.split == "test"].set_index("subject")
    assert test_cases.loc["6", "channels"] == "FLAIR,FLAIR" and test_cases.loc["7", "channels"] == "T1,T1"

    predictions = predict(root, environment, dataset, trainer, "predictions")
    for subject in ("6", "7"):
        case = test_cases.loc[subject, "case"]
        labels = assert_same_grid(predictions / f"{case}.nii.gz", dataset / "imagesTs" / f"{case}_0000.nii.gz")
        assert set(np.unique(labels).tolist()) <= {0, 1}


@pytest.mark.slow
def test_separate_multitask_dataset_trains_and_decodes_to_joint_labels(workspace):
    root, environment = workspace
    trainer = "nnUNetTrainerMultiTaskLesionWeighted_tiny"
    options = ["--mode", "multitask", "--encoding", "separate", "--inputs", "interchangeable", "--variants", "paired"]
    dataset, fold = convert_plan_train(root, environment, 602, options, trainer)
    dataset_json = json.loads((dataset / "dataset.json").read_text())
    assert dataset_json["labels"]["wmh"] == list(range(17, 34)) and dataset_json["labels"]["ignore"] == 34
    assert "OutputWeightedLoss" in (fold / "debug.json").read_text()

    predictions = predict(root, environment, dataset, trainer, "predictions_multitask", "--save_probabilities")
    out = run([str(BIN / "nnunet_wmh"), "decode", str(predictions), "--out", "joint", "-q"], environment, root)
    assert "decoded 2 case(s)" in out
    for npz in sorted(predictions.glob("*.npz")):
        case = npz.name[:-4]
        joint = assert_same_grid(root / "joint" / f"{case}.nii.gz", dataset / "imagesTs" / f"{case}_0000.nii.gz")
        assert set(np.unique(joint).tolist()) <= set(range(0, 34))  # 0..2R+1, R = 16
        exported = sitk.GetArrayFromImage(sitk.ReadImage(str(predictions / f"{case}.nii.gz")))
        assert set(np.unique(exported).tolist()) <= {0, *dataset_json["regions_class_order"]}
        # Where exactly one region output and no lesion output is above 0.5, nnU-Net's export (last region
        # above 0.5 wins) and the decoded map (most probable region) must agree; elsewhere they may not.
        probabilities = np.load(npz)["probabilities"]
        regions_above = (probabilities[:16] > 0.5).sum(axis=0)
        unambiguous = (regions_above == 1) & (probabilities[16] < 0.5)
        assert unambiguous.sum() > 100
        assert np.array_equal(joint[unambiguous], exported[unambiguous])
    _segment_gives_the_decoded_joint_labels(root, environment, dataset, fold.parent)
    shutil.rmtree(root / "joint")


def _segment_gives_the_decoded_joint_labels(root: Path, environment: dict, dataset: Path, model: Path) -> None:
    """``segment`` with the multitask model: the joint labels ``decode`` made from nnUNetv2_predict's probabilities,
    and the regions taken from the model."""
    out = root / "segmented_multitask"
    run([str(BIN / "nnunet_wmh"), "segment", "cohort", "--model", str(model), "--out", str(out), "--device", "cpu",
         "--disable-tta", "-q"], environment, root)  # fmt: skip
    table = pd.read_csv(dataset / "conversion.tsv", sep="\t", dtype=str, keep_default_na=False)
    qc = pd.read_csv(out / "qc.tsv", sep="\t", dtype=str, keep_default_na=False).set_index("case")
    for row in table[table.split == "test"].itertuples():
        segmented = f"{row.site}_{row.subject}"
        joint = sitk.GetArrayFromImage(sitk.ReadImage(str(root / "joint" / f"{row.case}.nii.gz")))
        ours = sitk.GetArrayFromImage(sitk.ReadImage(str(out / "predictions" / f"{segmented}.nii.gz")))
        np.testing.assert_array_equal(ours, joint)
        assert qc.loc[segmented, "regions_from"] == "model"
    assert (out / "desc-regions_dseg.tsv").read_text().count("\n") == 17  # header + 16 regions
