"""Where nnU-Net finds trainers: ours first, the user's kept, the variable restored after a model loads."""

from __future__ import annotations

import os

from nnunet_wmh.nnunet.trainer_search import TRAINER_PATH_VARIABLE, trainer_search, trainers_path


def test_the_trainer_search_path_adds_ours_to_the_users_while_a_model_loads_and_restored_after(monkeypatch):
    monkeypatch.setenv(TRAINER_PATH_VARIABLE, "/users/own")
    with trainer_search(["/extra"]):
        assert os.environ[TRAINER_PATH_VARIABLE] == os.pathsep.join([str(trainers_path()), "/extra", "/users/own"])
    assert os.environ[TRAINER_PATH_VARIABLE] == "/users/own"


def test_an_unset_trainer_search_path_stays_unset(monkeypatch):
    monkeypatch.delenv(TRAINER_PATH_VARIABLE, raising=False)
    with trainer_search([]):
        assert TRAINER_PATH_VARIABLE in os.environ
    assert TRAINER_PATH_VARIABLE not in os.environ


def test_the_trainers_folder_is_the_package_that_holds_the_trainer_files():
    assert trainers_path().name == "trainers" and (trainers_path() / "nnunet_wmh_schedules.py").is_file()
