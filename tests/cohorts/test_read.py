"""Reading a cohort: which layout a source is, and the options each layout takes."""

import shutil

import pytest

from nnunet_wmh.cohorts.read import LAYOUTS, detect_layout, read_source
from nnunet_wmh.cohorts.subject import Subject, image_fields
from nnunet_wmh.errors import SourceLayoutError, UsageError


def test_detects_each_layout(small_cohort_template, bids_cohort_template, tmp_path):
    manifest = tmp_path / "cohort.csv"
    manifest.write_text("subject,flair\n")
    assert detect_layout(small_cohort_template) == "wmh2017"
    assert detect_layout(small_cohort_template / "training") == "wmh2017"
    assert detect_layout(bids_cohort_template) == "bids"
    assert detect_layout(manifest) == "manifest"


def test_unknown_layout_says_what_was_looked_for(tmp_path):
    (tmp_path / "random").mkdir()
    with pytest.raises(SourceLayoutError, match="give its `layout`"):
        detect_layout(tmp_path / "random")


def test_layout_specific_options_are_refused_elsewhere(small_cohort_template, bids_cohort_template):
    with pytest.raises(UsageError, match="`derivatives` applies to BIDS"):
        read_source(small_cohort_template, derivatives=bids_cohort_template / "derivatives")
    with pytest.raises(UsageError, match="`images` applies to the WMH 2017 layout"):
        read_source(bids_cohort_template, images="orig")


def test_an_unknown_layout_name_is_a_usage_error(small_cohort_template):
    with pytest.raises(UsageError, match=r"unknown `layout` 'xnat'; choose from wmh2017, bids, manifest"):
        read_source(small_cohort_template, layout="xnat")
    assert LAYOUTS == ("wmh2017", "bids", "manifest")


def test_bids_finds_each_contrast_by_its_suffix_only_when_asked(bids_cohort_template, tmp_path):
    root = tmp_path / "bids"
    shutil.copytree(bids_cohort_template, root)
    anat = root / "sub-001/ses-01/anat"
    flair = anat / "sub-001_ses-01_FLAIR.nii.gz"
    for suffix in ("T2w", "PDw", "T2starw", "swi"):
        shutil.copy(flair, anat / f"sub-001_ses-01_{suffix}.nii.gz")
    shutil.copy(flair, anat / "sub-001_ses-01_acq-2_PDw.nii.gz")  # two PD files: a problem only when PD is read

    plain = read_source(root)
    assert plain.train[0].others == () and not plain.problems
    found = read_source(root, modalities="flair,t1,t2,t2star,swi")
    first = found.train[0]
    assert [(m, p.name) for m, p in first.others] == [
        ("t2", "sub-001_ses-01_T2w.nii.gz"), ("t2star", "sub-001_ses-01_T2starw.nii.gz"),
        ("swi", "sub-001_ses-01_swi.nii.gz"),
    ]  # fmt: skip
    assert first.image("t2").name == "sub-001_ses-01_T2w.nii.gz" and first.modalities() == (
        "flair",
        "t1",
        "t2",
        "t2star",
        "swi",
    )
    assert found.train[1].image("t2") is None and found.train[1].where("t2").endswith("sub-001_ses-02_*T2w.nii.gz")
    with_pd = read_source(root, modalities="flair,t1,pd")
    (problem,) = with_pd.problems
    assert "2 PDw files" in str(problem) and with_pd.train[0].ambiguous == ("pd",)


def test_the_challenge_tree_finds_t2_and_pd_by_file_name(tmp_path, small_cohort_template):
    root = tmp_path / "wmh"
    shutil.copytree(small_cohort_template, root)
    pre = next(root.glob("training/*/*/pre"))
    shutil.copy(pre / "FLAIR.nii.gz", pre / "T2.nii.gz")
    shutil.copy(pre / "FLAIR.nii.gz", pre / "PD.nii")
    contents = read_source(root, modalities=("flair", "t1", "t2", "pd"))
    subject = next(s for s in contents.train if s.image("t2") is not None)
    assert subject.image("t2").name == "T2.nii.gz" and subject.image("pd").name == "PD.nii"
    other = next(s for s in contents.train if s.image("t2") is None)
    assert other.where("t2") == "pre/T2.nii.gz" and other.where("pd") == "pre/PD.nii.gz"


def test_a_manifest_reads_modality_columns_when_asked_and_ignores_them_otherwise(tmp_path):
    (tmp_path / "a.nii.gz").write_bytes(b"")
    manifest = tmp_path / "cohort.csv"
    manifest.write_text("subject,flair,t2,lesion\ns1,a.nii.gz,a.nii.gz,a.nii.gz\ns2,,a.nii.gz,a.nii.gz\n")
    plain = read_source(manifest)
    assert plain.train[0].others == () and plain.train[1].modalities() == ()
    read = read_source(manifest, modalities="flair,t2")
    assert read.train[1].modalities() == ("t2",)
    assert read.train[1].where("flair") == "cohort.csv, line 3: empty 'flair' cell"
    only_t2 = tmp_path / "t2.csv"
    only_t2.write_text("subject,t2\ns1,a.nii.gz\n")
    with pytest.raises(SourceLayoutError, match="needs a 'flair' and/or a 't1' column"):
        read_source(only_t2)
    assert read_source(only_t2, modalities="t2").train[0].image("t2").name == "a.nii.gz"
    bad = tmp_path / "bad.csv"
    bad.write_text("subject,flair,dwi\ns1,a.nii.gz,a.nii.gz\n")
    with pytest.raises(SourceLayoutError, match=r"unknown manifest column\(s\) \['dwi'\]"):
        read_source(bad)


def test_a_subject_replaces_and_removes_images_of_any_modality(tmp_path):
    subject = Subject(
        "1", None, "", tmp_path, "1", "1", **image_fields({"t2": tmp_path / "t2", "flair": tmp_path / "f"})
    )
    assert subject.modalities() == ("flair", "t2") and subject.reference_image == tmp_path / "f"
    moved = subject.with_image("pd", tmp_path / "pd").with_image("t2", tmp_path / "t2b")
    assert moved.others == (("t2", tmp_path / "t2b"), ("pd", tmp_path / "pd"))
    assert moved.without("flair").without("t2").reference_image == tmp_path / "pd"
    assert moved.without("t2").modalities(("t2", "pd")) == ("pd",)
