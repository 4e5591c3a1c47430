"""Ways to damage a NIfTI file, as the fuzz suite does: each takes the file and a seeded generator."""

from __future__ import annotations

import contextlib
import gzip
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import nibabel as nib
import numpy as np

Corruption = Callable[[Path, np.random.Generator], None]


def _load(path: Path) -> tuple[np.ndarray, nib.Nifti1Image]:
    image = nib.load(path)
    return np.asanyarray(image.dataobj), image


def _save_like(values: np.ndarray, image: nib.Nifti1Image, path: Path, affine: np.ndarray | None = None) -> None:
    affine = image.affine if affine is None else affine
    new = nib.Nifti1Image(values, affine)
    new.header.set_qform(affine, code=1)
    new.header.set_sform(affine, code=1)
    new.to_filename(str(path))


def truncate(path: Path, rng: np.random.Generator) -> None:
    """Cut the compressed file at a random point in its second half (a copy that was interrupted)."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * rng.uniform(0.5, 0.9))])


def truncate_voxels(path: Path, rng: np.random.Generator) -> None:
    """A complete gzip stream of a file whose voxel data is cut short (the header is intact)."""
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[: 352 + (len(raw) - 352) // 2]))


def random_bytes(path: Path, rng: np.random.Generator) -> None:
    """Replace the file by random bytes of the same length."""
    path.write_bytes(rng.integers(0, 256, path.stat().st_size, dtype=np.uint8).tobytes())


def four_d(path: Path, rng: np.random.Generator) -> None:
    """Two volumes instead of one."""
    values, image = _load(path)
    _save_like(np.stack([values, values], axis=-1), image, path)


def two_d(path: Path, rng: np.random.Generator) -> None:
    """One slice only, stored as a 2-D image."""
    values, image = _load(path)
    _save_like(np.ascontiguousarray(values[:, :, values.shape[2] // 2]), image, path)


def nan_voxels(path: Path, rng: np.random.Generator) -> None:
    """Float voxels with a few NaN and one infinite value."""
    values, image = _load(path)
    values = np.array(values, dtype=np.float32)
    np.put(values, rng.choice(values.size, 5, replace=False), np.nan)
    values.flat[0] = np.inf
    _save_like(values, image, path)


def _one_voxel_set_to(path: Path, rng: np.random.Generator, value: float, dtype: type) -> None:
    values, image = _load(path)
    values = values.astype(dtype)
    values[tuple(rng.integers(0, s) for s in values.shape)] = value
    _save_like(values, image, path)


def fractional_labels(path: Path, rng: np.random.Generator) -> None:
    """A label map holding a value halfway between two labels."""
    _one_voxel_set_to(path, rng, 1.5, np.float32)


def negative_labels(path: Path, rng: np.random.Generator) -> None:
    """A label map holding -1."""
    _one_voxel_set_to(path, rng, -1, np.int16)


def out_of_range_labels(path: Path, rng: np.random.Generator) -> None:
    """A lesion label map holding 7 (the challenge's labels are 0, 1, 2)."""
    _one_voxel_set_to(path, rng, 7, np.uint8)


def shifted_origin(path: Path, rng: np.random.Generator) -> None:
    """The same voxels 0.5 mm away."""
    values, image = _load(path)
    affine = image.affine.copy()
    affine[:3, 3] += rng.uniform(0.4, 0.6)
    _save_like(values, image, path, affine)


def wrong_spacing(path: Path, rng: np.random.Generator) -> None:
    """The same voxels, 10 % larger."""
    values, image = _load(path)
    affine = image.affine.copy()
    affine[:3, :3] *= 1.1
    _save_like(values, image, path, affine)


def duplicate(path: Path, rng: np.random.Generator) -> None:
    """``CASE.nii`` beside ``CASE.nii.gz`` with other voxels: which one is meant?"""
    values, image = _load(path)
    _save_like(np.zeros_like(values), image, path.with_name(path.name[: -len(".gz")]))


CORRUPTIONS: dict[str, Corruption] = {
    "truncated": truncate,
    "truncated voxels": truncate_voxels,
    "random bytes": random_bytes,
    "4-D": four_d,
    "2-D": two_d,
    "NaN/Inf": nan_voxels,
    "fractional labels": fractional_labels,
    "negative labels": negative_labels,
    "out-of-range labels": out_of_range_labels,
    "shifted origin": shifted_origin,
    "wrong spacing": wrong_spacing,
    "two files for one case": duplicate,
}


def world_readable(folder: Path) -> None:
    """Let any user read ``folder`` (so a test can drop root's rights and still read its inputs)."""
    for path in [folder, *folder.rglob("*")]:
        mode = 0o755 if path.is_dir() else 0o644
        path.chmod(mode)


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """``folder`` read-only for the code in the block; root, who may write anywhere, runs it as nobody."""
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    privileged = os.geteuid() == 0
    try:
        if privileged:
            os.seteuid(65534)
        yield
    finally:
        if privileged:
            os.seteuid(0)
        folder.chmod(0o755)
