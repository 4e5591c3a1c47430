"""Input plans: which image goes into which channel, for each case a subject yields."""

import csv
import json
import logging
import os
import shutil

import nibabel as nib
import numpy as np
import pytest

from nnunet_wmh.cohorts.subject import Subject
from nnunet_wmh.conversion_table import read_conversion_table
from nnunet_wmh.dataset_conversion.convert import convert_dataset
from nnunet_wmh.dataset_conversion.inputs import ChannelSet, MissingModalityError, make_input_plan
from nnunet_wmh.errors import UsageError
from nnunet_wmh.synthetic.cohort import make_synthetic_cohort, save_image
from tests.helpers.registration import write_moved_pair


def _subject(tmp_path, *modalities):
    return Subject("0", None, "", tmp_path, "0", "0", **{m: tmp_path / f"{m}.nii.gz" for m in modalities})


def test_interchangeable_inputs_duplicate_each_modality_into_both_channels(tmp_path):
    plan = make_input_plan("interchangeable")
    assert plan.channel_sets(_subject(tmp_path, "flair", "t1")) == [
        ChannelSet("paired", ("flair", "t1")),
        ChannelSet("flair_only", ("flair", "flair")),
        ChannelSet("t1_only", ("t1", "t1")),
    ]
    assert plan.channel_sets(_subject(tmp_path, "t1")) == [ChannelSet("t1_only", ("t1", "t1"))]


def test_zero_fill_and_one_channel_variants(tmp_path):
    zero = make_input_plan("interchangeable", fill_missing="zero")
    assert zero.channel_sets(_subject(tmp_path, "flair")) == [ChannelSet("flair_only", ("flair", "zero"))]
    single = make_input_plan("interchangeable", channels=1)
    assert single.channel_names() == {"0": "FLAIR_or_T1"}
    assert [c.channels for c in single.channel_sets(_subject(tmp_path, "flair", "t1"))] == [("flair",), ("t1",)]


def test_fixed_inputs_name_the_missing_modality(tmp_path):
    with pytest.raises(MissingModalityError, match=r"no T1 image \(inputs flair_t1 need FLAIR and T1\)") as raised:
        make_input_plan("flair_t1").channel_sets(_subject(tmp_path, "flair"))
    assert raised.value.modality == "t1"
    assert make_input_plan("t1").describe() == {"inputs": "t1", "channels": 1}


def test_train_variants_apply_to_training_subjects_and_variants_to_test_subjects(tmp_path):
    plan = make_input_plan("interchangeable", train_variants=["paired"])
    train = _subject(tmp_path, "flair", "t1")
    test = Subject("1", None, "", tmp_path, "1", "1", flair=train.flair, t1=train.t1, split="test")
    assert plan.channel_sets(train) == [ChannelSet("paired", ("flair", "t1"))]
    assert [c.variant for c in plan.channel_sets(test)] == ["paired", "flair_only", "t1_only"]
    assert plan.describe()["train_variants"] == ["paired"]
    assert "train_variants" not in make_input_plan("interchangeable").describe()
    with pytest.raises(UsageError, match="`train_variants` applies to interchangeable inputs only"):
        make_input_plan("flair_t1", train_variants=["paired"])
    with pytest.raises(UsageError, match=r"unknown `train_variants` 'both'"):
        make_input_plan("interchangeable", train_variants=["both"])


@pytest.fixture(scope="module")
def three_contrasts(tmp_path_factory):
    """Three training and two test subjects with FLAIR, T1, T2 and PD (small grids)."""
    root = tmp_path_factory.mktemp("contrasts") / "cohort"
    make_synthetic_cohort(root, subjects=3, test_subjects=2, size="small", modalities="t2,pd", progress=False)
    return root


