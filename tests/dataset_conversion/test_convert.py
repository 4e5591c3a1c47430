import json
import logging
import os
import shutil
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest

from nnunet_wmh.dataset_conversion import convert_dataset
from nnunet_wmh.errors import DatasetExistsError, InvalidInputsError, OutputExistsError, UsageError
from nnunet_wmh.labels.joint import JointEncoding, decode_joint_labels
from nnunet_wmh.synthetic import SYNTHETIC_REGION_TABLE, make_synthetic_cohort
from tests.helpers.images import make_wmh2017_subject, read_labels, save, tree_bytes

LESION_LABELS = {"background": 0, "wmh": 1, "ignore": 2}


def write_manifest(cohort, path):
    rows = ["subject,session,flair,t1,lesion,regions,site"]
    for flair in sorted((cohort / "training").rglob("pre/FLAIR.nii.gz")):
        subject = flair.parent.parent
        site = subject.parent.relative_to(cohort / "training").as_posix()
        rows.append(
            f"{subject.name},,{flair},{subject / 'pre/T1.nii.gz'},{subject / 'wmh.nii.gz'},"
            f"{subject / 'regions.nii.gz'},{site}"
        )
    path.write_text("\n".join(rows) + "\n")
    return path


def load_dataset_json(dataset):
    return json.loads((dataset / "dataset.json").read_text())


def case_ids(folder):
    return sorted({p.name[: -len("_0000.nii.gz")] for p in folder.glob("*.nii.gz")})


EXPECTED = {  # mode -> (channel names, cases per subject)
    "flair": ({"0": "FLAIR"}, 1),
    "t1": ({"0": "T1"}, 1),
    "flair_t1": ({"0": "FLAIR", "1": "T1"}, 1),
    "interchangeable": ({"0": "FLAIR", "1": "T1"}, 3),
    "multitask": ({"0": "FLAIR", "1": "T1"}, 1),
    "regions": ({"0": "FLAIR", "1": "T1"}, 1),
}


@pytest.mark.parametrize("layout", ["wmh2017", "bids", "manifest"])
@pytest.mark.parametrize("mode", list(EXPECTED))
def test_every_mode_and_layout_gives_a_complete_nnunet_dataset(
    mode, layout, small_cohort_template, bids_cohort_template, tmp_path, nnunet_folders
):
    source = {
        "wmh2017": small_cohort_template,
        "bids": bids_cohort_template,
        "manifest": write_manifest(small_cohort_template, tmp_path / "cohort.csv"),
    }[layout]
    table = small_cohort_template / "regions.tsv" if layout == "manifest" else None
    result = convert_dataset(source, mode=mode, dataset_id=501, region_table=table, progress=False)
    dataset = nnunet_folders["nnUNet_raw"] / f"Dataset501_WMH_{mode}"
    assert result.dataset_dir == dataset
    dataset_json = load_dataset_json(dataset)
    channel_names, cases_per_subject = EXPECTED[mode]
    subjects = 8 if layout == "bids" else 6
    assert dataset_json["channel_names"] == channel_names
    assert dataset_json["numTraining"] == subjects * cases_per_subject == result.train_cases
    assert dataset_json["file_ending"] == ".nii.gz"
    assert dataset_json["nnunet_wmh"]["mode"] == mode
    cases = case_ids(dataset / "imagesTr")
    assert sorted(p.name[:-7] for p in (dataset / "labelsTr").iterdir()) == cases
    for case in cases:
        assert len(list((dataset / "imagesTr").glob(f"{case}_[0-9][0-9][0-9][0-9].nii.gz"))) == len(channel_names)
    names = list(SYNTHETIC_REGION_TABLE.values())
    expected_labels = {
        "multitask": {
            "background": 0,
            **{n: i for i, n in enumerate(names, 1)},
            **{f"wmh_{n}": 16 + i for i, n in enumerate(names, 1)},
            "wmh_outside_regions": 33,
            "ignore": 34,
        },
        "regions": {"background": 0, **{n: i for i, n in enumerate(names, 1)}},
    }.get(mode, LESION_LABELS)
    assert dataset_json["labels"] == expected_labels
    found = set().union(*(np.unique(read_labels(p)).astype(int).tolist() for p in (dataset / "labelsTr").iterdir()))
    assert found <= set(expected_labels.values()) and len(found) > 2 - (mode == "regions")
    conversion = pd.read_csv(dataset / "conversion.tsv", sep="\t", dtype=str, keep_default_na=False)
    assert sorted(conversion.loc[conversion.split == "train", "case"]) == cases


