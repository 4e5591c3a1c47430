"""Opening a trained model: folder or zip, folds, its files read once."""

from __future__ import annotations

import zipfile

import pytest

from nnunet_wmh.errors import UsageError
from nnunet_wmh.nnunet.model import available_folds, open_model
from tests.helpers.models import write_model_folder

LESION_LABELS = {"background": 0, "wmh": 1, "ignore": 2}


def _block(**block) -> dict:
    return {"channel_names": {"0": "FLAIR", "1": "T1"}, "labels": LESION_LABELS, "nnunet_wmh": block}


def test_every_fold_with_a_checkpoint_is_used_by_default(tmp_path):
    folder = write_model_folder(
        tmp_path, _block(inputs="flair", channels=1, encoding="lesion"), folds=("1", "0", "all")
    )
    (folder / "fold_3").mkdir()  # no checkpoint: training not finished
    assert available_folds(folder, "checkpoint_final.pth") == ("0", "1", "all")
    model = open_model(folder, folds=None, checkpoint="checkpoint_final.pth", unpack_dir=tmp_path / "unpack")
    assert model.folds == ("0", "1", "all")
    assert model.name == "Dataset123_WMH/nnUNetTrainer__nnUNetPlans__3d_fullres"


def test_a_missing_fold_is_refused_naming_the_folds_there_are(tmp_path):
    folder = write_model_folder(tmp_path, _block(inputs="flair", channels=1, encoding="lesion"))
    with pytest.raises(UsageError, match=r"`folds` 2 not in .* \(folds with checkpoint_final.pth: 0\)"):
        open_model(folder, folds=("2",), checkpoint="checkpoint_final.pth", unpack_dir=tmp_path / "unpack")


def test_the_dataset_folder_above_one_model_folder_is_accepted(tmp_path):
    folder = write_model_folder(tmp_path, _block(inputs="flair", channels=1, encoding="lesion"))
    model = open_model(folder.parent, folds=None, checkpoint="checkpoint_final.pth", unpack_dir=tmp_path / "u")
    assert model.folder == folder


def test_a_zip_is_unpacked_and_its_model_found(tmp_path):
    folder = write_model_folder(tmp_path / "src", _block(inputs="t1", channels=1, encoding="lesion"))
    archive = tmp_path / "model.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for path in folder.rglob("*"):
            handle.write(path, path.relative_to(tmp_path / "src"))
    model = open_model(archive, folds=None, checkpoint="checkpoint_final.pth", unpack_dir=tmp_path / "unpacked")
    assert model.folder == tmp_path / "unpacked" / "Dataset123_WMH" / "nnUNetTrainer__nnUNetPlans__3d_fullres"
    assert model.source == archive and model.route.modalities == ("t1",)


def test_a_zip_member_pointing_outside_is_refused(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("../outside.txt", "x")
    with pytest.raises(UsageError, match="points outside the archive"):
        open_model(archive, folds=None, checkpoint="checkpoint_final.pth", unpack_dir=tmp_path / "unpacked")
    assert not (tmp_path / "outside.txt").exists()


def test_a_folder_without_a_model_says_what_was_expected(tmp_path):
    with pytest.raises(UsageError, match=r"expected one trained model .* found no"):
        open_model(tmp_path, folds=None, checkpoint="checkpoint_final.pth", unpack_dir=tmp_path / "u")


def test_a_path_that_is_neither_folder_nor_zip_is_refused(tmp_path):
    (tmp_path / "model.txt").write_text("not a model")
    with pytest.raises(UsageError, match="expected a model folder or an nnU-Net model zip"):
        open_model(tmp_path / "model.txt", folds=None, checkpoint="checkpoint_final.pth", unpack_dir=tmp_path / "u")


def test_the_models_files_are_read_once_and_kept_with_it(tmp_path):
    folder = write_model_folder(tmp_path, _block(inputs="flair", channels=1, encoding="lesion"))
    (folder / "plans.json").write_text('{"plans_name": "nnUNetPlans"}')
    model = open_model(folder, folds=None, checkpoint="checkpoint_final.pth", unpack_dir=tmp_path / "u")
    (folder / "dataset.json").unlink()  # nothing reads it again
    assert model.plans == {"plans_name": "nnUNetPlans"} and model.dataset_json["labels"]["wmh"] == 1
    assert model.convention.kind == "challenge" and model.trainer == "nnUNetTrainer"
    with pytest.raises(UsageError, match="predicts lesions only"):
        model.encoding  # noqa: B018


def test_a_damaged_plans_file_is_named(tmp_path):
    folder = write_model_folder(tmp_path, _block(inputs="flair", channels=1, encoding="lesion"))
    (folder / "plans.json").write_text("[1, 2")
    with pytest.raises(UsageError, match=r"plans.json: cannot be read"):
        open_model(folder, folds=None, checkpoint="checkpoint_final.pth", unpack_dir=tmp_path / "u")
    (folder / "plans.json").write_text("[1, 2]")
    with pytest.raises(UsageError, match=r"plans.json: expected a JSON object, found list"):
        open_model(folder, folds=None, checkpoint="checkpoint_final.pth", unpack_dir=tmp_path / "u")
