"""The in-process predictor's surroundings (the prediction itself is checked end to end against nnUNetv2_predict)."""

from __future__ import annotations

import os

from nnunet_wmh.segment.predictor import TRAINER_PATH_VARIABLE, _trainer_search
from nnunet_wmh.trainers import trainers_path


def test_the_trainer_search_path_adds_ours_to_the_users_while_a_model_loads_and_restored_after(monkeypatch):
    monkeypatch.setenv(TRAINER_PATH_VARIABLE, "/users/own")
    with _trainer_search(["/extra"]):
        assert os.environ[TRAINER_PATH_VARIABLE] == os.pathsep.join([str(trainers_path()), "/extra", "/users/own"])
    assert os.environ[TRAINER_PATH_VARIABLE] == "/users/own"


def test_an_unset_trainer_search_path_stays_unset(monkeypatch):
    monkeypatch.delenv(TRAINER_PATH_VARIABLE, raising=False)
    with _trainer_search([]):
        assert TRAINER_PATH_VARIABLE in os.environ
    assert TRAINER_PATH_VARIABLE not in os.environ


def test_a_model_whose_trainer_cannot_be_found_says_which_option_helps(tmp_path):
    from nnunet_wmh.segment.model import TrainedModel, model_route
    from nnunet_wmh.segment.predictor import _load_error

    dataset_json = {"channel_names": {"0": "FLAIR"}, "labels": {"background": 0, "wmh": 1}}
    folder = tmp_path / "Dataset1_X" / "MyTrainer__nnUNetPlans__2d"
    model = TrainedModel(folder, folder, ("0",), "checkpoint_final.pth", dataset_json, model_route(dataset_json))
    error = _load_error(model, RuntimeError("Could not find requested nnunet trainer MyTrainer in ..."))
    assert "cannot find its trainer class MyTrainer" in str(error) and error.parameter == "trainer_paths"
    other = _load_error(model, KeyError("network_weights"))
    assert "cannot load fold(s) 0 from checkpoint_final.pth (KeyError" in str(other)
