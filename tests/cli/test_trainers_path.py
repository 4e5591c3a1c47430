"""``nnunet_wmh trainers-path``."""

from nnunet_wmh.cli import main
from nnunet_wmh.cli import trainers_path as command
from nnunet_wmh.trainers import trainers_path


def test_trainers_path_prints_the_folder_for_nnunet_ext_trainer(capsys):
    assert main([command.NAME]) == 0
    assert capsys.readouterr().out == f"{trainers_path()}\n"