def test_copied_images_keep_their_bytes_and_headers(small_cohort, nnunet_folders):
    convert_dataset(small_cohort, mode="flair_t1", dataset_id=1, progress=False)
    dataset = nnunet_folders["nnUNet_raw"] / "Dataset001_WMH_flair_t1"
    table = pd.read_csv(dataset / "conversion.tsv", sep="\t")
    for row in table.itertuples():
        folder = "imagesTr" if row.split == "train" else "imagesTs"
        assert (dataset / folder / f"{row.case}_0000.nii.gz").read_bytes() == Path(row.flair).read_bytes()
        assert (dataset / folder / f"{row.case}_0001.nii.gz").read_bytes() == Path(row.t1).read_bytes()


@pytest.mark.parametrize(
    ("option", "expected_values", "labels"),
    [
        ("ignore", [0, 1, 2], LESION_LABELS),
        ("background", [0, 1], {"background": 0, "wmh": 1}),
        ("lesion", [0, 1], {"background": 0, "wmh": 1}),
    ],
)
def test_label_two_options(tmp_path, nnunet_folders, option, expected_values, labels, caplog):
    lesion = np.zeros((10, 10, 4), dtype=np.float32)  # a float label map, as in the released challenge
    lesion[2:4, 2:4, 1] = 1
    lesion[6, 6, 2] = 2
    for subject in ("0", "1"):
        make_wmh2017_subject(tmp_path / "src", "Utrecht", subject, lesion=lesion)
    with caplog.at_level(logging.WARNING):
        convert_dataset(tmp_path / "src", mode="flair", dataset_id=2, other_pathology=option, progress=False)
    dataset = nnunet_folders["nnUNet_raw"] / "Dataset002_WMH_flair"
    written = read_labels(dataset / "labelsTr" / "wmh_0001.nii.gz")
    assert np.unique(written).tolist() == expected_values
    assert load_dataset_json(dataset)["labels"] == labels
    assert written[6, 6, 2] == {"ignore": 2, "background": 0, "lesion": 1}[option]
    assert (written[2:4, 2:4, 1] == 1).all() and written.sum() == 4 + written[6, 6, 2]
    assert ("dilated in-plane" in caplog.text) == (option == "lesion")


def test_label_maps_needing_no_recoding_are_copied_verbatim(small_cohort, nnunet_folders):
    convert_dataset(small_cohort, mode="flair", dataset_id=3, progress=False)
    dataset = nnunet_folders["nnUNet_raw"] / "Dataset003_WMH_flair"
    row = pd.read_csv(dataset / "conversion.tsv", sep="\t").iloc[0]
    assert (dataset / "labelsTr" / f"{row.case}.nii.gz").read_bytes() == Path(row.lesion).read_bytes()


def test_recoded_label_maps_carry_the_flair_header(small_cohort, nnunet_folders):
    convert_dataset(small_cohort, mode="flair", dataset_id=3, other_pathology="background", progress=False)
    dataset = nnunet_folders["nnUNet_raw"] / "Dataset003_WMH_flair"
    row = pd.read_csv(dataset / "conversion.tsv", sep="\t").iloc[0]
    flair, label = nib.load(row.flair), nib.load(dataset / "labelsTr" / f"{row.case}.nii.gz")
    np.testing.assert_array_equal(label.get_sform(), flair.get_sform())
    np.testing.assert_array_equal(label.get_qform(), flair.get_qform())
    assert label.header["sform_code"] == flair.header["sform_code"] == 1
    assert label.header.get_zooms() == flair.header.get_zooms()
    assert label.get_data_dtype() == np.uint8


