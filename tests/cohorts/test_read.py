import pytest

from nnunet_wmh.cohorts import apply_regions_override, detect_layout, read_source
from nnunet_wmh.errors import SourceLayoutError, UsageError
from tests.helpers.images import make_wmh2017_subject


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


def test_wmh2017_reads_nested_and_oddly_named_sites(small_cohort_template):
    contents = read_source(small_cohort_template)
    assert [s.key for s in contents.train] == [
        "Amsterdam/GE3T/2",
        "Amsterdam/GE3T/5",
        "Singapore/1",
        "Singapore/4",
        "Utrecht/0",
        "Utrecht/3",
    ]
    philips = next(s for s in contents.test if s.site == "Amsterdam/Philips_VU .PETMR_01.")
    assert philips.flair.name == "FLAIR.nii.gz" and philips.flair.parent.name == "pre"
    assert philips.lesion.name == "wmh.nii.gz" and philips.regions.name == "regions.nii.gz"
    assert contents.region_table == small_cohort_template / "regions.tsv"


def test_wmh2017_missing_modality_is_none_and_orig_folder_selectable(tmp_path):
    make_wmh2017_subject(tmp_path, "Utrecht", "0", with_t1=False)
    folder = make_wmh2017_subject(tmp_path, "Utrecht", "2")
    (folder / "orig").mkdir()
    (folder / "pre" / "FLAIR.nii.gz").rename(folder / "orig" / "FLAIR.nii.gz")
    pre = read_source(tmp_path, images="pre").train
    assert pre[0].t1 is None and pre[0].flair is not None
    orig = read_source(tmp_path, images="orig").train
    assert orig[1].flair == folder / "orig" / "FLAIR.nii.gz" and orig[1].t1 is None


def test_bids_reads_sessions_sites_and_derivatives(bids_cohort_template):
    contents = read_source(bids_cohort_template)
    assert [s.key for s in contents.train][:3] == ["sub-001/ses-01", "sub-001/ses-02", "sub-002/ses-01"]
    first = contents.train[0]
    assert (first.subject, first.session, first.site, first.group) == ("sub-001", "ses-01", "Utrecht", "sub-001")
    assert first.flair.name == "sub-001_ses-01_FLAIR.nii.gz" and first.t1.name == "sub-001_ses-01_T1w.nii.gz"
    assert first.lesion.name == "sub-001_ses-01_space-FLAIR_desc-wmh_mask.nii.gz"
    assert first.regions.name == "sub-001_ses-01_space-FLAIR_desc-regions_dseg.nii.gz"
    assert contents.region_table.name == "desc-regions_dseg.tsv"


def test_bids_two_matching_files_is_a_problem_naming_both(bids_cohort_template, tmp_path):
    import shutil

    root = tmp_path / "bids"
    shutil.copytree(bids_cohort_template, root)
    anat = root / "sub-001/ses-01/anat"
    shutil.copy(anat / "sub-001_ses-01_FLAIR.nii.gz", anat / "sub-001_ses-01_run-2_FLAIR.nii.gz")
    contents = read_source(root)
    (problem,) = contents.problems
    assert problem.subject == "sub-001/ses-01"
    assert "run-2_FLAIR" in str(problem) and "2 FLAIR files" in str(problem)


def test_manifest_resolves_relative_paths_and_splits(tmp_path):
    (tmp_path / "data").mkdir()
    manifest = tmp_path / "data" / "cohort.tsv"
    manifest.write_text(
        "subject\tsession\tflair\tt1\tlesion\tsite\tsplit\n"
        "p1\tbaseline\timgs/p1_flair.nii.gz\t\tmasks/p1.nii.gz\tA\ttrain\n"
        "p2\t\t/abs/p2.nii.gz\t/abs/p2_t1.nii.gz\t\tB\ttest\n"
    )
    contents = read_source(manifest)
    (train,) = contents.train
    (test,) = contents.test
    assert train.flair == tmp_path / "data/imgs/p1_flair.nii.gz" and train.t1 is None
    assert (train.key, train.group, train.site) == ("p1/baseline", "p1", "A")
    assert test.t1.as_posix() == "/abs/p2.nii.gz".replace("p2", "p2_t1") and test.lesion is None


def test_manifest_problems_and_bad_columns(tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_text("subject,flair\np1,a.nii.gz\np1,b.nii.gz\n")
    (problem,) = read_source(manifest).problems
    assert str(problem) == "[p1] m.csv: line 3: listed twice"
    manifest.write_text("subject,flair,age\np1,a.nii.gz,70\n")
    with pytest.raises(SourceLayoutError, match="unknown manifest column"):
        read_source(manifest)
    manifest.write_text("id,flair\n")
    with pytest.raises(SourceLayoutError, match="'subject' column"):
        read_source(manifest)


def test_regions_override_by_pattern_and_by_folder(tmp_path):
    make_wmh2017_subject(tmp_path / "src", "Utrecht", "0")
    subjects = read_source(tmp_path / "src").train
    (tmp_path / "maps" / "Utrecht" / "0").mkdir(parents=True)
    (tmp_path / "maps" / "Utrecht" / "0" / "regions.nii.gz").write_bytes(b"x")
    (by_folder,) = apply_regions_override(subjects, str(tmp_path / "maps"))
    assert by_folder.regions == tmp_path / "maps" / "Utrecht" / "0" / "regions.nii.gz"
    (by_pattern,) = apply_regions_override(subjects, str(tmp_path / "atlas" / "{site}_{subject}.nii.gz"))
    assert by_pattern.regions == tmp_path / "atlas" / "Utrecht_0.nii.gz"  # kept, so validation names it
    with pytest.raises(UsageError, match=r"use \{subject\}"):
        apply_regions_override(subjects, str(tmp_path / "{age}.nii.gz"))


def test_layout_specific_options_are_refused_elsewhere(small_cohort_template, bids_cohort_template):
    with pytest.raises(UsageError, match="`derivatives` applies to BIDS"):
        read_source(small_cohort_template, derivatives=bids_cohort_template / "derivatives")
    with pytest.raises(UsageError, match="`images` applies to the WMH 2017 layout"):
        read_source(bids_cohort_template, images="orig")
