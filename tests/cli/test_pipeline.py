"""``trainers-path`` and ``demo`` on the command line (the demo itself runs in tests/test_demo.py)."""

from nnunet_wmh.cli import main
from nnunet_wmh.cli.pipeline import VARIANT_NAMES
from nnunet_wmh.trainers import trainers_path


def test_trainers_path_prints_the_folder_for_nnunet_ext_trainer(capsys):
    assert main(["trainers-path"]) == 0
    assert capsys.readouterr().out == f"{trainers_path()}\n"


def test_the_demo_refuses_bad_jobs_before_anything_is_made(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "demo"), "--jobs", "0"]) == 2
    assert capsys.readouterr().err == "nnunet_wmh: usage error: --jobs must be at least 1, got 0\n"
    assert not (tmp_path / "demo").exists()
    assert VARIANT_NAMES["flair_only"] == "FLAIR only"
