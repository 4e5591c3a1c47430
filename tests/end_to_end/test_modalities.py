"""Three contrasts, one model for every subset of them (slow): synth --modalities → convert → stock nnU-Net.

A tiny three-channel modality-dropout model (FLAIR, T1, T2) is trained with stock ``nnUNetv2_train`` and predicts
with stock ``nnUNetv2_predict`` test subjects that have only FLAIR, only T2, only T1, and T1 + T2; ``segment`` then
serves the same subjects with the same model.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from tests.end_to_end.test_nnunet import BIN, assert_same_grid, nnunet_environment, run

#: Test subject → the images it keeps (the others are deleted).
KEPT = {"6": ("FLAIR",), "7": ("T2",), "8": ("T1",), "9": ("T1", "T2")}
#: What convert writes for each (fill order FLAIR > T2 > T1): the modality in channels FLAIR, T1, T2.
EXPECTED_CHANNELS = {"6": "FLAIR,FLAIR,FLAIR", "7": "T2,T2,T2", "8": "T1,T1,T1", "9": "T2,T1,T2"}
EXPECTED_VARIANTS = {"6": "flair", "7": "t2", "8": "t1", "9": "t1+t2"}


@pytest.fixture(scope="module")
def three_contrasts(tmp_path_factory):
    """A FLAIR/T1/T2 cohort: 6 training subjects, 4 test subjects with some contrasts deleted."""
    root = tmp_path_factory.mktemp("modalities")
    environment = nnunet_environment(root)
    run([str(BIN / "nnunet_wmh"), "synth", "--out", "cohort", "--subjects", "6", "--test-subjects", "4",
         "--size", "small",         "--modalities", "flair,t1,t2", "-q"], environment, root)  # fmt: skip
    for pre in (root / "cohort" / "test").rglob("pre"):
        for image in pre.glob("*.nii.gz"):
            if image.name.removesuffix(".nii.gz") not in KEPT[pre.parent.name]:
                image.unlink()
    return root, environment


@pytest.mark.slow
def test_a_three_channel_dropout_model_serves_every_subset_through_stock_nnunet(three_contrasts):
    root, environment = three_contrasts
    trainer = "nnUNetTrainerModalityDropout_tiny"
    run([str(BIN / "nnunet_wmh"), "convert", "cohort", "--dataset-id", "611", "--mode", "interchangeable",
         "--modalities", "flair,t1,t2", "--variants", "full", "-q"], environment, root)  # fmt: skip
    dataset = next((root / "raw").glob("Dataset611_*"))
    dataset_json = json.loads((dataset / "dataset.json").read_text())
    assert dataset_json["channel_names"] == {"0": "FLAIR", "1": "T1", "2": "T2"}
    assert dataset_json["nnunet_wmh"]["fill_order"] == ["flair", "t2", "t1"]
    assert dataset_json["numTraining"] == 6  # one case per subject: everything it has
    run([str(BIN / "nnUNetv2_plan_and_preprocess"), "-d", "611", "-c", "3d_fullres", "--verify_dataset_integrity",
         "-npfp", "2", "-np", "2"], environment, root)  # fmt: skip
    run([str(BIN / "nnUNetv2_train"), "611", "3d_fullres", "0", "-tr", trainer, "-device", "cpu"], environment, root)
    model = next((root / "results" / dataset.name).glob(f"{trainer}__*"))
    debug = (model / "fold_0" / "debug.json").read_text()
    assert "ModalityDropoutTransform( p = 0.5" in debug and "channels = (0, 1, 2)" in debug
    assert "fill_order = (0, 2, 1)" in debug  # FLAIR, then T2, then T1: the conversion's fill order

    table = pd.read_csv(dataset / "conversion.tsv", sep="\t", dtype=str, keep_default_na=False)
    test_cases = table[table.split == "test"].set_index("subject")
    assert test_cases["channels"].to_dict() == EXPECTED_CHANNELS
    assert test_cases["variant"].to_dict() == EXPECTED_VARIANTS

    predictions = root / "predictions"
    run([str(BIN / "nnUNetv2_predict"), "-i", str(dataset / "imagesTs"), "-o", str(predictions), "-d", dataset.name,
         "-c", "3d_fullres", "-f", "0", "-tr", trainer, "-device", "cpu", "-npp", "1", "-nps", "1",
         "--disable_tta"], environment, root)  # fmt: skip
    for subject, case in test_cases["case"].items():
        kept = KEPT[subject][0]
        source = next((root / "cohort" / "test").rglob(f"{subject}/pre/{kept}.nii.gz"))
        labels = assert_same_grid(predictions / f"{case}.nii.gz", source)  # the subject's own geometry
        assert set(np.unique(labels).tolist()) <= {0, 1}
    _segment_serves_the_same_subjects(root, environment, model, predictions, test_cases)


def _segment_serves_the_same_subjects(
    root: Path, environment: dict, model: Path, predictions: Path, test_cases: pd.DataFrame
) -> None:
    """``segment`` reads T2 from the cohort, fills the channels as convert did, and predicts what nnU-Net did."""
    out, template = root / "segmented", root / "cohort" / "template"
    atlas = ["--atlas-image", str(template / "template_T1w.nii.gz"), "--atlas-labels",
             str(template / "template_regions.nii.gz"), "--region-table", str(template / "regions.tsv")]  # fmt: skip
    run([str(BIN / "nnunet_wmh"), "segment", str(root / "cohort" / "test"), "--model", str(model), "--out",
         str(out), "--device", "cpu", "--disable-tta", *atlas, "-q"], environment, root)  # fmt: skip
    qc = pd.read_csv(out / "qc.tsv", sep="\t", dtype=str, keep_default_na=False)
    qc = qc.assign(subject=qc["case"].str.rsplit("_", n=1).str[-1]).set_index("subject")
    assert qc["inputs_used"].to_dict() == EXPECTED_CHANNELS
    for subject, case in test_cases["case"].items():
        ours = sitk.GetArrayFromImage(sitk.ReadImage(str(out / "predictions" / f"{qc.loc[subject, 'case']}.nii.gz")))
        stock = sitk.GetArrayFromImage(sitk.ReadImage(str(predictions / f"{case}.nii.gz")))
        np.testing.assert_array_equal(ours, stock)
    t2 = next((root / "cohort" / "test").rglob("7/pre/T2.nii.gz"))  # one subject with T2 alone, given as a file
    single_run = ["--subject-id", "7", "--model", str(model), "--out", str(root / "single"), "--device", "cpu"]
    run([str(BIN / "nnunet_wmh"), "segment", "--t2", str(t2), *single_run, "--disable-tta", *atlas, "-q"],
        environment, root)  # fmt: skip
    single = sitk.GetArrayFromImage(sitk.ReadImage(str(root / "single" / "predictions" / "7.nii.gz")))
    np.testing.assert_array_equal(single, sitk.GetArrayFromImage(sitk.ReadImage(
        str(out / "predictions" / f"{qc.loc['7', 'case']}.nii.gz"))))  # fmt: skip
