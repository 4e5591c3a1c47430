import gzip
import os

import nibabel as nib
import numpy as np
import pytest
from conftest import oblique_affine, save

from nnunet_wmh import io
from nnunet_wmh.errors import ImageReadError


def test_geometry_reads_spacing_origin_and_direction_of_an_oblique_grid(tmp_path):
    affine = oblique_affine(spacing=(0.958, 0.958, 3.0), origin=(1.0, 2.0, 3.0), degrees=30)
    image = nib.load(save(np.zeros((4, 5, 6), np.float32), tmp_path / "a.nii.gz", affine))
    geometry = io.Geometry.of(image)
    assert geometry.shape == (4, 5, 6)
    np.testing.assert_allclose(geometry.spacing, (0.958, 0.958, 3.0), rtol=1e-6)
    np.testing.assert_allclose(geometry.origin, (1.0, 2.0, 3.0))
    np.testing.assert_allclose(geometry.direction[:, 0], (np.cos(np.pi / 6), np.sin(np.pi / 6), 0), atol=1e-6)
    assert geometry.is_orthonormal()


def test_geometry_differences_names_shape_first():
    reference = io.Geometry((240, 240, 48), (1.0, 1.0, 3.0), np.zeros(3), np.eye(3))
    other = io.Geometry((240, 240, 47), (1.0, 1.0, 3.0), np.zeros(3), np.eye(3))
    assert io.geometry_differences(other, reference, reference_name="FLAIR") == [
        "shape (240, 240, 47) != FLAIR shape (240, 240, 48)"
    ]


def test_geometry_differences_tolerates_1e5_mm_but_not_1e3_mm():
    reference = io.Geometry((2, 2, 2), (1.0, 1.0, 3.0), np.zeros(3), np.eye(3))
    close = io.Geometry((2, 2, 2), (1.0, 1.0, 3.0), np.full(3, 1e-5), np.eye(3))
    far = io.Geometry((2, 2, 2), (1.0, 1.0, 3.0), np.array([0, 0, 1e-3]), np.eye(3))
    assert io.geometry_differences(close, reference, reference_name="FLAIR") == []
    (message,) = io.geometry_differences(far, reference, reference_name="FLAIR")
    assert message.startswith("origin") and "0.001 mm" in message


def test_geometry_differences_uses_nnunet_spacing_tolerance():
    reference = io.Geometry((2, 2, 2), (1.0, 1.0, 3.0), np.zeros(3), np.eye(3))
    within = io.Geometry((2, 2, 2), (1.0, 1.0, 3.0 * (1 + 5e-6)), np.zeros(3), np.eye(3))
    beyond = io.Geometry((2, 2, 2), (1.0, 1.0, 3.001), np.zeros(3), np.eye(3))
    assert io.geometry_differences(within, reference, reference_name="FLAIR") == []
    assert "spacing" in io.geometry_differences(beyond, reference, reference_name="FLAIR")[0]


def test_save_label_map_carries_reference_affine_codes_and_zooms(tmp_path):
    affine = oblique_affine(spacing=(0.958, 0.958, 3.0))
    reference_image = nib.Nifti1Image(np.zeros((6, 6, 3), np.float32), affine)
    reference_image.header.set_qform(affine, code=1)
    reference_image.header.set_sform(affine, code=2)
    reference_path = tmp_path / "flair.nii.gz"
    reference_image.to_filename(str(reference_path))
    reference = nib.load(reference_path)
    labels = np.zeros((6, 6, 3), dtype=np.int64)
    labels[1, 2, 0] = 7
    io.save_label_map(labels, reference, tmp_path / "labels.nii.gz")
    written = nib.load(tmp_path / "labels.nii.gz")
    assert written.get_data_dtype() == np.uint8
    np.testing.assert_array_equal(np.asanyarray(written.dataobj), labels)
    np.testing.assert_array_equal(written.get_qform(), reference.get_qform())
    np.testing.assert_array_equal(written.get_sform(), reference.get_sform())
    assert (int(written.header["qform_code"]), int(written.header["sform_code"])) == (1, 2)
    assert written.header.get_zooms() == reference.header.get_zooms()


def test_save_label_map_uses_uint16_above_255(tmp_path):
    reference = nib.load(save(np.zeros((2, 2, 2), np.float32), tmp_path / "r.nii.gz"))
    io.save_label_map(np.full((2, 2, 2), 300), reference, tmp_path / "l.nii.gz")
    assert nib.load(tmp_path / "l.nii.gz").get_data_dtype() == np.uint16


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


def test_atomic_output_folder_leaves_nothing_when_interrupted(tmp_path):
    with pytest.raises(KeyboardInterrupt), io.atomic_output_folder(tmp_path / "Dataset001_X", overwrite=False) as tmp:
        (tmp / "half.txt").write_text("x")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_atomic_output_folder_replaces_only_at_the_end(tmp_path):
    final = tmp_path / "Dataset001_X"
    final.mkdir()
    (final / "old.txt").write_text("old")
    with io.atomic_output_folder(final, overwrite=True) as tmp:
        (tmp / "new.txt").write_text("new")
        assert (final / "old.txt").exists()
    assert sorted(p.name for p in final.iterdir()) == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["Dataset001_X"]


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