def test_interchangeable_writes_three_variants_sharing_bytes_by_hard_links(small_cohort, nnunet_folders):
    result = convert_dataset(small_cohort, mode="interchangeable", dataset_id=4, progress=False)
    dataset = nnunet_folders["nnUNet_raw"] / "Dataset004_WMH_interchangeable"
    images = dataset / "imagesTr"
    flair = (small_cohort / "training/Amsterdam/GE3T/2/pre/FLAIR.nii.gz").read_bytes()
    t1 = (small_cohort / "training/Amsterdam/GE3T/2/pre/T1.nii.gz").read_bytes()
    expected = {"paired": (flair, t1), "flair": (flair, flair), "t1": (t1, t1)}
    for variant, (channel0, channel1) in expected.items():
        assert (images / f"wmh_0001_{variant}_0000.nii.gz").read_bytes() == channel0
        assert (images / f"wmh_0001_{variant}_0001.nii.gz").read_bytes() == channel1
    inode = os.stat(images / "wmh_0001_paired_0000.nii.gz").st_ino
    assert os.stat(images / "wmh_0001_flair_0000.nii.gz").st_ino == inode
    assert os.stat(images / "wmh_0001_flair_0001.nii.gz").st_ino == inode
    assert (
        os.stat(dataset / "labelsTr/wmh_0001_t1.nii.gz").st_ino
        == os.stat(dataset / "labelsTr/wmh_0001_paired.nii.gz").st_ino
    )
    # per training subject: 4 image links + 2 label links; per test subject: 4 image links + 2 label links
    assert result.links == {"hardlink": 6 * 6 + 5 * 6}


def test_interchangeable_variants_of_a_subject_share_a_fold(small_cohort, nnunet_folders):
    convert_dataset(small_cohort, mode="interchangeable", dataset_id=5, cv_folds=3, progress=False)
    dataset = nnunet_folders["nnUNet_raw"] / "Dataset005_WMH_interchangeable"
    splits = json.loads((dataset / "splits_final.json").read_text())
    assert len(splits) == 3
    fold_of_case = {case: i for i, split in enumerate(splits) for case in split["val"]}
    assert len(fold_of_case) == 18
    for number in range(1, 7):
        assert len({fold_of_case[f"wmh_{number:04d}_{v}"] for v in ("paired", "flair", "t1")}) == 1
    for split in splits:
        assert not set(split["train"]) & set(split["val"])
    table = pd.read_csv(dataset / "conversion.tsv", sep="\t")
    train = table[table.split == "train"]
    assert all(train.apply(lambda r: fold_of_case[r.case] == r.fold, axis=1))
    # stratified: the two subjects of each site sit in different folds
    assert all(len(set(group.fold)) == 2 for _, group in train[train.variant == "paired"].groupby("site"))


def test_sessions_of_one_bids_subject_share_a_fold(bids_cohort_template, nnunet_folders):
    convert_dataset(bids_cohort_template, mode="flair", dataset_id=6, cv_folds=2, progress=False)
    table = pd.read_csv(nnunet_folders["nnUNet_raw"] / "Dataset006_WMH_flair/conversion.tsv", sep="\t")
    assert table.groupby("subject").fold.nunique().eq(1).all()
    assert set(table.session) == {"ses-01", "ses-02"}


def test_subject_without_t1_gets_flair_in_both_channels(small_cohort, nnunet_folders):
    missing = small_cohort / "training/Utrecht/0/pre/T1.nii.gz"
    missing.unlink()
    convert_dataset(small_cohort, mode="interchangeable", dataset_id=7, progress=False)
    dataset = nnunet_folders["nnUNet_raw"] / "Dataset007_WMH_interchangeable"
    table = pd.read_csv(dataset / "conversion.tsv", sep="\t", keep_default_na=False)
    rows = table[(table.subject == 0) & (table.split == "train")]
    assert rows[["variant", "channels"]].values.tolist() == [["flair_only", "FLAIR,FLAIR"]]
    case = rows.case.iloc[0]
    flair = (small_cohort / "training/Utrecht/0/pre/FLAIR.nii.gz").read_bytes()
    assert (dataset / f"imagesTr/{case}_0001.nii.gz").read_bytes() == flair
    assert load_dataset_json(dataset)["numTraining"] == 5 * 3 + 1


