"""The in-process predictor's surroundings (the prediction itself is checked end to end against nnUNetv2_predict)."""

from __future__ import annotations

from nnunet_wmh.nnunet.model import TrainedModel
from nnunet_wmh.nnunet.model_route import model_route
from nnunet_wmh.nnunet.predictor import _load_error


def test_a_model_whose_trainer_cannot_be_found_says_which_option_helps(tmp_path):
    dataset_json = {"channel_names": {"0": "FLAIR"}, "labels": {"background": 0, "wmh": 1}}
    folder = tmp_path / "Dataset1_X" / "MyTrainer__nnUNetPlans__2d"
    model = TrainedModel(folder, folder, ("0",), "checkpoint_final.pth", dataset_json, model_route(dataset_json))
    error = _load_error(model, RuntimeError("Could not find requested nnunet trainer MyTrainer in ..."))
    assert "cannot find its trainer class MyTrainer" in str(error) and error.parameter == "trainer_paths"
    other = _load_error(model, KeyError("network_weights"))
    assert "cannot load fold(s) 0 from checkpoint_final.pth (KeyError" in str(other)
