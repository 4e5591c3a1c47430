"""``decode``: saved probabilities of multitask models into joint labels, on nnU-Net's geometry."""

import json

import numpy as np
import pytest
import SimpleITK as sitk

from nnunet_wmh.decode.decoding import decode_prediction_folder, decode_probabilities
from nnunet_wmh.errors import InvalidInputsError, OutputExistsError, UsageError
from nnunet_wmh.labels.joint import JointEncoding
from tests.helpers.predictions import GEOMETRY, REGIONS, separate_dataset_json, write_prediction


def test_region_based_labels_describe_overlapping_outputs():
    labels, order = JointEncoding(REGIONS, has_ignore=True).region_based_labels()
    assert labels == {"background": 0, "genu": (1, 3), "splenium": (2, 4), "wmh": (3, 4, 5), "ignore": 6}
    assert order == [1, 2, 5]


def test_separate_probabilities_decode_to_hand_computed_joint_labels():
    # four voxels along x; outputs: genu, splenium, wmh
    probabilities = np.array([
        [0.9, 0.2, 0.6, 0.1],  # genu
        [0.1, 0.7, 0.7, 0.2],  # splenium
        [0.8, 0.1, 0.5, 0.9],  # wmh
    ], dtype=np.float32).reshape(3, 1, 1, 4)  # fmt: skip
    joint = decode_probabilities(probabilities, separate_dataset_json())
    # voxel 0: genu + lesion -> R + 1 = 3; voxel 1: splenium -> 2; voxel 2: splenium (0.7 > 0.6) + lesion
    # (0.5 reaches the threshold) -> R + 2 = 4; voxel 3: no region, lesion -> 2R + 1 = 5
    np.testing.assert_array_equal(joint.ravel(), [3, 2, 4, 5])


def test_threshold_moves_the_decision():
    probabilities = np.array([0.4, 0.1, 0.45], dtype=np.float32).reshape(3, 1, 1, 1)
    assert decode_probabilities(probabilities, separate_dataset_json()).item() == 0
    assert decode_probabilities(probabilities, separate_dataset_json(), threshold=0.3).item() == 3


def test_joint_probabilities_decode_through_their_lesion_and_region_marginals():
    # R = 2 (genu, splenium): labels 0 background, 1-2 regions, 3-4 lesion in region, 5 lesion outside
    dataset_json = {"nnunet_wmh": {**JointEncoding(REGIONS, has_ignore=True).to_json()}}
    probabilities = np.array([
        [0.0, 0.0, 0.4, 0.1],  # background
        [0.0, 1.0, 0.0, 0.5],  # genu
        [0.0, 0.0, 0.0, 0.0],  # splenium
        [1.0, 0.0, 0.2, 0.4],  # lesion in genu
        [0.0, 0.0, 0.2, 0.0],  # lesion in splenium
        [0.0, 0.0, 0.2, 0.0],  # lesion outside
    ], dtype=np.float32).reshape(6, 1, 1, 4)  # fmt: skip
    # voxel 2: background wins the argmax (0.4), but its lesion labels together reach 0.6: lesion, and outside
    # (0.4 + 0.2) beats genu (0.2) and splenium (0.2) -> 2R + 1 = 5. Voxel 3: genu 0.5 + 0.4 = 0.9, lesion 0.4 -> 1
    np.testing.assert_array_equal(decode_probabilities(probabilities, dataset_json).ravel(), [3, 1, 5, 1])


def test_wrong_number_of_outputs_is_refused():
    with pytest.raises(ValueError, match=r"expected \(3, z, y, x\)"):
        decode_probabilities(np.zeros((4, 1, 1, 1), np.float32), separate_dataset_json())


def test_prediction_folder_is_decoded_with_nnunets_geometry(tmp_path):
    (tmp_path / "dataset.json").write_text(json.dumps(separate_dataset_json()))
    probabilities = np.zeros((3, 2, 3, 4), dtype=np.float32)  # (outputs, z, y, x)
    probabilities[0, 1, 2, 3] = 0.9  # genu
    probabilities[2, 1, 2, 3] = 0.9  # lesion
    write_prediction(tmp_path, "wmh_0007", probabilities, GEOMETRY)
    result = decode_prediction_folder(tmp_path, progress=False)
    (written,) = result.files
    assert written == tmp_path / "joint" / "wmh_0007.nii.gz"
    assert result.run_summary.line().startswith("decode: 1 case(s) done in ")
    assert result.run_summary.out == tmp_path / "joint"
    image = sitk.ReadImage(str(written))
    assert image.GetSize() == (4, 3, 2)
    np.testing.assert_allclose(image.GetSpacing(), GEOMETRY["spacing"])
    np.testing.assert_allclose(image.GetOrigin(), GEOMETRY["origin"])
    np.testing.assert_allclose(image.GetDirection(), GEOMETRY["direction"])
    labels = sitk.GetArrayFromImage(image)
    assert labels[1, 2, 3] == 3 and labels.sum() == 3
    with pytest.raises(OutputExistsError, match="joint exists; pass `overwrite`"):
        decode_prediction_folder(tmp_path, progress=False)


def test_missing_pkl_and_missing_probabilities_are_reported(tmp_path):
    (tmp_path / "dataset.json").write_text(json.dumps(separate_dataset_json()))
    with pytest.raises(UsageError, match="--save_probabilities"):
        decode_prediction_folder(tmp_path, progress=False)
    np.savez_compressed(tmp_path / "wmh_0001.npz", probabilities=np.zeros((3, 1, 1, 1), np.float32))
    with pytest.raises(InvalidInputsError, match=r"\[wmh_0001\] .*/wmh_0001.pkl: missing"):
        decode_prediction_folder(tmp_path, progress=False)


def test_a_lesion_only_dataset_json_is_refused(tmp_path):
    (tmp_path / "dataset.json").write_text(json.dumps({"labels": {"background": 0, "wmh": 1},
                                                       "nnunet_wmh": {"encoding": "lesion"}}))  # fmt: skip
    with pytest.raises(UsageError, match=r"not a multitask dataset\.json"):
        decode_prediction_folder(tmp_path, progress=False)