def test_variants_option_limits_the_duplicated_cases(small_cohort, nnunet_folders):
    convert_dataset(small_cohort, mode="interchangeable", dataset_id=8, variants=["paired", "t1"], progress=False)
    cases = case_ids(nnunet_folders["nnUNet_raw"] / "Dataset008_WMH_interchangeable/imagesTr")
    assert len(cases) == 12 and {c.rsplit("_", 1)[1] for c in cases} == {"paired", "t1"}


def test_one_channel_interchangeable_gives_one_case_per_modality(small_cohort, nnunet_folders):
    convert_dataset(small_cohort, mode="interchangeable", channels=1, dataset_id=9, progress=False)
    dataset = nnunet_folders["nnUNet_raw"] / "Dataset009_WMH_interchangeable"
    assert load_dataset_json(dataset)["channel_names"] == {"0": "FLAIR_or_T1"}
    assert sorted(p.name for p in (dataset / "imagesTr").glob("wmh_0001_*")) == [
        "wmh_0001_flair_0000.nii.gz",
        "wmh_0001_t1_0000.nii.gz",
    ]
    with pytest.raises(UsageError, match="paired needs one channel per modality"):
        convert_dataset(
            small_cohort, mode="interchangeable", channels=1, variants=["paired"], dataset_id=10, progress=False
        )


def test_test_subjects_go_to_images_ts_with_the_same_channel_rules(small_cohort, nnunet_folders):
    result = convert_dataset(small_cohort, mode="interchangeable", dataset_id=11, progress=False)
    dataset = nnunet_folders["nnUNet_raw"] / "Dataset011_WMH_interchangeable"
    assert (result.test_subjects, result.test_cases) == (5, 15)
    assert case_ids(dataset / "imagesTs")[:3] == ["wmh_0007_flair", "wmh_0007_paired", "wmh_0007_t1"]
    assert len(list((dataset / "labelsTs").iterdir())) == 15
    assert "imagesTs" not in json.dumps(json.loads((dataset / "splits_final.json").read_text()))


def test_drop_modality_simulates_a_missing_scan_in_the_test_set(small_cohort, nnunet_folders):
    convert_dataset(small_cohort, mode="interchangeable", dataset_id=12, drop_modality="flair", progress=False)
    dataset = nnunet_folders["nnUNet_raw"] / "Dataset012_WMH_interchangeable"
    table = pd.read_csv(dataset / "conversion.tsv", sep="\t", keep_default_na=False)
    test = table[table.split == "test"]
    assert set(test.variant) == {"t1_only"} and len(test) == 5 and set(test.flair) == {""}
    assert set(table[table.split == "train"].variant) == {"paired", "flair_only", "t1_only"}
    with pytest.raises(UsageError, match="interchangeable"):
        convert_dataset(small_cohort, mode="flair_t1", dataset_id=13, drop_modality="t1", progress=False)


def test_test_source_replaces_the_trees_own_test_split(small_cohort, bids_cohort_template, nnunet_folders):
    result = convert_dataset(
        small_cohort, mode="flair", dataset_id=14, test_source=bids_cohort_template, progress=False
    )
    table = pd.read_csv(result.dataset_dir / "conversion.tsv", sep="\t")
    assert set(table[table.split == "test"].subject) == {"sub-001", "sub-002", "sub-003", "sub-004"}
    assert result.test_cases == 8


