"""nnU-Net's folders: from the arguments or the environment, and the variables its commands get."""

import os

import pytest

from nnunet_wmh.errors import UsageError
from nnunet_wmh.nnunet.folders import NnunetFolders
from nnunet_wmh.nnunet.trainer_search import trainer_search_path, trainers_path


def test_variables_point_nnunet_inside_the_folder_and_list_every_trainer_folder(tmp_path):
    variables = NnunetFolders.inside(tmp_path).environment(jobs=3, trainer_paths=[tmp_path / "mine"])
    assert variables["nnUNet_raw"] == str(tmp_path / "nnUNet_raw")
    assert variables["nnUNet_results"] == str(tmp_path / "nnUNet_results")
    assert variables["nnUNet_extTrainer"].split(os.pathsep) == [str(trainers_path()), str(tmp_path / "mine")]
    assert (variables["nnUNet_def_n_proc"], variables["nnUNet_n_proc_DA"]) == ("3", "2")
    assert trainer_search_path() == str(trainers_path())


def test_folders_come_from_arguments_else_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("nnUNet_raw", str(tmp_path / "env_raw"))
    monkeypatch.delenv("nnUNet_preprocessed", raising=False)
    monkeypatch.setenv("nnUNet_results", str(tmp_path / "results"))
    folders = NnunetFolders.resolve(None, None, None)
    assert (folders.raw, folders.preprocessed, folders.results) == (tmp_path / "env_raw", None, tmp_path / "results")
    assert NnunetFolders.resolve(tmp_path / "raw", None, None).raw == tmp_path / "raw"
    monkeypatch.delenv("nnUNet_raw")
    with pytest.raises(UsageError, match="nnUNet_raw is not set; pass `out`"):
        NnunetFolders.resolve(None, None, None)