def _rows(dataset):
    with open(dataset / "conversion.tsv", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _inode(path):
    return os.stat(path).st_ino


def test_three_modalities_give_the_full_set_and_each_one_filled_by_duplication(three_contrasts, tmp_path):
    result = convert_dataset(
        three_contrasts, mode="interchangeable", modalities="flair,t1,t2", dataset_id=651, out=tmp_path, cv_folds=2,
        progress=False,
    )  # fmt: skip
    dataset = result.dataset_dir
    assert result.train_cases == 3 * 4 and result.test_cases == 2 * 4
    rows = {row["case"]: row for row in _rows(dataset)}
    assert [(r["variant"], r["channels"]) for c, r in rows.items() if c.startswith("wmh_0001_")] == [
        ("flair+t1+t2", "FLAIR,T1,T2"), ("flair", "FLAIR,FLAIR,FLAIR"), ("t1", "T1,T1,T1"), ("t2", "T2,T2,T2")
    ]  # fmt: skip
    full = dataset / "imagesTr" / "wmh_0001_flair-t1-t2"
    images = {m: nib.load(f"{full}_{i:04d}.nii.gz") for i, m in enumerate(("flair", "t1", "t2"))}
    source = rows["wmh_0001_flair-t1-t2"]
    assert source["t2"].endswith("pre/T2.nii.gz") and source["t2_coregistered"] == ""
    np.testing.assert_array_equal(np.asanyarray(images["t2"].dataobj), np.asanyarray(nib.load(source["t2"]).dataobj))
    t2_case = [dataset / "imagesTr" / f"wmh_0001_t2_{i:04d}.nii.gz" for i in range(3)]
    assert {_inode(p) for p in t2_case} == {_inode(f"{full}_0002.nii.gz")}  # one copy, linked
    block = json.loads((dataset / "dataset.json").read_text())["nnunet_wmh"]
    assert (block["modalities"], block["fill_order"], block["channels"]) == (
        ["flair", "t1", "t2"],
        ["flair", "t2", "t1"],
        3,
    )
    assert block["variants"] == ["flair+t1+t2", "flair", "t1", "t2"] and block["coregistered_t2"] == 0
    info = read_conversion_table(dataset / "conversion.tsv", ["wmh_0004_t2"])
    assert info["wmh_0004_t2"].variant == "t2"


def test_dropped_modalities_are_filled_by_the_fill_order_or_zeros(three_contrasts, tmp_path):
    result = convert_dataset(
        three_contrasts, mode="interchangeable", modalities="flair,t1,t2", drop_modality="flair,t2",
        train_variants=["full"], variants=["full"], dataset_id=652, out=tmp_path, cv_folds=2, progress=False,
    )  # fmt: skip
    test_rows = [r for r in _rows(result.dataset_dir) if r["split"] == "test"]
    assert [(r["case"], r["variant"], r["channels"]) for r in test_rows] == [
        ("wmh_0004_t1", "t1", "T1,T1,T1"), ("wmh_0005_t1", "t1", "T1,T1,T1")
    ]  # fmt: skip
    zero = convert_dataset(
        three_contrasts, mode="interchangeable", modalities="t2,t1,flair", drop_modality="t2", fill_missing="zero",
        fill_order="t1", variants=["full"], dataset_id=653, out=tmp_path, cv_folds=2, progress=False,
    )  # fmt: skip
    (first_test, *_) = [r for r in _rows(zero.dataset_dir) if r["split"] == "test"]
    assert (first_test["variant"], first_test["channels"]) == ("t1+flair", "zeros,T1,FLAIR")
    zeros = nib.load(zero.dataset_dir / "imagesTs" / f"{first_test['case']}_0000.nii.gz")
    assert not np.asanyarray(zeros.dataobj).any()
    block = json.loads((zero.dataset_dir / "dataset.json").read_text())["nnunet_wmh"]
    assert block["fill_order"] == ["t1", "flair", "t2"] and block["drop_modality"] == "t2"


def test_variants_all_writes_every_subset_and_warns_above_seven(three_contrasts, tmp_path, caplog):
    result = convert_dataset(
        three_contrasts, mode="interchangeable", modalities="flair,t1,t2", variants=["all"], dataset_id=654,
        out=tmp_path, cv_folds=2, progress=False,
    )  # fmt: skip
    assert result.train_cases == 3 * 7
    with caplog.at_level(logging.WARNING):
        four = convert_dataset(
            three_contrasts, mode="interchangeable", modalities="flair,t1,t2,pd", variants=["all"],
            dataset_id=655, out=tmp_path, cv_folds=2, progress=False,
        )  # fmt: skip
    assert four.train_cases == 3 * 15
    assert "`variants` gives 15 cases per subject with all 4 modalities" in caplog.text


def test_a_list_of_modalities_as_mode_is_a_fixed_input_dataset(three_contrasts, tmp_path):
    result = convert_dataset(three_contrasts, mode="flair,t2", dataset_id=656, out=tmp_path, cv_folds=2, progress=False)
    dataset = result.dataset_dir
    assert dataset.name == "Dataset656_WMH_flair_t2"
    assert json.loads((dataset / "dataset.json").read_text())["channel_names"] == {"0": "FLAIR", "1": "T2"}
    rows = _rows(dataset)
    assert (rows[0]["case"], rows[0]["variant"], rows[0]["channels"]) == ("wmh_0001", "", "FLAIR,T2")
    assert read_conversion_table(dataset / "conversion.tsv", ["wmh_0001"])["wmh_0001"].variant == "flair+t2"


def test_options_that_do_not_fit_are_one_usage_line(three_contrasts, tmp_path):
    cases = (
        ({"mode": "interchangeable", "modalities": "flair,dwi"}, "unknown `modalities` dwi"),
        ({"mode": "interchangeable", "modalities": "flair"}, "at least two `modalities`"),
        ({"mode": "interchangeable", "modalities": "flair,t1,t2", "channels": 2}, "`channels` must be 1 or 3"),
        ({"mode": "interchangeable", "drop_modality": "t2"}, "`drop_modality` t2 is not among the modalities"),
        ({"mode": "interchangeable", "fill_order": "pd"}, "`fill_order` names pd"),
        ({"mode": "flair,t2", "modalities": "flair,t2"}, "`modalities` applies to interchangeable inputs only"),
        ({"mode": "flair,dwi"}, "unknown `mode` 'flair,dwi'"),
    )
    for options, message in cases:
        with pytest.raises(UsageError, match=message):
            convert_dataset(three_contrasts, dataset_id=657, out=tmp_path, progress=False, **options)


def test_flair_t1_datasets_record_exactly_what_they_always_did(three_contrasts, tmp_path):
    """The dataset.json block and conversion.tsv header of a FLAIR/T1 dataset, as the code before modality lists
    wrote them (checked byte for byte against that code when this test was written)."""
    result = convert_dataset(three_contrasts, mode="interchangeable", dataset_id=658, out=tmp_path, progress=False)
    dataset = result.dataset_dir
    block = json.loads((dataset / "dataset.json").read_text())["nnunet_wmh"]
    assert list(block) == [
        "version", "mode", "inputs", "channels", "variants", "fill_missing", "encoding", "other_pathology",
        "coregistered_t1", "split", "source", "test_source", "drop_modality", "conversion_table", "options",
    ]  # fmt: skip
    assert (block["channels"], block["variants"]) == (2, ["paired", "flair_only", "t1_only"])
    assert list(block["options"]) == [
        "mode", "dataset_id", "name", "inputs", "variants", "train_variants", "channels", "fill_missing", "encoding",
        "other_pathology", "drop_modality", "case_prefix", "folds", "seed", "coregister", "skip_invalid",
    ]  # fmt: skip
    assert block["options"]["channels"] == 2
    header = (dataset / "conversion.tsv").read_text().splitlines()[0]
    assert header == "\t".join(("case", "split", "subject", "session", "site", "variant", "channels", "fold",
                                "has_label", "flair", "t1", "lesion", "regions", "t1_coregistered"))  # fmt: skip
    assert sorted(p.name for p in (dataset / "imagesTr").glob("wmh_0001_*")) == [
        f"wmh_0001_{v}_{c:04d}.nii.gz" for v in ("flair", "paired", "t1") for c in (0, 1)
    ]


def test_coregister_moves_every_contrast_off_the_flair_grid(tmp_path):
    folder, _, _ = write_moved_pair(tmp_path / "pair")
    root = tmp_path / "wmh2017"
    pre = root / "training" / "Utrecht" / "0" / "pre"
    pre.mkdir(parents=True)
    shutil.copy(folder / "FLAIR.nii.gz", pre / "FLAIR.nii.gz")
    shutil.copy(folder / "FLAIR.nii.gz", pre / "T1.nii.gz")  # on the grid
    shutil.copy(folder / "T1.nii.gz", pre / "T2.nii.gz")  # off the grid
    flair = nib.load(folder / "FLAIR.nii.gz")
    save_image(np.zeros(flair.shape, dtype=np.uint8), flair.affine, root / "training/Utrecht/0/wmh.nii.gz")
    (pre.parent.parent / "1").mkdir()
    shutil.copytree(pre.parent, pre.parent.parent / "1", dirs_exist_ok=True)
    result = convert_dataset(
        root, mode="interchangeable", modalities="flair,t1,t2", variants=["full"], dataset_id=659,
        out=tmp_path / "raw", coregister=True, cv_folds=2, progress=False,
    )  # fmt: skip
    row = _rows(result.dataset_dir)[0]
    assert (row["t1_coregistered"], row["t2_coregistered"]) == ("", "coregistered/Utrecht/0/T2_in_FLAIR.nii.gz")
    assert row["t2"] == str(pre / "T2.nii.gz")
    t2_channel = nib.load(result.dataset_dir / "imagesTr" / f"{row['case']}_0002.nii.gz")
    np.testing.assert_array_equal(t2_channel.affine, flair.affine)
    block = json.loads((result.dataset_dir / "dataset.json").read_text())["nnunet_wmh"]
    assert (block["coregistered_t1"], block["coregistered_t2"]) == (0, 2)


def test_a_modality_no_training_subject_has_is_refused_naming_where_it_was_looked_for(small_cohort, tmp_path):
    with pytest.raises(UsageError, match=r"no training subject has a T2 image \(looked for pre/T2.nii.gz and alike\)"):
        convert_dataset(
            small_cohort, mode="interchangeable", modalities="flair,t1,t2", dataset_id=660, out=tmp_path / "raw"
        )
    assert not (tmp_path / "raw").exists()