def test_multitask_joint_labels_match_a_hand_computed_map(tmp_path, nnunet_folders, caplog):
    shape = (10, 10, 4)
    regions = np.zeros(shape, dtype=np.uint16)
    regions[:5] = 3
    regions[5:, :5] = 40
    lesion = np.zeros(shape, dtype=np.uint8)
    lesion[1, 1, 1] = 1  # in region 3
    lesion[8, 8, 1] = 1  # outside every region
    lesion[7, 2, 2] = 2  # other pathology in region 40
    (tmp_path / "table.txt").write_text("# two named regions\n3 genu\n")
    make_wmh2017_subject(tmp_path / "src", "Utrecht", "0", lesion=lesion, regions=regions)
    make_wmh2017_subject(tmp_path / "src", "Utrecht", "1", lesion=lesion, regions=regions)
    with caplog.at_level(logging.WARNING):
        convert_dataset(
            tmp_path / "src", mode="multitask", dataset_id=15, region_table=tmp_path / "table.txt", progress=False
        )
    assert "region_40" in caplog.text
    dataset = nnunet_folders["nnUNet_raw"] / "Dataset015_WMH_multitask"
    dataset_json = load_dataset_json(dataset)
    assert dataset_json["labels"] == {
        "background": 0,
        "genu": 1,
        "region_40": 2,
        "wmh_genu": 3,
        "wmh_region_40": 4,
        "wmh_outside_regions": 5,
        "ignore": 6,
    }
    joint = read_labels(dataset / "labelsTr/wmh_0001.nii.gz")
    expected = np.zeros(shape, dtype=np.uint8)
    expected[:5] = 1
    expected[5:, :5] = 2
    expected[1, 1, 1] = 3
    expected[8, 8, 1] = 5
    expected[7, 2, 2] = 6
    np.testing.assert_array_equal(joint, expected)
    decoded = decode_joint_labels(joint, JointEncoding.from_dataset_json(dataset_json))
    np.testing.assert_array_equal(decoded.lesion, lesion == 1)


def test_regions_mode_maps_region_ids_to_consecutive_classes(tmp_path, nnunet_folders):
    regions = np.zeros((10, 10, 4), dtype=np.int16)
    regions[:3] = 7
    regions[3:6] = 12
    for subject in ("0", "1"):
        make_wmh2017_subject(tmp_path / "src", "Utrecht", subject, regions=regions)
    convert_dataset(tmp_path / "src", mode="regions", dataset_id=16, progress=False)
    dataset = nnunet_folders["nnUNet_raw"] / "Dataset016_WMH_regions"
    written = read_labels(dataset / "labelsTr/wmh_0001.nii.gz")
    np.testing.assert_array_equal(written, np.where(regions == 7, 1, np.where(regions == 12, 2, 0)))
    assert load_dataset_json(dataset)["nnunet_wmh"]["regions"] == [
        {"index": 1, "id": 7, "name": "region_7"},
        {"index": 2, "id": 12, "name": "region_12"},
    ]


def test_regions_option_points_at_maps_elsewhere(small_cohort, tmp_path, nnunet_folders):
    maps = tmp_path / "maps"
    for region_map in small_cohort.rglob("regions.nii.gz"):
        subject = region_map.parent
        target = maps / f"{subject.name}_regions.nii.gz"
        target.parent.mkdir(exist_ok=True)
        shutil.move(region_map, target)
    result = convert_dataset(
        small_cohort, mode="regions", dataset_id=17, regions=str(maps / "{subject}_regions.nii.gz"), progress=False
    )
    assert result.train_cases == 6


def test_refuses_to_overwrite_an_existing_dataset(small_cohort, nnunet_folders):
    convert_dataset(small_cohort, mode="flair", dataset_id=18, progress=False)
    dataset = nnunet_folders["nnUNet_raw"] / "Dataset018_WMH_flair"
    before = tree_bytes(dataset)
    with pytest.raises(OutputExistsError, match="Dataset018_WMH_flair exists; pass `overwrite` to replace it"):
        convert_dataset(small_cohort, mode="flair", dataset_id=18, other_pathology="background", progress=False)
    assert tree_bytes(dataset) == before
    convert_dataset(
        small_cohort, mode="flair", dataset_id=18, other_pathology="background", overwrite=True, progress=False
    )
    assert load_dataset_json(dataset)["labels"] == {"background": 0, "wmh": 1}


def test_refuses_a_dataset_id_taken_under_another_name(small_cohort, nnunet_folders):
    convert_dataset(small_cohort, mode="flair", dataset_id=19, progress=False)
    with pytest.raises(DatasetExistsError, match=r"dataset id 19 is taken by .*Dataset019_WMH_flair"):
        convert_dataset(small_cohort, mode="t1", dataset_id=19, progress=False)
    result = convert_dataset(small_cohort, mode="t1", dataset_id=19, overwrite=True, progress=False)
    assert sorted(p.name for p in nnunet_folders["nnUNet_raw"].iterdir()) == ["Dataset019_WMH_t1"]
    assert any("removed" in w and "Dataset019_WMH_flair" in w for w in result.warnings)


