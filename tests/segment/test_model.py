"""Opening a trained model: folder or zip, folds, and the route its dataset.json gives."""

from __future__ import annotations

import zipfile

import pytest

from nnunet_wmh.errors import UsageError
from nnunet_wmh.segment.model import available_folds, model_route, open_model
from tests.helpers.models import write_model_folder

LESION_LABELS = {"background": 0, "wmh": 1, "ignore": 2}


def _block(**block) -> dict:
    return {"channel_names": {"0": "FLAIR", "1": "T1"}, "labels": LESION_LABELS, "nnunet_wmh": block}


def test_an_interchangeable_model_of_convert_takes_its_fill_rule_from_the_block():
    route = model_route(_block(inputs="interchangeable", channels=2, fill_missing="zero", encoding="lesion"))
    assert (route.inputs, route.channels, route.fill_missing, route.lesion_label) == ("interchangeable", 2, "zero", 1)
    assert route.described_by == "nnunet_wmh" and not route.has_regions


def test_a_multitask_model_has_regions():
    route = model_route(_block(inputs="flair_t1", channels=2, encoding="separate"))
    assert route.has_regions and route.modalities == ("flair", "t1")


def test_a_regions_only_model_is_refused():
    with pytest.raises(UsageError, match="regions only"):
        model_route(_block(inputs="flair_t1", encoding="regions"))


def test_a_model_without_the_block_is_read_by_its_channel_names_in_their_order():
    route = model_route({"channel_names": {"0": "T1w", "1": "FLAIR"}, "labels": {"background": 0, "WMH": 1}})
    assert route.modalities == ("t1", "flair") and route.described_by == "channel names"
    assert route.lesion_label == 1


def test_the_lesion_label_of_a_foreign_model_is_the_one_named_like_a_lesion():
    labels = {"background": 0, "other": 1, "white_matter_lesion": 2}
    assert model_route({"channel_names": {"0": "FLAIR"}, "labels": labels}).lesion_label == 2


def test_an_unknown_channel_name_is_named_in_the_error():
    with pytest.raises(UsageError, match="'DWI' is none of FLAIR, T1, T2, PD, T2star, SWI"):
        model_route({"channel_names": {"0": "FLAIR", "1": "DWI"}, "labels": LESION_LABELS})


def test_one_channel_flair_or_t1_is_a_one_channel_interchangeable_model():
    route = model_route({"channel_names": {"0": "FLAIR_or_T1"}, "labels": LESION_LABELS})
    assert (route.inputs, route.channels) == ("interchangeable", 1)


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


def test_a_model_over_other_modalities_reads_them_from_its_block_or_its_channel_names():
    block = {"inputs": "interchangeable", "encoding": "lesion", "channels": 3, "fill_missing": "duplicate",
             "modalities": ["flair", "t1", "t2"], "fill_order": ["t2", "flair", "t1"]}  # fmt: skip
    labels = {"background": 0, "wmh": 1, "ignore": 2}
    three = {"channel_names": {"0": "FLAIR", "1": "T1", "2": "T2"}, "labels": labels, "nnunet_wmh": block}
    route = model_route(three)
    assert (route.modalities, route.fill_order, route.reads) == (("flair", "t1", "t2"), ("t2", "flair", "t1"),
                                                                 ("flair", "t1", "t2"))  # fmt: skip
    fixed = model_route({**three, "nnunet_wmh": {"inputs": "flair,t2", "encoding": "lesion"}})
    assert (fixed.inputs, fixed.modalities) == ("flair,t2", ("flair", "t2"))
    named = model_route({"channel_names": {"0": "T2w", "1": "FLAIR", "2": "PD"}, "labels": labels})
    assert (named.inputs, named.modalities, named.described_by) == ("t2,flair,pd", ("t2", "flair", "pd"),
                                                                     "channel names")  # fmt: skip
    legacy = model_route({"channel_names": {"0": "T1", "1": "FLAIR"}, "labels": labels})
    assert legacy.inputs == "t1_flair" and legacy.reads == ("flair", "t1")
