"""nnU-Net's commands: the variables they get, where they are found, a failing command's log."""

import os
import sys

import pytest

from nnunet_wmh.errors import UsageError
from nnunet_wmh.study.nnunet import (
    NnunetCommandError,
    NnunetFolders,
    find_command,
    nnunet_variables,
    run_logged,
    trainer_search_path,
)
from nnunet_wmh.trainers import trainers_path


def test_variables_point_nnunet_inside_the_folder_and_list_every_trainer_folder(tmp_path):
    variables = nnunet_variables(NnunetFolders.inside(tmp_path), jobs=3, trainer_paths=[tmp_path / "mine"])
    assert variables["nnUNet_raw"] == str(tmp_path / "nnUNet_raw")
    assert variables["nnUNet_results"] == str(tmp_path / "nnUNet_results")
    assert variables["nnUNet_extTrainer"].split(os.pathsep) == [str(trainers_path()), str(tmp_path / "mine")]
    assert (variables["nnUNet_def_n_proc"], variables["nnUNet_n_proc_DA"]) == ("3", "2")
    assert trainer_search_path() == str(trainers_path())


def test_commands_are_found_beside_this_python_or_refused_by_name():
    assert find_command("nnUNetv2_train").endswith("nnUNetv2_train")
    with pytest.raises(UsageError, match="nnUNetv2_nothing not found; is nnunetv2 installed"):
        find_command("nnUNetv2_nothing")


def test_a_failing_command_names_its_step_exit_status_and_log_with_its_end(tmp_path):
    log = tmp_path / "logs" / "x.log"
    script = "import os, sys; print('line one'); print(os.environ['nnUNet_raw']); sys.exit(3)"
    with pytest.raises(NnunetCommandError, match=r"flair: train failed \(exit 3\); see .*x\.log") as raised:
        run_logged("flair: train", [sys.executable, "-c", script], {"nnUNet_raw": "/raw"}, log)
    assert "/raw" in str(raised.value) and raised.value.returncode == 3
    assert log.read_text().splitlines()[0].startswith("$ ")
    run_logged("ok", [sys.executable, "-c", "print('fine')"], {}, tmp_path / "ok.log")
    assert (tmp_path / "ok.log").read_text().splitlines()[-1] == "fine"