def test_refuses_an_id_used_in_nnunet_preprocessed_under_another_name(small_cohort, nnunet_folders):
    (nnunet_folders["nnUNet_preprocessed"] / "Dataset020_Other").mkdir()
    with pytest.raises(DatasetExistsError, match=r"Dataset020_Other \(nnUNet_preprocessed\)"):
        convert_dataset(small_cohort, mode="flair", dataset_id=20, progress=False)
    assert list(nnunet_folders["nnUNet_raw"].iterdir()) == []


def test_overwrite_warns_about_stale_preprocessed_splits(small_cohort, nnunet_folders):
    convert_dataset(small_cohort, mode="flair", dataset_id=21, progress=False)
    stale = nnunet_folders["nnUNet_preprocessed"] / "Dataset021_WMH_flair"
    stale.mkdir()
    (stale / "splits_final.json").write_text(json.dumps([{"train": ["old"], "val": ["older"]}]))
    result = convert_dataset(small_cohort, mode="flair", dataset_id=21, overwrite=True, progress=False)
    (warning,) = result.warnings
    assert str(stale) in warning and "splits_final.json differs" in warning and "delete that folder" in warning


def test_parallel_conversion_writes_identical_files(small_cohort, tmp_path):
    for jobs, out in ((1, "serial"), (2, "parallel")):
        convert_dataset(
            small_cohort,
            mode="multitask",
            inputs="interchangeable",
            dataset_id=22,
            out=tmp_path / out,
            jobs=jobs,
            progress=False,
        )
    serial, parallel = (tree_bytes(tmp_path / out / "Dataset022_WMH_multitask") for out in ("serial", "parallel"))
    assert len(serial) == 3 + 6 * 3 * 2 + 6 * 3 + 5 * 3 * 2 + 5 * 3
    assert serial == parallel


def test_an_interrupted_conversion_leaves_no_dataset(small_cohort, nnunet_folders, monkeypatch):
    from nnunet_wmh.dataset_conversion import convert as convert_module

    calls = []

    def failing_writer(job, dataset_dir, target):
        calls.append(job)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(job, dataset_dir, target)

    original = convert_module.write_subject
    monkeypatch.setattr(convert_module, "write_subject", failing_writer)
    with pytest.raises(KeyboardInterrupt):
        convert_dataset(small_cohort, mode="flair", dataset_id=23, progress=False)
    assert list(nnunet_folders["nnUNet_raw"].iterdir()) == []


def test_conversion_tsv_traces_every_case_to_its_subject(small_cohort, nnunet_folders):
    convert_dataset(small_cohort, mode="flair", dataset_id=24, progress=False)
    table = pd.read_csv(
        nnunet_folders["nnUNet_raw"] / "Dataset024_WMH_flair/conversion.tsv", sep="\t", dtype=str, keep_default_na=False
    )
    documented = (
        "case split subject session site variant channels fold has_label flair t1 lesion regions t1_coregistered"
    )
    assert list(table.columns) == documented.split()
    philips = table[table.site == "Amsterdam/Philips_VU .PETMR_01."].iloc[0]
    assert (philips.case, philips.split, philips.subject, philips.fold) == ("wmh_0009", "test", "10", "")
    assert philips.flair.endswith("Amsterdam/Philips_VU .PETMR_01./10/pre/FLAIR.nii.gz")


def test_skip_invalid_converts_the_rest_and_reports_the_skipped(small_cohort, nnunet_folders):
    (small_cohort / "training/Utrecht/3/wmh.nii.gz").unlink()
    result = convert_dataset(small_cohort, mode="flair", dataset_id=25, skip_invalid=True, progress=False)
    assert result.train_subjects == 5
    (problem,) = result.skipped
    assert str(problem) == "[Utrecht/3] wmh.nii.gz: no lesion map"


