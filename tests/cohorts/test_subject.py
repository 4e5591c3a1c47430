"""The subject record: where its files are, or were looked for, as messages show them."""

from pathlib import Path

from nnunet_wmh.cohorts.subject import MODALITIES, Subject


def test_where_names_a_file_relative_to_the_source_or_where_it_was_looked_for(tmp_path):
    subject = Subject(
        "0", None, "Utrecht", tmp_path, "Utrecht/0", "Utrecht/0", flair=tmp_path / "pre/FLAIR.nii.gz",
        expected=(("t1", "pre/T1.nii.gz"),),
    )  # fmt: skip
    assert subject.where("flair") == "pre/FLAIR.nii.gz"
    assert subject.where("t1") == "pre/T1.nii.gz"
    assert subject.where("lesion") == "(lesion)"
    assert subject.relative(Path("elsewhere.nii.gz")) == "elsewhere.nii.gz"


def test_modalities_come_in_channel_order_and_one_can_be_dropped(tmp_path):
    subject = Subject("0", None, "", tmp_path, "0", "0", flair=tmp_path / "F.nii.gz", t1=tmp_path / "T.nii.gz")
    assert MODALITIES == ("flair", "t1") and subject.modalities() == ("flair", "t1")
    without = subject.without("flair")
    assert without.modalities() == ("t1",) and without.reference_image == tmp_path / "T.nii.gz"
