"""Dataset ids in nnU-Net's folders: one id under two names is refused, stale preprocessed data named."""

import pytest

from nnunet_wmh.errors import DatasetExistsError, OutputExistsError
from nnunet_wmh.nnunet.dataset_ids import check_dataset_target, stale_preprocessed_warning
from nnunet_wmh.nnunet.folders import NnunetFolders


def test_one_id_under_two_names_is_refused_where_nnunet_would_refuse_it(tmp_path):
    folders = NnunetFolders(tmp_path / "raw", tmp_path / "pre", tmp_path / "results")
    (tmp_path / "raw" / "Dataset003_Old").mkdir(parents=True)
    with pytest.raises(
        DatasetExistsError, match=r"dataset id 3 is taken by .*Dataset003_Old; pick another `dataset_id`"
    ):
        check_dataset_target(folders, "Dataset003_New", 3, overwrite=False)
    assert check_dataset_target(folders, "Dataset003_New", 3, overwrite=True) == [tmp_path / "raw/Dataset003_Old"]
    (tmp_path / "results" / "Dataset004_Old").mkdir(parents=True)
    with pytest.raises(DatasetExistsError, match=r"\(nnUNet_results\); nnU-Net refuses one id with two names"):
        check_dataset_target(folders, "Dataset004_New", 4, overwrite=False)
    (tmp_path / "raw" / "Dataset005_X").mkdir()
    (tmp_path / "raw" / "Dataset005_X" / "dataset.json").write_text("{}")
    with pytest.raises(OutputExistsError, match="Dataset005_X exists; pass `overwrite`"):
        check_dataset_target(folders, "Dataset005_X", 5, overwrite=False)


def test_preprocessed_data_of_a_replaced_dataset_is_warned_about(tmp_path):
    folders = NnunetFolders(tmp_path / "raw", tmp_path / "pre", None)
    assert stale_preprocessed_warning(folders, "Dataset006_X", None) is None
    (tmp_path / "pre" / "Dataset006_X").mkdir(parents=True)
    (tmp_path / "pre" / "Dataset006_X" / "splits_final.json").write_text("[]")
    warning = stale_preprocessed_warning(folders, "Dataset006_X", [{"train": ["a"], "val": ["b"]}])
    assert "splits_final.json differs from the new split" in warning and "delete that folder" in warning
