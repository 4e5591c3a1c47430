"""Opening a trained model: folder or zip, folds, its files read once."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from nnunet_wmh.cli.main import main
from nnunet_wmh.errors import UsageError
from nnunet_wmh.nnunet.model import available_folds, open_model
from tests.helpers.images import save
from tests.helpers.models import write_model_folder

LESION_LABELS = {"background": 0, "wmh": 1, "ignore": 2}


def _block(**block) -> dict:
    """A dataset.json of a one-channel model of ``convert`` with this block (``inputs`` flair or t1)."""
    channel_names = {"0": block["inputs"].upper()}
    return {"channel_names": channel_names, "labels": LESION_LABELS, "file_ending": ".nii.gz", "nnunet_wmh": block}


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
    with pytest.raises(UsageError, match=r": holds no trained model \(expected a folder with dataset.json, plans.json"):
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


FLAIR_ONLY = {"channel_names": {"0": "FLAIR"}, "labels": LESION_LABELS, "file_ending": ".nii.gz"}
INTERCHANGEABLE = {"inputs": "interchangeable", "channels": 2, "fill_missing": "duplicate", "encoding": "lesion"}
TWO_CHANNELS = {**FLAIR_ONLY, "channel_names": {"0": "FLAIR", "1": "T1"}}

CHANNEL_NAMES_EXPECTED = 'expected channel_names mapping channel numbers "0", "1", ... to image names,'
LABELS_EXPECTED = 'expected labels mapping label names to values such as {"background": 0, "wmh": 1},'

#: A malformed dataset.json of a model, and what its error says was expected and found.
MALFORMED = {
    "channel keys not numbers": (
        {**FLAIR_ONLY, "channel_names": {"a": "FLAIR"}},
        'expected channel_names keys "0" (the channel numbers), found "a"',
    ),
    "channel keys not 0 to k-1": (
        {**FLAIR_ONLY, "channel_names": {"0": "FLAIR", "2": "T1"}},
        'expected channel_names keys "0" to "1" (the channel numbers), found "0", "2"',
    ),
    "channel_names a list": (
        {**FLAIR_ONLY, "channel_names": ["FLAIR"]},
        f'{CHANNEL_NAMES_EXPECTED} found ["FLAIR"]',
    ),
    "channel_names missing": ({"labels": LESION_LABELS}, f"{CHANNEL_NAMES_EXPECTED} found none"),
    "channel name not text": (
        {**FLAIR_ONLY, "channel_names": {"0": 5}},
        'expected channel_names values to be image names such as FLAIR, found "0": 5',
    ),
    "labels missing": ({"channel_names": {"0": "FLAIR"}}, f"{LABELS_EXPECTED} found none"),
    "labels a list": ({**FLAIR_ONLY, "labels": [0, 1]}, f"{LABELS_EXPECTED} found [0, 1]"),
    "label value not a number": (
        {**FLAIR_ONLY, "labels": {"background": 0, "wmh": "one"}},
        'expected label values to be whole numbers >= 0 (or lists of them), found "wmh": "one"',
    ),
    "background not 0": (
        {**FLAIR_ONLY, "labels": {"background": 1, "wmh": 2}},
        "expected label background with value 0, found 1",
    ),
    "file_ending not text": ({**FLAIR_ONLY, "file_ending": 3}, 'expected file_ending such as ".nii.gz", found 3'),
    "block not a mapping": (
        {**FLAIR_ONLY, "nnunet_wmh": ["flair"]},
        'expected the nnunet_wmh block to be a mapping (as convert writes it), found ["flair"]',
    ),
    "block channels a word": (
        {**TWO_CHANNELS, "nnunet_wmh": {**INTERCHANGEABLE, "channels": "two"}},
        'expected nnunet_wmh.channels to be a whole number of channels such as 2, found "two"',
    ),
    "block inputs a number": (
        {**FLAIR_ONLY, "nnunet_wmh": {"inputs": 3, "encoding": "lesion"}},
        "expected nnunet_wmh.inputs to be flair, t1, flair_t1, interchangeable or a list such as flair,t2, found 3",
    ),
    "block inputs unknown": (
        {**FLAIR_ONLY, "nnunet_wmh": {"inputs": "flair,dwi", "encoding": "lesion"}},
        'expected nnunet_wmh.inputs to name modalities among flair, t1, t2, pd, t2star, swi, found "flair,dwi"',
    ),
    "block encoding unknown": (
        {**FLAIR_ONLY, "nnunet_wmh": {"inputs": "flair", "encoding": "lesions"}},
        'expected nnunet_wmh.encoding to be one of lesion, joint, separate, found "lesions"',
    ),
    "block fill_missing unknown": (
        {**TWO_CHANNELS, "nnunet_wmh": {**INTERCHANGEABLE, "fill_missing": "copy"}},
        'expected nnunet_wmh.fill_missing to be one of duplicate, zero, found "copy"',
    ),
    "block modalities a number": (
        {**TWO_CHANNELS, "nnunet_wmh": {**INTERCHANGEABLE, "modalities": 7}},
        'expected nnunet_wmh.modalities to be a list such as ["flair"], found 7',
    ),
    "block fill_order a number": (
        {**TWO_CHANNELS, "nnunet_wmh": {**INTERCHANGEABLE, "fill_order": 5}},
        'expected nnunet_wmh.fill_order to be a list such as ["flair"], found 5',
    ),
    "block fill_order outside": (
        {**TWO_CHANNELS, "nnunet_wmh": {**INTERCHANGEABLE, "fill_order": ["t2"]}},
        'expected nnunet_wmh.fill_order among the modalities flair,t1, found ["t2"]',
    ),
    "block channels out of range": (
        {**TWO_CHANNELS, "nnunet_wmh": {**INTERCHANGEABLE, "channels": 3}},
        "expected nnunet_wmh.channels 1 or 2 (one per modality), found 3",
    ),
    "block channels not those of inputs": (
        {**FLAIR_ONLY, "nnunet_wmh": {"inputs": "flair", "channels": 2, "encoding": "lesion"}},
        "expected nnunet_wmh.channels 1 (inputs flair), found 2",
    ),
    "channel_names not those of inputs": (
        {**FLAIR_ONLY, "nnunet_wmh": {"inputs": "flair_t1", "encoding": "lesion"}},
        "expected 2 channel_names (the channels of inputs flair_t1), found 1",
    ),
    "separate model without outputs": (
        {**TWO_CHANNELS, "nnunet_wmh": {"inputs": "flair_t1", "encoding": "separate"}},
        'expected nnunet_wmh.outputs, a list with "wmh", found null',
    ),
    "lesion label a list": (
        {
            **FLAIR_ONLY,
            "labels": {"background": 0, "wmh": [1, 2]},
            "nnunet_wmh": {"inputs": "flair", "encoding": "lesion"},
        },
        "expected the lesion label wmh of a lesion model to be one value, found [1, 2]",
    ),
}


@pytest.mark.parametrize(("dataset_json", "problem"), MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_dataset_json_is_refused_in_one_line_naming_the_file(tmp_path, dataset_json, problem):
    folder = write_model_folder(tmp_path, dataset_json)
    with pytest.raises(UsageError) as raised:
        open_model(folder, folds=None, checkpoint="checkpoint_final.pth", unpack_dir=tmp_path / "u")
    message = str(raised.value)
    assert message.startswith(f"`model` {folder / 'dataset.json'}: ") and "\n" not in message
    assert problem in message and raised.value.parameter == "model"


def test_every_problem_of_a_dataset_json_is_named_at_once(tmp_path):
    folder = write_model_folder(tmp_path, {"channel_names": {"a": "FLAIR"}, "labels": {"wmh": 1}, "file_ending": 3})
    with pytest.raises(UsageError) as raised:
        open_model(folder, folds=None, checkpoint="checkpoint_final.pth", unpack_dir=tmp_path / "u")
    problems = str(raised.value).split(": ", 1)[1].split("; ")
    assert [problem.split(" found ")[0] for problem in problems] == [
        'expected channel_names keys "0" (the channel numbers),',
        "expected label background with value 0,",
        'expected file_ending such as ".nii.gz",',
    ]


@pytest.mark.parametrize(
    "dataset_json",
    [
        {**FLAIR_ONLY, "channel_names": {"a": "FLAIR"}},
        {**TWO_CHANNELS, "nnunet_wmh": {**INTERCHANGEABLE, "channels": "two"}},
    ],
    ids=["channel keys not numbers", "block channels a word"],
)
def test_segment_with_a_malformed_model_prints_one_line_exits_2_and_writes_nothing(tmp_path, capsys, dataset_json):
    folder = write_model_folder(tmp_path / "models", dataset_json)
    flair = save(np.ones((10, 10, 4), np.float32), tmp_path / "FLAIR.nii.gz")
    arguments = ["segment", "--model", str(folder), "--flair", str(flair), "--out", str(tmp_path / "out")]
    assert main(arguments) == 2
    stderr = capsys.readouterr().err
    assert stderr.startswith(f"nnunet_wmh: usage error: --model {folder / 'dataset.json'}: expected ")
    assert stderr.count("\n") == 1 and "Traceback" not in stderr
    assert not (tmp_path / "out").exists()