def test_uncompressed_nifti_inputs_are_gzipped(tmp_path, nnunet_folders):
    import gzip

    for subject in ("0", "1"):
        folder = make_wmh2017_subject(tmp_path / "src", "Utrecht", subject)
        image = nib.load(folder / "pre/FLAIR.nii.gz")
        save(np.asanyarray(image.dataobj), folder / "pre/FLAIR.nii", image.affine)
        (folder / "pre/FLAIR.nii.gz").unlink()
    convert_dataset(tmp_path / "src", mode="flair", dataset_id=26, progress=False)
    written = nnunet_folders["nnUNet_raw"] / "Dataset026_WMH_flair/imagesTr/wmh_0001_0000.nii.gz"
    assert gzip.decompress(written.read_bytes()) == (tmp_path / "src/Utrecht/0/pre/FLAIR.nii").read_bytes()


def test_missing_nnunet_raw_is_a_usage_error(small_cohort, monkeypatch):
    monkeypatch.delenv("nnUNet_raw", raising=False)
    with pytest.raises(UsageError, match="nnUNet_raw is not set; pass `out`"):
        convert_dataset(small_cohort, mode="flair", dataset_id=27, progress=False)


@pytest.mark.parametrize(
    ("options", "message", "parameter"),
    [
        ({"dataset_id": 1000}, "`dataset_id` must be 1..999", "dataset_id"),
        ({"dataset_id": 1, "name": "my data"}, "`name` 'my data'", "name"),
        ({"dataset_id": 1, "mode": "nope"}, "unknown `mode`", "mode"),
        ({"dataset_id": 1, "variants": ["paired"]}, "interchangeable inputs only", "variants"),
        ({"dataset_id": 1, "inputs": "t1"}, "`inputs` applies", "inputs"),
        ({"dataset_id": 1, "cv_folds": 1}, "`cv_folds` must be at least 2", "cv_folds"),
        ({"dataset_id": 1, "image_folder": "raw"}, "`image_folder` must be one of pre, orig", "image_folder"),
        ({"dataset_id": 1, "flair": "x.nii.gz"}, "unknown option\\(s\\) `flair`", "flair"),
    ],
)
def test_bad_options_are_usage_errors_naming_the_parameter(small_cohort, nnunet_folders, options, message, parameter):
    options = {"mode": "flair", **options}
    with pytest.raises(UsageError, match=message) as raised:
        convert_dataset(small_cohort, progress=False, **options)
    assert raised.value.parameter == parameter
    assert list(nnunet_folders["nnUNet_raw"].iterdir()) == []


def test_test_source_subjects_reusing_training_ids_are_told_apart(bids_cohort_template, tmp_path, nnunet_folders):
    test_copy = tmp_path / "bids_test"  # another cohort (other seed) with the same ids sub-001...
    make_synthetic_cohort(test_copy, subjects=4, sessions=2, seed=12, size="small", layout="bids", progress=False)
    (test_copy / "sub-001/ses-01/anat/sub-001_ses-01_T1w.nii.gz").write_bytes(b"broken")
    result = convert_dataset(bids_cohort_template, mode="flair_t1", dataset_id=28, test_source=test_copy,
                             skip_invalid=True, progress=False)  # fmt: skip
    (problem,) = result.skipped
    assert str(problem).startswith("[test/sub-001/ses-01] sub-001/ses-01/anat/sub-001_ses-01_T1w.nii.gz: cannot be")
    assert (result.train_subjects, result.test_subjects) == (8, 7)  # the training sub-001/ses-01 is kept


