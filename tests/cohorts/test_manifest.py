"""CSV/TSV manifests: relative paths, splits, bad rows and columns."""

import pytest

from nnunet_wmh.cohorts import read_source
from nnunet_wmh.cohorts.manifest import looks_like_manifest, read_manifest
from nnunet_wmh.errors import SourceLayoutError


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


def test_a_manifest_is_a_csv_or_tsv_file_and_a_split_must_be_train_or_test(tmp_path):
    manifest = tmp_path / "cohort.csv"
    manifest.write_text("subject,flair,split\np1,p1.nii.gz,validation\n")
    assert looks_like_manifest(manifest) and not looks_like_manifest(tmp_path)
    (problem,) = read_manifest(manifest).problems
    assert str(problem) == "[p1] cohort.csv: line 2: split 'validation' is not 'train' or 'test'"
