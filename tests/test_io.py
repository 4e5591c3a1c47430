import gzip
import os

import nibabel as nib
import numpy as np
import pytest

from nnunet_wmh import io
from nnunet_wmh.errors import ImageReadError
from tests.helpers.images import oblique_affine, save


def test_save_nifti_with_a_reference_carries_its_affine_codes_and_zooms(tmp_path):
    affine = oblique_affine(spacing=(0.958, 0.958, 3.0))
    reference_image = nib.Nifti1Image(np.zeros((6, 6, 3), np.float32), affine)
    reference_image.header.set_qform(affine, code=1)
    reference_image.header.set_sform(affine, code=2)
    reference_path = tmp_path / "flair.nii.gz"
    reference_image.to_filename(str(reference_path))
    reference = nib.load(reference_path)
    labels = np.zeros((6, 6, 3), dtype=np.int64)
    labels[1, 2, 0] = 7
    io.save_nifti(io.compact_labels(labels), tmp_path / "labels.nii.gz", reference=reference)
    written = nib.load(tmp_path / "labels.nii.gz")
    assert written.get_data_dtype() == np.uint8
    np.testing.assert_array_equal(np.asanyarray(written.dataobj), labels)
    np.testing.assert_array_equal(written.get_qform(), reference.get_qform())
    np.testing.assert_array_equal(written.get_sform(), reference.get_sform())
    assert (int(written.header["qform_code"]), int(written.header["sform_code"])) == (1, 2)
    assert written.header.get_zooms() == reference.header.get_zooms()


def test_compact_labels_uses_uint16_above_255(tmp_path):
    reference = nib.load(save(np.zeros((2, 2, 2), np.float32), tmp_path / "r.nii.gz"))
    io.save_nifti(io.compact_labels(np.full((2, 2, 2), 300)), tmp_path / "l.nii.gz", reference=reference)
    assert nib.load(tmp_path / "l.nii.gz").get_data_dtype() == np.uint16
    assert io.compact_labels(np.array([0, 255])).dtype == np.uint8


def test_copy_as_nii_gz_compresses_uncompressed_nifti_without_changing_bytes(tmp_path):
    source = save(np.arange(24, dtype=np.float32).reshape(2, 3, 4), tmp_path / "image.nii")
    io.copy_as_nii_gz(source, tmp_path / "copy.nii.gz")
    assert gzip.decompress((tmp_path / "copy.nii.gz").read_bytes()) == source.read_bytes()


def test_copy_as_nii_gz_copies_compressed_bytes_verbatim(tmp_path):
    source = save(np.ones((2, 3, 4), np.float32), tmp_path / "image.nii.gz")
    io.copy_as_nii_gz(source, tmp_path / "copy.nii.gz")
    assert (tmp_path / "copy.nii.gz").read_bytes() == source.read_bytes()


def test_link_or_copy_prefers_a_hard_link(tmp_path):
    existing = tmp_path / "a.nii.gz"
    existing.write_bytes(b"data")
    assert io.link_or_copy(existing, tmp_path / "b.nii.gz") == "hardlink"
    assert os.stat(existing).st_ino == os.stat(tmp_path / "b.nii.gz").st_ino


def test_link_or_copy_falls_back_to_a_relative_symlink(tmp_path, monkeypatch):
    folder = tmp_path / "dataset"
    folder.mkdir()
    existing = folder / "a.nii.gz"
    existing.write_bytes(b"data")
    monkeypatch.setattr(os, "link", lambda *a: (_ for _ in ()).throw(PermissionError(1, "no hard links")))
    assert io.link_or_copy(existing, folder / "b.nii.gz") == "symlink"
    assert os.readlink(folder / "b.nii.gz") == "a.nii.gz"
    folder.rename(tmp_path / "renamed")  # a relative link survives the rename of the dataset folder
    assert (tmp_path / "renamed" / "b.nii.gz").read_bytes() == b"data"


def test_link_or_copy_copies_when_no_link_works(tmp_path, monkeypatch):
    existing = tmp_path / "a.nii.gz"
    existing.write_bytes(b"data")
    refuse = lambda *a, **k: (_ for _ in ()).throw(PermissionError(1, "no links"))  # noqa: E731
    monkeypatch.setattr(os, "link", refuse)
    monkeypatch.setattr(os, "symlink", refuse)
    assert io.link_or_copy(existing, tmp_path / "b.nii.gz") == "copy"
    assert not (tmp_path / "b.nii.gz").is_symlink()
    assert (tmp_path / "b.nii.gz").read_bytes() == b"data"


def test_load_nifti_rejects_missing_and_non_nifti_files(tmp_path):
    with pytest.raises(ImageReadError, match="file not found"):
        io.load_nifti(tmp_path / "absent.nii.gz")
    (tmp_path / "broken.nii.gz").write_bytes(b"not a nifti")
    with pytest.raises(ImageReadError, match="cannot be read as NIfTI"):
        io.load_nifti(tmp_path / "broken.nii.gz")


@pytest.mark.parametrize("dtype", [np.float32, np.uint8, np.int16, ">f4", np.float64])
def test_read_voxels_fast_path_equals_nibabel(tmp_path, dtype):
    data = np.random.default_rng(0).uniform(0, 100, (7, 5, 3)).astype(dtype)
    path = save(data, tmp_path / "image.nii.gz")
    image = nib.load(path)
    fast = io.read_voxels(image, path)
    np.testing.assert_array_equal(fast, np.asanyarray(nib.load(path).dataobj))
    assert fast.dtype == np.asanyarray(nib.load(path).dataobj).dtype


def test_read_voxels_applies_header_scaling_like_nibabel(tmp_path):
    path = save(np.arange(24, dtype=np.int16).reshape(2, 3, 4), tmp_path / "scaled.nii.gz")
    image = nib.load(path)
    image.header.set_slope_inter(0.5, 10)
    nib.save(nib.Nifti1Image(np.asanyarray(image.dataobj), image.affine, image.header), path)
    values = io.read_voxels(nib.load(path), path)
    np.testing.assert_allclose(values, np.asanyarray(nib.load(path).dataobj))


def test_read_voxels_reports_truncated_data(tmp_path):
    import gzip as gz

    path = save(np.ones((8, 8, 8), np.float32), tmp_path / "image.nii.gz")
    raw = gz.decompress(path.read_bytes())
    path.write_bytes(gz.compress(raw[:-100]))
    with pytest.raises(ImageReadError, match="file holds"):
        io.read_voxels(nib.load(path), path)