def test_fill_missing_zero_writes_an_all_zero_channel_on_the_subjects_grid(small_cohort, nnunet_folders):
    (small_cohort / "test/Utrecht/6/pre/T1.nii.gz").unlink()
    convert_dataset(small_cohort, mode="interchangeable", fill_missing="zero", dataset_id=29, progress=False)
    dataset = nnunet_folders["nnUNet_raw"] / "Dataset029_WMH_interchangeable"
    table = pd.read_csv(dataset / "conversion.tsv", sep="\t", dtype=str, keep_default_na=False).set_index("case")
    assert table.loc["wmh_0001_flair", "channels"] == "FLAIR,zeros"
    assert table.loc["wmh_0001_t1", "channels"] == "zeros,T1"
    flair_only_test = table[(table.split == "test") & (table.subject == "6")]
    assert flair_only_test.channels.tolist() == ["FLAIR,zeros"]
    case = flair_only_test.index[0]
    zeros = nib.load(dataset / f"imagesTs/{case}_0001.nii.gz")
    flair = nib.load(dataset / f"imagesTs/{case}_0000.nii.gz")
    assert not np.asanyarray(zeros.dataobj).any() and zeros.shape == flair.shape
    np.testing.assert_array_equal(zeros.get_sform(), flair.get_sform())
    assert (dataset / "imagesTr/wmh_0001_flair_0000.nii.gz").read_bytes() == (
        dataset / "imagesTr/wmh_0001_paired_0000.nii.gz"
    ).read_bytes()
    assert load_dataset_json(dataset)["nnunet_wmh"]["fill_missing"] == "zero"
    with pytest.raises(UsageError, match="interchangeable inputs only"):
        convert_dataset(small_cohort, mode="flair_t1", fill_missing="zero", dataset_id=30, progress=False)


def test_separate_encoding_describes_the_joint_files_as_nnunet_regions(small_cohort, nnunet_folders):
    from nnunetv2.utilities.label_handling.label_handling import LabelManager

    convert_dataset(small_cohort, mode="multitask", dataset_id=31, name="joint", progress=False)
    convert_dataset(small_cohort, mode="multitask", encoding="separate", dataset_id=32, name="separate",
                    progress=False)  # fmt: skip
    joint, separate = (nnunet_folders["nnUNet_raw"] / name for name in ("Dataset031_joint", "Dataset032_separate"))
    dataset_json = load_dataset_json(separate)
    names = list(SYNTHETIC_REGION_TABLE.values())
    assert dataset_json["labels"] == {"background": 0, **{n: [k, 16 + k] for k, n in enumerate(names, 1)},
                                      "wmh": list(range(17, 34)), "ignore": 34}  # fmt: skip
    assert dataset_json["regions_class_order"] == [*range(1, 17), 33]
    assert dataset_json["nnunet_wmh"]["outputs"] == [*names, "wmh"]
    manager = LabelManager(dataset_json["labels"], dataset_json["regions_class_order"])
    assert manager.has_regions and manager.ignore_label == 34 and len(manager.foreground_regions) == 17
    assert tree_bytes(joint / "labelsTr") == tree_bytes(separate / "labelsTr")  # same joint label files
    with pytest.raises(UsageError, match="`encoding` applies to `mode` multitask"):
        convert_dataset(small_cohort, mode="regions", encoding="separate", dataset_id=33, progress=False)


def test_the_names_of_earlier_releases_still_work_with_a_warning(small_cohort, nnunet_folders, caplog):
    result = convert_dataset(small_cohort, mode="flair", dataset_id=33, folds=3, images="pre", progress=False)
    recorded = json.loads((result.dataset_dir / "dataset.json").read_text())["nnunet_wmh"]["options"]
    assert recorded["folds"] == 3  # dataset.json keeps the key it always had
    assert "`folds` is deprecated and goes in the next release; use `cv_folds`" in caplog.text
    assert "`images` is deprecated and goes in the next release; use `image_folder`" in caplog.text


def test_subject_ids_that_clash_once_cleaned_are_refused_before_any_work(small_cohort_template, tmp_path,
                                                                        nnunet_folders):  # fmt: skip
    manifest = write_manifest(small_cohort_template, tmp_path / "cohort.csv")
    lines = manifest.read_text().splitlines()
    first, second = lines[1].split(",", 1)[1], lines[2].split(",", 1)[1]
    manifest.write_text("\n".join([lines[0], f"s.1,{first}", f"s_1,{second}"]) + "\n")
    with pytest.raises(InvalidInputsError, match=r"\[s_1\] .*subject ids 's_1' and 's\.1' \(of s\.1\) both become"):
        convert_dataset(manifest, mode="flair", dataset_id=31, progress=False)
    assert not any(nnunet_folders["nnUNet_raw"].iterdir())
